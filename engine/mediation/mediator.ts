/**
 * The mediation core: a batch of raw records → UDRs, rejects and ignored counts. Synchronous, no I/O, no promise
 * or closure per record. Every record ends in exactly one of the three outcomes (in = udrs + ignored + rejects).
 */
import type { MediationResult, RawRecord, Reject, RejectReason, Udr } from '../core/types.ts';
import { ExprRuntimeError, type Value } from './expr/runtime.ts';
import type { CompiledMediation } from './compiler.ts';
import { ParseError } from './parsers/types.ts';
import { UDR_CORE_FIELDS } from './schema.ts';

const CORE = new Set<string>(UDR_CORE_FIELDS);

export class Mediator {
  /** recent record ids (insertion-ordered) for in-run dedup */
  private readonly seen = new Set<string>();

  constructor(readonly rules: CompiledMediation) {}

  mediate(batch: readonly RawRecord[]): MediationResult {
    const udrs: Udr[] = [];
    const rejects: Reject[] = [];
    const ignored = new Map<string, number>();
    const r = this.rules;
    const maxBytes = r.parser.maxRecordBytes;
    for (let i = 0; i < batch.length; i++) {
      const raw = batch[i]!;
      const outcome = this.one(raw, maxBytes);
      if (typeof outcome === 'string') ignored.set(outcome, (ignored.get(outcome) ?? 0) + 1);
      else if ('reason' in outcome) rejects.push(outcome);
      else udrs.push(outcome);
    }
    return { udrs, rejects, ignored };
  }

  private reject(raw: RawRecord, reason: RejectReason, message: string): Reject {
    return { feed: raw.feed, source: raw.source, reason, message, raw: raw.text.length > 65_536 ? raw.text.slice(0, 65_536) : raw.text, rulesVersion: this.rules.version };
  }

  /** returns an ignored reason (string), a Reject or a Udr */
  private one(raw: RawRecord, maxBytes: number): string | Reject | Udr {
    const r = this.rules;
    if (raw.text.length > maxBytes) return this.reject(raw, 'OVERSIZE', `record is ${raw.text.length} characters, limit ${maxBytes}`);
    let rec: unknown;
    try {
      rec = r.parser.parse(raw);
    } catch (e) {
      if (e instanceof ParseError) return this.reject(raw, 'PARSE_ERROR', e.message);
      return this.reject(raw, 'PARSE_ERROR', `unexpected parser failure: ${(e as Error).message}`);
    }
    const v: Record<string, Value> = Object.create(null);
    let stage = 'filter';
    let current = '';
    try {
      for (let i = 0; i < r.filters.length; i++) {
        const f = r.filters[i]!;
        current = f.name;
        const t = truthy(f.test(rec, v));
        if (f.keep ? !t : t) return f.name;
      }
      stage = 'usage-class';
      for (let i = 0; i < r.classes.length; i++) {
        const c = r.classes[i]!;
        current = c.name;
        if (truthy(c.test(rec, v))) { v.usageClass = c.name; break; }
      }
      stage = 'mapping';
      let mapping;
      for (let i = 0; i < r.mappings.length; i++) {
        const m = r.mappings[i]!;
        if (!m.when || truthy(m.when(rec, v))) { mapping = m; break; }
      }
      if (!mapping) return this.reject(raw, 'NO_MAPPING', `no mapping matched${v.usageClass ? ` (usageClass ${v.usageClass})` : ''}`);
      stage = 'field';
      for (let i = 0; i < mapping.fields.length; i++) {
        const f = mapping.fields[i]!;
        current = f.name;
        const val = f.fn(rec, v);
        if (val === null || val === '') {
          if (f.required) return this.reject(raw, f.rejectAs, `${f.name} is empty (mapping "${mapping.name}")`);
          v[f.name] = null;
        } else v[f.name] = val;
      }
    } catch (e) {
      if (e instanceof ExprRuntimeError) return this.reject(raw, 'INVALID_FIELD', `${stage} ${current}: ${e.message}`);
      return this.reject(raw, 'RULE_ERROR', `${stage} ${current}: ${(e as Error).message}`);
    }
    const id = String(v.id);
    if (r.dedupWindow > 0) {
      if (this.seen.has(id)) return 'duplicate';
      this.seen.add(id);
      if (this.seen.size > r.dedupWindow) this.seen.delete(this.seen.values().next().value as string);
    }
    const quantity = Number(v.quantity);
    if (!Number.isInteger(quantity) || quantity < 0) {
      return this.reject(raw, 'INVALID_FIELD', `quantity ${JSON.stringify(v.quantity)} is not a non-negative integer in base unit ${v.unit} (round it explicitly)`);
    }
    const startTime = Number(v.startTime);
    if (!Number.isFinite(startTime)) return this.reject(raw, 'INVALID_FIELD', `startTime ${JSON.stringify(v.startTime)} is not a time (use time())`);
    const usageClass = v.usageClass == null ? '' : String(v.usageClass);
    if (!usageClass) return this.reject(raw, 'MISSING_FIELD', 'usageClass is empty (no usage-class rule matched)');
    const attrs: Record<string, string> = {};
    for (const k in v) if (!CORE.has(k) && v[k] !== null) attrs[k] = String(v[k]);
    const account = String(v.account);
    return {
      id,
      feed: raw.feed,
      usageClass,
      account,
      service: v.service == null ? '' : String(v.service),
      ratingKey: v.ratingKey == null ? account : String(v.ratingKey),
      startTime,
      quantity,
      unit: String(v.unit),
      origin: v.origin == null ? '' : String(v.origin),
      destination: v.destination == null ? '' : String(v.destination),
      attrs,
      source: raw.source,
      rulesVersion: r.version,
    };
  }
}

function truthy(v: Value): boolean {
  return !(v === null || v === false || v === '' || v === 0);
}
