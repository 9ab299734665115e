import { describe, expect, it } from 'vitest';
import { machineProbe } from '../../../bench/machine-probe.ts';

describe('bench machine probe', () => {
  it('does the same work on every call (same checksum) and reports its CPU time', () => {
    const a = machineProbe();
    const b = machineProbe();
    expect(a.checksum).toBe(b.checksum);
    expect(a.checksum).not.toBe(0);
    // a CPU time was measured (no bound on it: timings are not asserted)
    expect(a.cpuMs).toBeGreaterThan(0);
    expect(Number.isFinite(b.cpuMs)).toBe(true);
  });
});
