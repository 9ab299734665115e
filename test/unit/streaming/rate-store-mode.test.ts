/**
 * `rate.store` resolution per process: `auto` is direct only where the rate role can reach the store (it runs beside
 * the sink, or a ClickHouse server is configured), and a sink resolves the same way as the rate roles of its deployment.
 */
import { describe, expect, it } from 'vitest';
import { rateStoreMode, serveSchema } from '../../../engine/runtime/streaming/config.ts';

describe('rate.store', () => {
  it('defaults to auto with 4 MiB rate fetches, no rated topic in direct mode, with-mediation auto', () => {
    const c = serveSchema.parse({ kind: 'serve', pipelines: ['p.yaml'] });
    expect(c.rate).toEqual({ 'dedup-window': 200_000, 'max-bytes-per-partition': 4 << 20, store: 'auto', 'rated-topic': false, 'with-mediation': 'auto' });
  });

  it('auto: direct with rate and sink in one process or a ClickHouse server; topics otherwise', () => {
    expect(rateStoreMode('auto', ['mediate', 'rate', 'sink'], false)).toBe('direct');
    expect(rateStoreMode('auto', ['rate', 'sink'], false)).toBe('direct');
    // the in-process engine belongs to the sink's process: rate-only and sink-only processes stay on the topics
    expect(rateStoreMode('auto', ['mediate', 'rate'], false)).toBe('topics');
    expect(rateStoreMode('auto', ['sink'], false)).toBe('topics');
    // a server: every rate process reaches it, and every sink knows the rate roles store directly
    expect(rateStoreMode('auto', ['mediate', 'rate'], true)).toBe('direct');
    expect(rateStoreMode('auto', ['sink'], true)).toBe('direct');
  });

  it('an explicit setting wins', () => {
    expect(rateStoreMode('topics', ['mediate', 'rate', 'sink'], true)).toBe('topics');
    expect(rateStoreMode('direct', ['sink'], false)).toBe('direct');
  });
});
