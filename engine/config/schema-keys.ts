/**
 * The keys a zod object schema allows at a path of a document (for "unknown key … did you mean …"). Walks the
 * schema along the path through optional/default/pipe wrappers, arrays, records and unions; a union is resolved
 * by its discriminator when the document has one, else by the object option sharing most keys with the document.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  getter?: () => z.ZodType;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 32; i++) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else break;
  }
  return s;
}

function literalValues(s: z.ZodType): unknown[] {
  const d = defOf(unwrap(s));
  return d.type === 'literal' ? (d.values ?? []) : [];
}

/** a union narrowed to the option that fits `value` best (non-unions unchanged) */
function pick(s: z.ZodType, value: unknown): z.ZodType {
  s = unwrap(s);
  const d = defOf(s);
  if (d.type !== 'union' || !d.options) return s;
  const options = d.options.map((o) => pick(o, value));
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (d.discriminator && obj) {
    const hit = options.find((o) => literalValues(defOf(o).shape?.[d.discriminator!] ?? o).includes(obj[d.discriminator!]));
    if (hit) return hit;
  }
  const objects = options.filter((o) => defOf(o).type === 'object');
  if (!obj || !objects.length) return options.find((o) => defOf(o).type === (Array.isArray(value) ? 'array' : 'object')) ?? s;
  let best = objects[0]!;
  let score = -1;
  for (const o of objects) {
    const keys = Object.keys(defOf(o).shape ?? {});
    const n = Object.keys(obj).filter((k) => keys.includes(k)).length;
    if (n > score) { best = o; score = n; }
  }
  return best;
}

export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], doc: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  let v = doc;
  for (const key of path) {
    s = pick(s, v);
    const d = defOf(s);
    if (d.type === 'object') s = d.shape?.[String(key)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return [];
    if (!s) return [];
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key as string] : undefined;
  }
  const d = defOf(pick(s, v));
  return d.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}
