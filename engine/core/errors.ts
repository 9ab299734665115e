/**
 * The error taxonomy (ARCHITECTURE habit 5): an error that callers handle carries a stable `code` and says whether
 * retrying can help. Per-record failures become rejects with that code; config errors stop with one clear line.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(readonly code: C, message: string, readonly retriable = false) {
    super(message);
    this.name = new.target.name;
  }
}
