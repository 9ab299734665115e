/** Quantities in catalogs ("60s", "1MB", "10", "1KiB") → integer base units matching UDR units. */
const FACTORS: Record<string, [number, string]> = {
  ms: [1, 'ms'], s: [1000, 'ms'], min: [60_000, 'ms'], m: [60_000, 'ms'], h: [3_600_000, 'ms'],
  B: [1, 'byte'], kB: [1000, 'byte'], KB: [1000, 'byte'], MB: [1e6, 'byte'], GB: [1e9, 'byte'],
  KiB: [1024, 'byte'], MiB: [1024 ** 2, 'byte'], GiB: [1024 ** 3, 'byte'],
};

/** Parse "60s" / "30" / "1MB"; a bare number is taken in `unit` (events, ml, ...). Returns integer base units. */
export function parseQuantity(text: string, unit: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) throw new Error(`not a quantity: ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const suffix = m[2]!;
  if (!suffix) {
    if (!Number.isInteger(n)) throw new Error(`quantity ${text} must be an integer number of ${unit}`);
    return n;
  }
  const f = FACTORS[suffix];
  if (!f) throw new Error(`unknown unit ${JSON.stringify(suffix)} in ${JSON.stringify(text)} (ms, s, min, h, B, kB, MB, GB, KiB, MiB, GiB)`);
  if (f[1] !== unit) throw new Error(`${JSON.stringify(text)} is a ${f[1] === 'ms' ? 'time' : 'data'} quantity but the usage unit is ${unit}`);
  const v = n * f[0];
  if (!Number.isInteger(v)) throw new Error(`${text} is not a whole number of ${unit}`);
  return v;
}
