/**
 * Fixed-width records: fields at character offsets (0-based start, end-exclusive), optional header and trailer
 * record types, and trailer verification (record count, totals such as the sum of durations). A trailer that does
 * not match the records before it is handled as configured: `reject-file` turns every record of that block into a
 * TRAILER_MISMATCH reject; `warn` mediates them and reports the failed check.
 */
import { z } from 'zod';
import type { RawRecord } from '../../core/types.ts';
import { decodingFramer, encodingOption, type TextFramer } from './decoder.ts';
import { type FeedParser, type FileCheck, type Framer, type FramerOutput, ParseError, type ParserSpec } from './types.ts';

const int = z.coerce.number().int().min(0);
const span = z.object({ start: int.describe('0-based first character'), end: int.describe('0-based, exclusive') }).strict()
  .refine((s) => s.end > s.start, 'end must be greater than start');

const NUMBER_FORMATS = ['integer', 'hhmmss', 'hhmmsscc'] as const;
type NumberFormat = (typeof NUMBER_FORMATS)[number];

const options = z
  .object({
    encoding: encodingOption,
    fields: z.array(z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), start: int, end: int }).strict()
      .refine((s) => s.end > s.start, 'end must be greater than start'))
      .min(1).describe('record fields by character offsets; rules use $name or $N (N = position in this list, from 1)'),
    trim: z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]).default(true)
      .describe('trim the padding around field values'),
    'record-type': span.optional().describe('where the record type code sits (e.g. { start: 0, end: 3 })'),
    header: z.string().optional().describe('record-type code of header lines (ignored as "header")'),
    trailer: z.string().optional().describe('record-type code of trailer lines (ignored as "trailer", verified)'),
    records: z.array(z.string()).optional().describe('record-type codes that are data records; other codes are PARSE_ERROR'),
    'min-length': int.optional().describe('a data line shorter than this is a PARSE_ERROR'),
    'trailer-check': z.object({
      count: span.optional().describe('trailer position of the record count'),
      totals: z.array(z.object({
        name: z.string(),
        trailer: span.describe('trailer position of the total'),
        'trailer-format': z.enum(NUMBER_FORMATS).default('integer'),
        field: z.string().describe('the record field summed for this total'),
        'field-format': z.enum(NUMBER_FORMATS).default('integer'),
      }).strict()).default([]),
    }).strict().optional().describe('verify the trailer against the records of its block'),
    'on-trailer-mismatch': z.enum(['reject-file', 'warn']).default('reject-file')
      .describe('reject-file: all records of the block become TRAILER_MISMATCH rejects; warn: mediate them, report the check'),
    'max-record-bytes': z.coerce.number().int().positive().default(65_536),
  })
  .strict();

type Options = z.output<typeof options>;

/** integer | hhmmss | hhmmsscc (hours may have any number of digits) → integer (formats with time: milliseconds) */
export function readNumber(text: string, format: NumberFormat): number | undefined {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return undefined;
  if (format === 'integer') return Number(s);
  const cc = format === 'hhmmsscc' ? Number(s.slice(-2)) : 0;
  const t = format === 'hhmmsscc' ? s.slice(0, -2) : s;
  if (t.length < 4) return undefined;
  const ss = Number(t.slice(-2)), mm = Number(t.slice(-4, -2)), hh = Number(t.slice(0, -4) || '0');
  if (ss > 59 || mm > 59) return undefined;
  return ((hh * 60 + mm) * 60 + ss) * 1000 + cc * 10;
}

function fmt(v: number, format: NumberFormat): string {
  if (format === 'integer') return String(v);
  return `${v / 1000} s`;
}

