/**
 * JSON records, read by nested paths in the rules ($variables.billsec, $callStats.audio.inbound.mos).
 * Framing: `lines` (JSON Lines, one value per line) or `document` (the whole file is one JSON value: one record,
 * an array of records, or an object holding the array at `records: a.b`). Kafka/HTTP messages are parsed one by one.
 */
import { z } from 'zod';
import type { RawRecord } from '../../core/types.ts';
import { decodingFramer, encodingOption, type TextFramer } from './decoder.ts';
import { createLineFramer } from './line-framer.ts';
import { type FeedParser, type Framer, type FramerOutput, ParseError, type ParserSpec } from './types.ts';

const options = z
  .object({
    encoding: encodingOption,
    framing: z.enum(['lines', 'document']).default('lines').describe('lines: JSON Lines; document: the file is one JSON value'),
    records: z.string().regex(/^[A-Za-z0-9_@-]+(\.[A-Za-z0-9_@-]+)*$/).optional()
      .describe('document framing: dot path to the array of records (default: the document itself, or its elements if it is an array)'),
    'max-record-bytes': z.coerce.number().int().positive().default(1_048_576),
    'max-document-bytes': z.coerce.number().int().positive().default(256 * 1_048_576),
  })
  .strict();

type Options = z.output<typeof options>;

const hasOwn = Object.prototype.hasOwnProperty;

export function parseJsonObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ParseError(`invalid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ParseError(`a record must be a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
  return v as Record<string, unknown>;
}

export const spec: ParserSpec<typeof options> = {
  type: 'json',
  description: 'JSON records (JSON Lines or one document), fields by nested paths such as $variables.billsec.',
  options,
  examples: [{ type: 'json', framing: 'document' }, { type: 'json', framing: 'document', records: 'cdrs' }, { type: 'json', framing: 'lines' }],
  create(o: Options): FeedParser {
    const path = o.records?.split('.');
    function createFramer(file: string, feed: string): Framer {
      return decodingFramer(textFramer(file, feed), file, feed, { encoding: o.encoding, detectBinary: true });
    }
    function textFramer(file: string, feed: string): TextFramer {
      if (o.framing === 'lines') return createLineFramer(file, feed);
      let text = '';
      let tooBig = false;
      return {
        push(chunk) {
          if (text.length + chunk.length > o['max-document-bytes']) tooBig = true;
          else text += chunk;
          return { records: [], ignored: new Map() };
        },
        end() {
          const out: FramerOutput = { records: [], ignored: new Map() };
          const whole = (t: string): RawRecord => ({ feed, source: `${file}:1`, text: t });
          if (tooBig) {
            out.records.push(whole(text.slice(0, o['max-record-bytes'] + 1)));
            return out;
          }
          const trimmed = text.trim();
          if (!trimmed) return out;
          let doc: unknown;
          try {
            doc = JSON.parse(trimmed);
          } catch {
            out.records.push(whole(trimmed)); // becomes a PARSE_ERROR reject with the parser's message
            return out;
          }
          let node: unknown = doc;
          if (path) {
            for (const k of path) {
              node = node !== null && typeof node === 'object' && hasOwn.call(node, k) ? (node as Record<string, unknown>)[k] : undefined;
            }
            if (!Array.isArray(node)) {
              const rec = whole(trimmed.length > o['max-record-bytes'] ? trimmed.slice(0, 4096) : trimmed);
              rec.fault = { reason: 'PARSE_ERROR', message: `no array of records at ${JSON.stringify(o.records)} in the document` };
              out.records.push(rec);
              return out;
            }
          }
          if (Array.isArray(node)) {
            const ptr = path ? `/${path.join('/')}` : '';
            node.forEach((el, i) => out.records.push({ feed, source: `${file}#${ptr}/${i}`, text: JSON.stringify(el) }));
          } else out.records.push(whole(trimmed));
          return out;
        },
      };
    }
    return {
      ordinal: false,
      maxRecordBytes: o['max-record-bytes'],
      encoding: o.encoding,
      createFramer,
      parse: (rec: RawRecord) => parseJsonObject(rec.text),
    };
  },
};
