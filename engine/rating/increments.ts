/**
 * Charging increments: "first/subsequent" (e.g. 60/60, 30/6, 1/1). Usage up to the first interval bills the
 * first interval; the rest is rounded up to whole subsequent increments. Zero usage bills zero.
 * The general rule (steps, time windows) lives in price/per-unit.ts (billSteps); this is the simple form.
 */
export interface Increments {
  first: number;
  next: number;
}

export function billedQuantity(q: number, inc: Increments): number {
  if (q <= 0) return 0;
  if (q <= inc.first) return inc.first;
  const rest = q - inc.first;
  return inc.first + Math.ceil(rest / inc.next) * inc.next;
}
