/**
 * Line framing shared by line-oriented parsers: splits decoded text on \n (\r\n tolerated), numbers lines from 1.
 * Parsers put decoder.ts's decodingFramer in front of it (bytes, encoding, BOM, binary input).
 */
import type { RawRecord } from '../../core/types.ts';
import type { TextFramer } from './decoder.ts';
import type { FramerOutput } from './types.ts';

export interface LineFramerOptions {
  /** lines to skip at the top (header rows), counted as ignored 'header' */
  skipLines?: number;
  /** lines starting with this prefix are comments, counted as ignored 'comment' */
  commentPrefix?: string;
  /** classify a line as a control line (header/trailer): return the reason or undefined for a record */
  control?: (line: string, lineNo: number) => string | undefined;
  /** called for each header line (e.g. to learn column names) */
  onHeader?: (line: string) => void;
}

export function createLineFramer(file: string, feed: string, opts: LineFramerOptions = {}): TextFramer {
  let buf = '';
  let lineNo = 0;
  const skip = opts.skipLines ?? 0;
  const comment = opts.commentPrefix;
  const control = opts.control;
  const prefix = `${file}:`;

  function take(text: string, last: boolean): FramerOutput {
    const records: RawRecord[] = [];
    const ignored = new Map<string, number>();
    let start = 0;
    // the partial line left by the previous chunk (never holds a newline) joins this chunk's first line; the
    // other lines are slices of `text` itself (no concatenated copy of the whole chunk)
    const head = buf;
    buf = '';
    if (head) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        if (last) handle(head + text);
        else buf = head + text;
        return { records, ignored };
      }
      handle(head + text.slice(0, nl));
      start = nl + 1;
    }
    while (true) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (last && start < text.length) handle(text.slice(start));
        else buf = text.slice(start);
        break;
      }
      handle(text.slice(start, nl));
      start = nl + 1;
    }
    return { records, ignored };

    function handle(rawLine: string) {
      lineNo++;
      const line = rawLine.charCodeAt(rawLine.length - 1) === 13 ? rawLine.slice(0, -1) : rawLine; // \r\n
      if (lineNo <= skip) {
        opts.onHeader?.(line);
        ignored.set('header', (ignored.get('header') ?? 0) + 1);
        return;
      }
      if (line.length === 0) return; // blank lines are not records
      if (comment && line.startsWith(comment)) {
        ignored.set('comment', (ignored.get('comment') ?? 0) + 1);
        return;
      }
      if (control) {
        const reason = control(line, lineNo);
        if (reason) {
          ignored.set(reason, (ignored.get(reason) ?? 0) + 1);
          return;
        }
      }
      records.push({ feed, source: prefix + lineNo, text: line });
    }
  }
  return {
    push: (chunk) => take(chunk, false),
    end: () => take('', true),
  };
}
