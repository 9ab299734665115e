import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkGolden } from '../../../engine/rating/scenario.ts';

const dir = new URL('../../../rules/rating/scenarios/', import.meta.url).pathname;

describe('rating scenarios match their golden files (ratestream rating-golden --update rewrites them)', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.scenario.yaml'))) {
    it(f, () => expect(checkGolden(dir + f)).toBeNull());
  }
});