export const spec: ParserSpec<typeof options> = {
  type: 'fixed-width',
  description: 'Fixed-width records by character offsets, with header/trailer record types and trailer verification.',
  options,
  examples: [{
    type: 'fixed-width',
    'record-type': { start: 0, end: 3 }, header: 'HDR', trailer: 'TRL', records: ['CDR'],
    fields: [{ name: 'id', start: 0, end: 10 }, { name: 'duration', start: 127, end: 135 }],
    'trailer-check': { count: { start: 141, end: 149 }, totals: [{ name: 'duration', trailer: { start: 149, end: 161 }, 'trailer-format': 'hhmmsscc', field: 'duration', 'field-format': 'hhmmsscc' }] },
    'on-trailer-mismatch': 'reject-file',
  }],
  create(o: Options): FeedParser {
    const fields = o.fields;
    const n = fields.length;
    const starts = fields.map((f) => f.start), ends = fields.map((f) => f.end);
    const trim = o.trim;
    const rt = o['record-type'];
    const records = o.records ? new Set(o.records) : undefined;
    const minLength = o['min-length'] ?? 0;
    const typeOf = (line: string) => (rt ? line.slice(rt.start, rt.end).trim() : '');
    const check = o['trailer-check'];
    const totals = (check?.totals ?? []).map((t) => {
      const f = fields.find((x) => x.name === t.field);
      if (!f) throw new Error(`trailer-check total ${t.name}: no field named ${JSON.stringify(t.field)}`);
      return { ...t, f };
    });
    const rejectFile = o['on-trailer-mismatch'] === 'reject-file';

    function parse(rec: RawRecord): string[] {
      const line = rec.text;
      if (line.length < minLength) throw new ParseError(`line is ${line.length} characters, expected at least ${minLength}`);
      if (records) {
        const t = typeOf(line);
        if (!records.has(t)) throw new ParseError(`unknown record type ${JSON.stringify(t)} (expected ${[...records].join(', ')})`);
      }
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = line.slice(starts[i], ends[i]);
        out[i] = trim ? v.trim() : v;
      }
      return out;
    }

    function createFramer(file: string, feed: string): Framer {
      return decodingFramer(textFramer(file, feed), file, feed, { encoding: o.encoding, detectBinary: true });
    }
    function textFramer(file: string, feed: string): TextFramer {
      let buf = '';
      let lineNo = 0;
      // the current block (records since the last header/trailer)
      let held: RawRecord[] = [];
      let count = 0;
      let sums = totals.map(() => 0);
      let unreadable = 0;
      let blocks = 0;
      const failures: string[] = [];
      const passes: string[] = [];

      const account = (line: string) => {
        count++;
        for (let i = 0; i < totals.length; i++) {
          const t = totals[i]!;
          const v = readNumber(line.slice(t.f.start, t.f.end), t['field-format']);
          if (v === undefined) unreadable++;
          else sums[i]! += v;
        }
      };
      const closeBlock = (trailerLine: string | undefined, out: FramerOutput) => {
        const problems: string[] = [];
        if (trailerLine === undefined) problems.push(`no trailer after ${count} record(s)`);
        else {
          if (check?.count) {
            const c = readNumber(trailerLine.slice(check.count.start, check.count.end), 'integer');
            if (c === undefined) problems.push(`trailer count ${JSON.stringify(trailerLine.slice(check.count.start, check.count.end))} is not a number`);
            else if (c !== count) problems.push(`trailer count ${c} != ${count} records`);
          }
          totals.forEach((t, i) => {
            const raw = trailerLine.slice(t.trailer.start, t.trailer.end);
            const v = readNumber(raw, t['trailer-format']);
            if (v === undefined) problems.push(`trailer ${t.name} ${JSON.stringify(raw)} is not a ${t['trailer-format']} number`);
            else if (v !== sums[i]) problems.push(`trailer ${t.name} ${fmt(v, t['trailer-format'])} != sum of records ${fmt(sums[i]!, t['field-format'])}`);
          });
          if (unreadable) problems.push(`${unreadable} record value(s) unreadable for the totals`);
        }
        blocks++;
        const where = `${file} block ${blocks}${trailerLine === undefined ? '' : ` (trailer line ${lineNo})`}`;
        if (problems.length) {
          const message = `${where}: ${problems.join('; ')}`;
          failures.push(message);
          if (rejectFile) for (const r of held) r.fault = { reason: 'TRAILER_MISMATCH', message };
        } else {
          passes.push(`${where}: ${count} records${totals.map((t, i) => `, ${t.name} ${fmt(sums[i]!, t['field-format'])}`).join('')}`);
        }
        if (rejectFile) for (const r of held) out.records.push(r);
        held = [];
        count = 0;
        sums = totals.map(() => 0);
        unreadable = 0;
      };

      function handle(rawLine: string, out: FramerOutput) {
        lineNo++;
        const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
        if (line.length === 0) return;
        const t = rt ? typeOf(line) : undefined;
        if (t !== undefined && o.header !== undefined && t === o.header) {
          out.ignored.set('header', (out.ignored.get('header') ?? 0) + 1);
          if (check && count > 0) closeBlock(undefined, out);
          return;
        }
        if (t !== undefined && o.trailer !== undefined && t === o.trailer) {
          out.ignored.set('trailer', (out.ignored.get('trailer') ?? 0) + 1);
          if (check) closeBlock(line, out);
          return;
        }
        const rec: RawRecord = { feed, source: `${file}:${lineNo}`, text: line };
        if (check) {
          if (!records || records.has(t ?? '')) account(line);
          if (rejectFile) { held.push(rec); return; }
        }
        out.records.push(rec);
      }

      function take(text: string, last: boolean): FramerOutput {
        const out: FramerOutput = { records: [], ignored: new Map() };
        const all = buf + text;
        buf = '';
        let start = 0;
        while (true) {
          const nl = all.indexOf('\n', start);
          if (nl < 0) {
            if (last && start < all.length) handle(all.slice(start), out);
            else buf = all.slice(start);
            break;
          }
          handle(all.slice(start, nl), out);
          start = nl + 1;
        }
        return out;
      }

      return {
        push: (chunk) => take(chunk, false),
        end() {
          const out: FramerOutput & { check?: FileCheck } = take('', true);
          if (check) {
            if (count > 0 || held.length > 0 || blocks === 0) closeBlock(undefined, out);
            out.check = failures.length
              ? { ok: false, message: `trailer check FAILED (${rejectFile ? 'records rejected as TRAILER_MISMATCH' : 'warn only'}): ${failures.join(' | ')}` }
              : { ok: true, message: `trailer check passed: ${passes.join(' | ')}` };
          }
          return out;
        },
      };
    }

    return {
      ordinal: true,
      columns: fields.map((f) => f.name),
      maxRecordBytes: o['max-record-bytes'],
      encoding: o.encoding,
      createFramer,
      parse,
    };
  },
};
