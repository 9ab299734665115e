/**
 * CGRateS Chargers + Attributes → the catalog's charging runs (import-cgrates):
 *  - each charger → a run named after its RunID (`*default` → `default`, the primary and only billable run; the
 *    other runs are costs, `billable: false`, for the margin view), ordered *default first, then by Weight;
 *  - its AttributeIDs (profiles of Attributes.csv, or inline `*constant:*req.Field:Value`) → the run's field
 *    rewrites: Account / Subject → account (`tenant:value`), Category → usageClass, Destination → destination;
 *    *constant values as text, *variable `~*req.Field` as that field; a profile's FilterIDs of the kinds
 *    `*string` / `*prefix` on those fields become the rewrite's condition (`cond ? value : field`).
 * Charger FilterIDs, other fields and filter kinds are not kept: the notes say so, once per construct.
 */
import { columnOf, readCsvFile } from './cgrates-csv.ts';

export interface ChargersImport {
  runs: Record<string, unknown>[];
  stats: Record<string, number>;
}

/** CGRateS request field → UDR field of a run rewrite */
const FIELDS: Record<string, 'account' | 'usageClass' | 'destination'> = { Account: 'account', Subject: 'account', Category: 'usageClass', Destination: 'destination' };
const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const fieldName = (path: string) => path.replace(/^~/, '').replace(/^\*req\./, '');

interface Attr { field: string; type: string; value: string }
interface Profile { tenant: string; id: string; contexts: string; filters: string[]; attrs: Attr[] }

