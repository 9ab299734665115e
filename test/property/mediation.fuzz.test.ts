/**
 * Property tests: random bytes, malformed lines and random chunking never crash mediation; every input ends as a
 * UDR, ignored or a reject with a reason from the closed set, and in = UDRs + ignored + rejects always holds
 * (per run, after flush). Framing does not depend on how the input is chunked.
 */
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS, type Reject, type Udr } from '../../engine/core/types.ts';
import { compileMediationFile, type CompiledMediation } from '../../engine/mediation/compiler.ts';
import { staticSchemaResolver } from '../../engine/mediation/parsers/avro.ts';
import { FileMediation } from '../helpers/file-mediation.ts';
import { readFileSync } from 'node:fs';

const root = resolve(import.meta.dirname, '../..');
const rules = (p: string, schemas?: Record<number, string>) =>
  compileMediationFile(resolve(root, p), { schemaResolver: schemas ? staticSchemaResolver(schemas) : undefined });

const avsc = readFileSync(resolve(root, 'schemas/feeds/iot-session.avsc'), 'utf8');
const RULE_SETS: [string, CompiledMediation, string][] = [
  ['csv (semicolon, comments)', rules('rules/cgrates/csv-semicolon.mediation.yaml'), readFileSync(resolve(root, 'rules/cgrates/fixtures/semicolon-sample.csv'), 'utf8')],
  ['csv + pairing (opensips)', rules('rules/cgrates/opensips-flatstore.mediation.yaml'), readFileSync(resolve(root, 'rules/cgrates/fixtures/opensips/acc_10.log'), 'utf8')],
  ['fixed-width + trailer', rules('rules/cgrates/carrier-fwv.mediation.yaml'), readFileSync(resolve(root, 'rules/cgrates/fixtures/carrier-sample.fwv'), 'utf8')],
  ['json document', rules('rules/cgrates/freeswitch-json.mediation.yaml'), readFileSync(resolve(root, 'rules/cgrates/fixtures/fs-call.json'), 'utf8')],
  ['xml', rules('rules/cgrates/broadworks-xml.mediation.yaml'), readFileSync(resolve(root, 'rules/cgrates/fixtures/broadworks-sample.xml'), 'utf8')],
  ['avro (base64 lines)', rules('rules/iot/iot-sessions.mediation.yaml', { 7: avsc }), readFileSync(resolve(root, 'rules/iot/fixtures/sessions.avro64'), 'utf8')],
  ['brief keep-fields', rules('rules/brief/usage-fields.mediation.yaml'), readFileSync(resolve(root, 'rules/brief/fixtures/usage-fields.csv'), 'utf8')],
];

const REASONS = new Set<string>(REJECT_REASONS);

async function run(r: CompiledMediation, chunks: string[]) {
  const udrs: Udr[] = [];
  const rejects: Reject[] = [];
  const fm = new FileMediation(r, 'fuzz', { udr: (u) => udrs.push(u), reject: (x) => rejects.push(x) }, 7);
  const framer = r.parser.createFramer('in', 'fuzz');
  const push = async (out: ReturnType<typeof framer.push>) => {
    // same path as FileMediation.text, with our own chunking
    await (fm as unknown as { framed(n: string, o: typeof out): Promise<void> }).framed('in', out);
  };
  for (const c of chunks) await push(framer.push(c));
  await push(framer.end());
  const t = fm.finish();
  return { t, udrs, rejects };
}

/** text: mutations of a valid sample (so the rules see near-valid records), or random unicode / bytes */
const textArb = (sample: string) => fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.tuple(fc.nat({ max: sample.length }), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 30 }))
    .map(([at, del, ins]) => sample.slice(0, at) + ins + sample.slice(at + del)),
  fc.array(fc.tuple(fc.nat({ max: sample.length }), fc.constantFrom('\n', '"', '|', ';', ',', '<', '>', '{', '}', '\\', '\u0000', 'x'.repeat(70_000))), { maxLength: 6 })
    .map((ops) => ops.reduce((s, [at, ch]) => s.slice(0, at) + ch + s.slice(at), sample)),
);

function chunk(text: string, cuts: number[]): string[] {
  const pts = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of pts) { out.push(text.slice(prev, p)); prev = p; }
  out.push(text.slice(prev));
  return out;
}

describe('mediation never crashes and always reconciles', () => {
  for (const [name, r, sample] of RULE_SETS) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(textArb(sample), fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
        const whole = await run(r, [text]);
        const { t, rejects } = whole;
        expect(t.in).toBe(t.udrs + t.ignored + t.rejects);
        for (const x of rejects) {
          expect(REASONS.has(x.reason)).toBe(true);
          expect(x.message.length).toBeGreaterThan(0);
          expect(x.source).toMatch(/^in[:#]/);
        }
        // framing does not depend on chunk boundaries
        const chunked = await run(r, chunk(text, cuts));
        expect(chunked.t.in).toBe(t.in);
        expect(chunked.udrs.map((u) => u.id)).toEqual(whole.udrs.map((u) => u.id));
        expect(chunked.rejects.map((x) => `${x.source} ${x.reason}`)).toEqual(rejects.map((x) => `${x.source} ${x.reason}`));
      }), { numRuns: 150 });
    }, 60_000);
  }

  it('raw messages (Kafka path): any text or bytes per record ends in exactly one outcome', async () => {
    for (const [, r] of RULE_SETS) {
      await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 200 })), { maxLength: 20 }), async (msgs) => {
        const fm = new FileMediation(r, 'fuzz');
        await fm.records(msgs.map((m, i) => (typeof m === 'string' ? { feed: 'fuzz', source: `t/0/${i}`, text: m } : { feed: 'fuzz', source: `t/0/${i}`, text: '', binary: m })));
        const t = fm.finish();
        expect(t.in).toBe(msgs.length);
        expect(t.in).toBe(t.udrs + t.ignored + t.rejects);
      }), { numRuns: 100 });
    }
  }, 60_000);

  it('a multi-megabyte line is an OVERSIZE reject, not a crash', async () => {
    const r = RULE_SETS[0]![1];
    const { t, rejects } = await run(r, [`ref-1;*rated;example.org;1;030;2022-01-01 00:00:00;1;${'x'.repeat(3_000_000)}\n`]);
    expect(t.rejects).toBe(1);
    expect(rejects[0]!.reason).toBe('OVERSIZE');
    expect(rejects[0]!.raw.length).toBeLessThanOrEqual(65_536);
  });
});
