import { describe, expect, it } from 'vitest';
import { runCatalogTests } from '../../../engine/testing/catalog-test.ts';

describe('catalog-test kind', () => {
  it('runs rules/rating/telecom/catalog.test.yaml', async () => {
    const r = await runCatalogTests(new URL('../../../rules/rating/telecom/catalog.test.yaml', import.meta.url).pathname);
    expect(r.cases.map((c) => [c.name.split(' (')[0], c.failures])).toEqual(r.cases.map((c) => [c.name.split(' (')[0], []]));
  });
});
