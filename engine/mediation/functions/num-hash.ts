/**
 * Hash of a numeric key (up to 15 digits, so below 2^53) for the open-addressing tables of the lookup and phone
 * caches; `salt` tells apart keys of the same value but another form (leading '+', digit count). Mask the result with
 * the table's capacity − 1.
 */
export function numHash(v: number, salt: number): number {
  const lo = v >>> 0;
  const hi = (v / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(hi + salt, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
