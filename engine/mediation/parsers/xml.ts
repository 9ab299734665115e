/**
 * XML records: the framer cuts a document into its record elements (e.g. BroadWorks `<cdrData>`), streaming, with
 * the start line as source coordinate; each element is parsed into an object tree read by paths
 * ($basicModule.userNumber, attributes as $elem.@attr, text of mixed elements as $elem._text).
 * No DTD is ever processed for a record (an element carries none), so entity bombs and external entities cannot occur.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { RawRecord } from '../../core/types.ts';
import { decodingFramer, encodingOption, type TextFramer } from './decoder.ts';
import { type FeedParser, type Framer, type FramerOutput, ParseError, type ParserSpec } from './types.ts';

const options = z
  .object({
    encoding: encodingOption,
    element: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/).describe('name of the record element, e.g. cdrData'),
    'max-record-bytes': z.coerce.number().int().positive().default(1_048_576),
  })
  .strict();

type Options = z.output<typeof options>;

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export const spec: ParserSpec<typeof options> = {
  type: 'xml',
  description: 'XML documents cut into record elements (e.g. <cdrData>), fields by paths such as $basicModule.userNumber.',
  options,
  examples: [{ type: 'xml', element: 'cdrData' }],
  create(o: Options): FeedParser {
    const el = o.element;
    const open = `<${el}`;
    const close = `</${el}>`;
    const max = o['max-record-bytes'];
    const xp = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      textNodeName: '_text',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      processEntities: { enabled: true, maxEntityCount: 0, maxTotalExpansions: 10_000, maxExpandedLength: 1_000_000 },
    });

    /** index of the next `<el` start tag (followed by whitespace, `>` or `/`) at or after `from` */
    function findOpen(s: string, from: number): number {
      for (let i = s.indexOf(open, from); i >= 0; i = s.indexOf(open, i + 1)) {
        const c = s[i + open.length];
        if (c === undefined) return -2; // undecidable yet: need more text
        if (c === '>' || c === '/' || c === ' ' || c === '\t' || c === '\n' || c === '\r') return i;
      }
      return -1;
    }
    /** end (exclusive) of the element starting at `start`, honouring nested same-name elements; -1 if not in `s` yet */
    function findEnd(s: string, start: number): number {
      const gt = s.indexOf('>', start);
      if (gt < 0) return -1;
      if (s[gt - 1] === '/') return gt + 1; // <el ... />
      let depth = 1;
      let pos = gt + 1;
      while (depth > 0) {
        const c = s.indexOf(close, pos);
        if (c < 0) return -1;
        let o2 = findOpen(s, pos);
        while (o2 >= 0 && o2 < c) {
          const g2 = s.indexOf('>', o2);
          if (g2 < 0 || g2 > c) break;
          if (s[g2 - 1] !== '/') depth++;
          o2 = findOpen(s, g2);
        }
        depth--;
        pos = c + close.length;
      }
      return pos;
    }

    function createFramer(file: string, feed: string): Framer {
      return decodingFramer(textFramer(file, feed), file, feed, { encoding: o.encoding, detectBinary: true });
    }
    function textFramer(file: string, feed: string): TextFramer {
      let buf = '';
      let line = 1; // line number of buf[0]
      let skipping = false; // inside an oversize element: discard until its end
      function take(chunk: string, last: boolean): FramerOutput {
        const out: FramerOutput = { records: [], ignored: new Map() };
        buf += chunk;
        let pos = 0;
        while (true) {
          if (skipping) {
            const c = buf.indexOf(close, pos);
            if (c < 0) break;
            line += countNewlines(buf, pos, c + close.length);
            pos = c + close.length;
            skipping = false;
            continue;
          }
          const i = findOpen(buf, pos);
          if (i < 0) {
            // keep a tail that may hold the beginning of a start tag
            const keep = Math.max(pos, buf.length - open.length);
            line += countNewlines(buf, pos, keep);
            pos = keep;
            break;
          }
          line += countNewlines(buf, pos, i);
          pos = i;
          const end = findEnd(buf, i);
          if (end < 0) {
            if (buf.length - i > max) {
              const rec: RawRecord = { feed, source: `${file}:${line}`, text: buf.slice(i, i + max + 1) };
              rec.fault = { reason: 'OVERSIZE', message: `<${el}> element longer than ${max} characters` };
              out.records.push(rec);
              skipping = true;
              line += countNewlines(buf, i, buf.length);
              pos = buf.length;
            }
            break;
          }
          out.records.push({ feed, source: `${file}:${line}`, text: buf.slice(i, end) });
          line += countNewlines(buf, i, end);
          pos = end;
        }
        buf = buf.slice(pos);
        if (last && buf.length && !skipping) {
          const i = findOpen(buf + ' ', 0);
          if (i >= 0) {
            line += countNewlines(buf, 0, i);
            const rec: RawRecord = { feed, source: `${file}:${line}`, text: buf.slice(i, i + max + 1) };
            rec.fault = { reason: 'PARSE_ERROR', message: `unterminated <${el}> element at end of input` };
            out.records.push(rec);
          }
          buf = '';
        }
        return out;
      }
      return { push: (c) => take(c, false), end: () => take('', true) };
    }

    function parse(rec: RawRecord): Record<string, unknown> {
      const text = rec.text;
      const valid = XMLValidator.validate(text);
      if (valid !== true) throw new ParseError(`invalid XML: ${valid.err.msg} (line ${valid.err.line}, col ${valid.err.col})`);
      let doc: Record<string, unknown>;
      try {
        doc = xp.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new ParseError(`invalid XML: ${(e as Error).message}`);
      }
      const root = Object.prototype.hasOwnProperty.call(doc, el) ? doc[el] : doc[Object.keys(doc)[0] ?? ''];
      if (root === undefined) throw new ParseError('empty XML record');
      if (root === null || typeof root !== 'object') return { _text: root === null ? '' : String(root) };
      return root as Record<string, unknown>;
    }

    return { ordinal: false, maxRecordBytes: max, encoding: o.encoding, createFramer, parse };
  },
};
