/** Stable identifiers: a short hex digest of the given values (for record ids when a feed has none). */
import { createHash } from 'node:crypto';
import type { FunctionSpec } from '../../expr/compile.ts';
import { str, type Value } from '../../expr/runtime.ts';

export const hash: FunctionSpec = {
  name: 'hash', description: 'hash(a, b, ...): 20-hex-char SHA-1 digest of the values joined by 0x1f; a stable record id.',
  minArgs: 1, maxArgs: 32,
  examples: [{ expr: "hash('a', 'b')", result: '687d61996b1c1278c973' }],
  fn: (...xs: Value[]) => createHash('sha1').update(xs.map(str).join('\u001f')).digest('hex').slice(0, 20),
};
