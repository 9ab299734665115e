/** `field-counts` per record type (checked before the filters) and `reject:` filters (condition → reason code). */
import { describe, expect, it } from 'vitest';
import type { Reject, Udr } from '../../../engine/core/types.ts';
import { ConfigError } from '../../../engine/config/yaml-loader.ts';
import { FileMediation } from '../../helpers/file-mediation.ts';
import { compileText } from './helpers.ts';

const RULES = (extra: string) => `kind: mediation
name: t
parser: { type: csv, columns: [type, id, account, seconds] }
${extra}
usage-classes: [{ name: voice, when: "true" }]
mappings:
  - name: call
    fields: { id: "$id", account: "$account", startTime: "0", quantity: "duration($seconds, 's')", unit: "'ms'" }
`;

async function run(yaml: string, input: string) {
  const udrs: Udr[] = [];
  const rejects: Reject[] = [];
  const fm = new FileMediation(compileText(yaml), 'f', { udr: (u) => udrs.push(u), reject: (r) => rejects.push(r) });
  await fm.text('in', input);
  return { udrs, rejects, totals: fm.finish() };
}

const FILE = 'HDR,2026-10-01,v1\n6,c1,ACME,60\n6,c2\n6,c3,ACME,30\nTRL,3\n';

describe('field-counts', () => {
  it('without it, the truncated CDR disappears into a keep filter (the problem) and min-fields rejects the header', async () => {
    const keep = 'filters: [{ name: only-6, keep: "$type == 6 && $seconds != null && $seconds != \'\'" }]';
    const silent = await run(RULES(keep), FILE);
    expect(silent.rejects).toEqual([]);
    expect(silent.totals.ignoredBy).toEqual({ 'only-6': 3 }); // c2 counted as ignored with the header and trailer
    const strict = await run(RULES(keep).replace('type: csv,', 'type: csv, min-fields: 4,'), FILE);
    expect(strict.rejects.map((r) => r.source)).toEqual(['in:1', 'in:3', 'in:5']); // header and trailer too
  });

  it('per record type: the truncated CDR is a PARSE_ERROR, header and trailer are ignored by the filter', async () => {
    const r = await run(RULES(`field-counts:
  by: "$type"
  types: { "6": 4, HDR: { min: 3, max: 3 } }
filters: [{ name: only-6, keep: "$type == 6" }]`), FILE);
    expect(r.udrs.map((u) => u.id)).toEqual(['c1', 'c3']);
    expect(r.rejects.map((j) => [j.source, j.reason, j.message])).toEqual([['in:3', 'PARSE_ERROR', 'record type "6" needs at least 4 fields, found 2 (field-counts)']]);
    expect(r.totals.ignoredBy).toEqual({ 'only-6': 2 });
    expect(r.totals.in).toBe(5);
    const over = await run(RULES(`field-counts: { by: "$1", types: { HDR: { max: 2 } }, other: 2 }`), 'HDR,a,b\nX\n');
    expect(over.rejects.map((j) => j.message)).toEqual([
      'record type "HDR" needs at most 2 fields, found 3 (field-counts)',
      'record type "X" (other) needs at least 2 fields, found 1 (field-counts)',
    ]);
  });

  it('is refused on a feed whose records have a fixed shape, and min > max is an error', () => {
    const fw = `kind: mediation
name: t
parser: { type: fixed-width, fields: [{ name: a, start: 0, end: 2 }] }
field-counts: { by: "$a", types: { "6": { min: 3, max: 2 } } }
usage-classes: [{ name: v, when: "true" }]
mappings: [{ name: m, fields: { id: "$a", account: "'x'", startTime: "0", quantity: "1", unit: "'event'" } }]
`;
    let err: unknown;
    try { compileText(fw); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const msgs = (err as ConfigError).problems.map((p) => `${p.line}: ${p.message}`);
    expect(msgs).toEqual([expect.stringMatching(/^4: field-counts needs a delimited \(csv\) feed/), expect.stringMatching(/^4: min 3 is greater than max 2/)]);
  });
});

describe('reject filters', () => {
  it('reject a record with the given reason and message, in filter order', async () => {
    const r = await run(RULES(`filters:
  - { name: header, ignore: "$type in ['HDR', 'TRL']" }
  - { name: test-calls, reject: "$account == 'TEST'", reason: UNKNOWN_ACCOUNT, message: "test account on the production feed" }
  - { name: no-duration, reject: "$seconds == null || $seconds == ''", reason: MISSING_FIELD }`), `${FILE}6,c4,TEST,10\n`);
    expect(r.udrs.map((u) => u.id)).toEqual(['c1', 'c3']);
    expect(r.rejects.map((j) => [j.source, j.reason, j.message])).toEqual([
      ['in:3', 'MISSING_FIELD', 'rejected by filter no-duration'],
      ['in:6', 'UNKNOWN_ACCOUNT', 'test account on the production feed'],
    ]);
    expect(r.totals.ignoredBy).toEqual({ header: 2 });
  });

  it('a reject filter needs a reason; keep/ignore take none', () => {
    const bad = (f: string) => { try { compileText(RULES(`filters: [${f}]`)); return []; } catch (e) { return (e as ConfigError).problems.map((p) => p.message); } };
    expect(bad('{ name: x, reject: "true" }')).toEqual([expect.stringContaining('a reject filter needs a `reason`')]);
    expect(bad('{ name: x, keep: "true", reason: PARSE_ERROR }')).toEqual([expect.stringContaining('a reject filter needs a `reason`')]);
    expect(bad('{ name: x, reject: "true", reason: NOPE }')[0]).toMatch(/reason/);
  });
});
