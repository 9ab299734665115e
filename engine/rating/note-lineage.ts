/**
 * The lineage of a charge that only carries a note (bill on first use: the usage is not billed yet, and why), kept as
 * the note: `text()` writes JSON.stringify({ v: 1, note }) when a consumer asks for it (no text per unbilled record
 * while rating; the note itself is the charge's `matched` text already).
 */
import type { LineageSource, TextSink } from '../core/types.ts';

export class NoteLineage implements LineageSource {
  constructor(readonly note: string) {}

  text(): string {
    return `{"v":1,"note":${JSON.stringify(this.note)}}`;
  }

  writeTo(out: TextSink): void {
    out.text('{"v":1,"note":');
    out.text(JSON.stringify(this.note));
    out.text('}');
  }
}
