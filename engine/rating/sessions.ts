/**
 * Partial records: the interim/continuation records of one session (UDR `attrs.sessionId` + `attrs.sequence`) are
 * rated as one call. Each part is charged the difference between the whole call so far and the call before it, both
 * priced from the session's start: round(cost(prior + q)) − round(cost(prior)). So the connect fee and a first
 * increment fall on the first part only, steps/tiers/increments continue across parts, a max/min cost applies to the
 * call, and the parts' charges always sum to the whole call rated at once (the differences telescope).
 *
 * State: `sessions[account|sessionId]` = start, cumulative quantity, billed and rounded amount, last sequence. A part
 * whose sequence was already seen is rejected (a duplicate; parts must come in order per session). `attrs.final:
 * "true"` on the last part removes the entry. Only the UDR quantity (no measure) of record-basis rates is sessioned.
 */
import type { Udr } from '../core/types.ts';
import type { RatingState, SessionState } from './state.ts';

export const SESSION_ATTR = 'sessionId';
export const SEQUENCE_ATTR = 'sequence';
export const FINAL_ATTR = 'final';

export interface SessionPart {
  key: string;
  id: string;
  seq: number;
  /** the session so far (before this part); undefined for a new session */
  entry: SessionState | undefined;
  final: boolean;
}

/** the session part of a UDR, null when it is not a partial record, or an error text */
export function sessionPart(u: Udr, state: RatingState): SessionPart | null | string {
  const id = u.attrs[SESSION_ATTR];
  if (!id) return null;
  const raw = u.attrs[SEQUENCE_ATTR] ?? '';
  const seq = Number(raw);
  if (raw === '' || !Number.isInteger(seq) || seq < 0) return `session ${id}: attrs.${SEQUENCE_ATTR} = ${JSON.stringify(raw)} is not a non-negative integer`;
  const key = `${u.account}|${id}`;
  const entry = state.sessions?.[key];
  if (entry && seq <= entry.seq) return `session ${id}: part ${seq} comes after part ${entry.seq} (a duplicate, or out of order: parts must come in sequence)`;
  return { key, id, seq, entry, final: u.attrs[FINAL_ATTR] === 'true' };
}
