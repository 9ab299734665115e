/** A full disk under the data folder becomes one clear line (engine/store/no-space.ts); other errors pass through. */
import { describe, expect, it } from 'vitest';
import { noSpaceError } from '../../../engine/store/no-space.ts';

describe('noSpaceError', () => {
  it('recognises ClickHouse NOT_ENOUGH_SPACE and ENOSPC writes, names the folder, keeps the first line only', () => {
    const cases: unknown[] = [
      new Error('Cannot reserve 3.83 MiB, not enough space. '),
      new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)\nStack trace:\n0. foo'),
      Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC' }),
      new Error('Cannot write to file /d/data.bin, errno: 28, strerror: No space left on device'),
    ];
    for (const e of cases) {
      const n = noSpaceError(e, '/mnt/db');
      expect(n?.message).toMatch(/^no space left on the device of the data folder \/mnt\/db \(.+\): free space there/);
      expect(n?.message).not.toContain('Stack trace');
      expect(n?.message.split('\n')).toHaveLength(1);
    }
  });

  it('leaves other errors alone', () => {
    expect(noSpaceError(new Error('table charges does not exist'), '/mnt/db')).toBeUndefined();
    expect(noSpaceError(Object.assign(new Error('permission denied'), { code: 'EACCES' }), '/mnt/db')).toBeUndefined();
  });
});
