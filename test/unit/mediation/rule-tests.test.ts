/** `ratestream test rules/`: every rule test passes and together they exercise every parser and every function. */
import { describe, expect, it } from 'vitest';
import { runTests } from '../../../engine/cli/commands/test.ts';

describe('rules/*.test.yaml', () => {
  it('all pass and cover every parser and function', async () => {
    const s = await runTests(['rules/cgrates', 'rules/brief', 'rules/iot']); // the mediation-test files (rating adds its own kinds)
    expect(s.lines).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.cases).toBeGreaterThan(15);
    expect(s.coverage.parsers!.missing).toEqual([]);
    expect(s.coverage.functions!.missing).toEqual([]);
  }, 60_000);
});