export function importChargers(dir: string, notes: string[]): ChargersImport | undefined {
  const note = (() => { const seen = new Set<string>(); return (n: string) => { if (!seen.has(n)) { seen.add(n); notes.push(n); } }; })();
  const chF = readCsvFile(dir, 'Chargers');
  if (!chF.rows.length) return undefined;
  const C = { tenant: columnOf(chF, ['tenant'], 0), id: columnOf(chF, ['id'], 1), filters: columnOf(chF, ['filterids'], 2), activation: columnOf(chF, ['activationinterval'], 3),
    run: columnOf(chF, ['runid'], 4), attrs: columnOf(chF, ['attributeids'], 5), weight: columnOf(chF, ['weight', 'weights'], 6) };
  const atF = readCsvFile(dir, 'Attributes');
  const old = atF.header.includes('fieldname');
  const T = { tenant: columnOf(atF, ['tenant'], 0), id: columnOf(atF, ['id'], 1), contexts: columnOf(atF, ['contexts'], 2), filters: columnOf(atF, ['filterids'], 3),
    attrFilters: columnOf(atF, ['attributefilterids'], 5), path: columnOf(atF, ['path', 'fieldname'], 6), type: columnOf(atF, ['type'], 7), value: columnOf(atF, ['value', 'substitute'], 8),
    initial: columnOf(atF, ['initial'], 6) };
  const profiles = new Map<string, Profile>();
  for (const r of atF.rows) {
    if (!T.id(r)) continue;
    const key = `${T.tenant(r)}:${T.id(r)}`;
    let p = profiles.get(key);
    if (!p) profiles.set(key, (p = { tenant: T.tenant(r), id: T.id(r), contexts: '', filters: [], attrs: [] }));
    if (T.contexts(r)) p.contexts = T.contexts(r);
    for (const f of T.filters(r).split(';')) if (f.trim()) p.filters.push(f.trim());
    if (!old && T.attrFilters(r)) note(`Attributes ${key}: AttributeFilterIDs ${T.attrFilters(r)} are not kept (the attribute applies whenever its profile does)`);
    if (old && T.initial(r) && T.initial(r) !== '*any') note(`Attributes ${key}: Initial ${T.initial(r)} (replace only that value) is not kept`);
    const path = T.path(r);
    if (path) p.attrs.push(old ? { field: path, type: T.value(r).startsWith('~') ? '*variable' : '*constant', value: T.value(r) } : { field: fieldName(path), type: T.type(r), value: T.value(r) });
  }

  /** a CGRateS filter → a condition on the UDR (undefined: not expressible) */
  const condOf = (f: string, tenant: string): string | undefined => {
    const m = /^(\*string|\*prefix):(~?(?:\*req\.)?)(\w+):(.+)$/.exec(f);
    const field = m ? FIELDS[m[3]!] : undefined;
    if (!m || !field) return undefined;
    const vals = m[4]!.split(';').map((v) => (field === 'account' ? `${tenant}:${v}` : v));
    if (m[1] === '*string') return vals.length === 1 ? `${field} == ${lit(vals[0]!)}` : `${field} in [${vals.map(lit).join(', ')}]`;
    return `(${vals.map((v) => `substr(${field}, 0, ${v.length}) == ${lit(v)}`).join(' || ')})`;
  };
  /** one attribute → [UDR field, expression] (undefined: not kept, noted) */
  const rewriteOf = (a: Attr, tenant: string, where: string): [string, string] | undefined => {
    const field = FIELDS[a.field];
    if (!field) { note(`${where}: ${a.field} is not a rating field (only Account, Subject, Category, Destination are): not kept`); return undefined; }
    let expr: string;
    if (a.type === '*constant') expr = lit(field === 'account' ? `${tenant}:${a.value}` : a.value);
    else if (a.type === '*variable' && /^~(\*req\.)?\w+$/.test(a.value)) {
      const src = fieldName(a.value);
      const f = FIELDS[src] ?? `attrs.${src}`;
      expr = field === 'account' && f !== 'account' ? `${lit(`${tenant}:`)} & ${f}` : f;
    } else { note(`${where}: ${a.field} ${a.type} ${a.value} is not kept (only *constant values and *variable ~*req.Field)`); return undefined; }
    return [field, expr];
  };

  const chargers = new Map<string, { tenant: string; id: string; run: string; attrs: string[]; filters: string[]; weight: number; order: number }>();
  for (const r of chF.rows) {
    if (!C.id(r)) continue;
    const key = `${C.tenant(r)}:${C.id(r)}`;
    let ch = chargers.get(key);
    if (!ch) chargers.set(key, (ch = { tenant: C.tenant(r), id: C.id(r), run: '', attrs: [], filters: [], weight: 0, order: chargers.size }));
    if (C.run(r)) ch.run = C.run(r);
    for (const a of C.attrs(r).split(';')) if (a.trim() && !a.trim().startsWith('*constant:')) ch.attrs.push(a.trim());
    // master's inline attributes (*constant:*req.Field:Value) hold ';' only between attributes
    for (const m of C.attrs(r).matchAll(/\*constant:([^:;]+):([^;]*)/g)) ch.attrs.push(`*constant:${m[1]}:${m[2]}`);
    for (const f of C.filters(r).split(';')) if (f.trim()) ch.filters.push(f.trim());
    const w = Number((C.weight(r).split(';').pop() ?? '').trim());
    if (C.weight(r) && Number.isFinite(w)) ch.weight = w;
    if (C.activation(r) && !chF.header.includes('weights')) note(`Chargers ${key}: ActivationInterval ${C.activation(r)} is not kept (the run is always active)`);
  }
  const tenants = new Set([...chargers.values()].map((c) => c.tenant));
  if (tenants.size > 1) note(`Chargers of ${tenants.size} tenants (${[...tenants].join(', ')}): a catalog's runs rate every record, whatever its tenant`);
  const list = [...chargers.values()].sort((a, b) => Number(b.run === '*default') - Number(a.run === '*default') || b.weight - a.weight || a.order - b.order);
  const runs: Record<string, unknown>[] = [];
  const names = new Set<string>();
  for (const ch of list) {
    const where = `Chargers ${ch.tenant}:${ch.id}`;
    if (!ch.run) { note(`${where}: no RunID; not imported`); continue; }
    const name = ch.run === '*default' ? 'default' : ch.run.replace(/^\*/, '').replace(/[^A-Za-z0-9._:@+-]/g, '_');
    if (names.has(name)) { note(`${where}: RunID ${ch.run} is a run already (of another charger); not imported`); continue; }
    names.add(name);
    if (ch.filters.length && !ch.filters.every((f) => f === '*none')) note(`${where}: FilterIDs ${ch.filters.join(';')} are not kept: the run ${name} rates every record`);
    const rewrite: Record<string, string> = {};
    for (const aid of ch.attrs) {
      if (aid === '*none') continue;
      const inline = /^\*constant:([^:]+):(.*)$/.exec(aid);
      if (inline) {
        const rw = rewriteOf({ field: fieldName(inline[1]!), type: '*constant', value: inline[2]! }, ch.tenant, where);
        if (rw) rewrite[rw[0]] = rw[1];
        continue;
      }
      const p = profiles.get(`${ch.tenant}:${aid}`) ?? profiles.get(`:${aid}`);
      if (!p) { note(`${where}: unknown Attributes profile ${aid}; not kept`); continue; }
      const pw = `Attributes ${p.tenant}:${p.id}`;
      if (p.contexts && !p.contexts.split(';').some((x) => x === '*chargers' || x === '*any')) note(`${pw}: Contexts ${p.contexts} (not *chargers): CGRateS would not apply it in a charger; imported anyway as the charger names it`);
      const conds = p.filters.filter((f) => f !== '*none').map((f) => condOf(f, p.tenant));
      if (conds.some((x) => x === undefined)) { note(`${pw}: FilterIDs ${p.filters.join(';')}: only *string / *prefix filters on Account, Subject, Category, Destination can be kept; the profile is not imported`); continue; }
      const cond = conds.join(' && ');
      for (const a of p.attrs) {
        const rw = rewriteOf(a, p.tenant, pw);
        if (rw) rewrite[rw[0]] = cond ? `${cond} ? ${rw[1]} : ${rewrite[rw[0]] ?? rw[0]}` : rw[1];
      }
    }
    const run: Record<string, unknown> = { name, billable: name === 'default' };
    if (Object.keys(rewrite).length) run.rewrite = rewrite;
    runs.push(run);
  }
  if (runs.length && runs[0]!.name !== 'default') note(`no *default charger: the first run (${runs[0]!.name}) is the primary run and billable`);
  if (runs.length && runs[0]!.name !== 'default') runs[0]!.billable = true;
  return { runs, stats: { chargers: chargers.size, attributeProfiles: profiles.size, chargingRuns: runs.length } };
}
