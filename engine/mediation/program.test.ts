import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileMediationFile } from './compiler.ts';
import { Mediator } from './mediator.ts';

function rules(yaml: string) {
  const f = join(mkdtempSync(join(tmpdir(), 'rs-prog-')), 'r.mediation.yaml');
  writeFileSync(f, yaml);
  return compileMediationFile(f);
}
const raw = (text: string, n = 1) => ({ feed: 'f', source: `in.csv:${n}`, text });

describe('the generated rule program keeps rule-by-rule semantics', () => {
  const r = rules(`kind: mediation
name: p
parser: { type: csv, columns: [a, b, c] }
filters:
  - { name: nothing-mapped-yet, ignore: "id != null || usageClass != null" }
usage-classes:
  - { name: k, when: "$b != 'none' && id == null" }
defaults:
  id: "$a"
  account: "'acc'"
  unit: "'event'"
  note: "later & '|' & usageClass & '|' & unknown & '|' & id.x"
  startTime: "0"
mappings:
  - name: m
    when: "usageClass == 'k' && id == null"
    keep-fields: "3"
    fields:
      quantity: "1"
      later: "'L'"
      usageClass: "usageClass & '-2'"
      after: "usageClass & '/' & later & '/' & note"
      empty: "''"
      c: "'mapped'"
  - name: other
    fields: { quantity: "$c == 'x' ? number($c) : 2" }
`);

  it('identifiers read what is mapped so far; empty optional fields are left out of attrs', () => {
    const out = new Mediator(r).mediate([raw('1,y,z')]);
    expect(out.rejects).toEqual([]);
    const u = out.udrs[0]!;
    expect(u.usageClass).toBe('k-2');
    expect(u.attrs).toEqual({ note: '|k||', later: 'L', after: 'k-2/L/|k||', c: 'mapped' });
  });

  it('the fallback mapping; failures name the rule', () => {
    const out = new Mediator(r).mediate([raw('1,none,z', 1), raw('2,none,x', 2)]);
    expect(out.udrs).toEqual([]);
    expect(out.rejects.map((x) => [x.source, x.reason, x.message])).toEqual([
      ['in.csv:1', 'MISSING_FIELD', 'usageClass is empty (no usage-class rule matched)'],
      ['in.csv:2', 'INVALID_FIELD', 'field quantity: value "x" is not a number'],
    ]);
  });
});
