/** The broker's group state names as the port reports them, whatever spelling a client hands back (`Stable`, `STABLE`, `PREPARING_REBALANCE`, …). */
import type { GroupState } from './port.ts';

const STATES: Record<string, GroupState> = {
  stable: 'Stable',
  preparingrebalance: 'PreparingRebalance',
  completingrebalance: 'CompletingRebalance',
  empty: 'Empty',
  dead: 'Dead',
};

export function groupState(raw: string | null | undefined): GroupState {
  return STATES[(raw ?? '').toLowerCase().replace(/[^a-z]/g, '')] ?? 'Unknown';
}
