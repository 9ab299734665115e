/**
 * How fast this machine's core is right now: the CPU milliseconds of a fixed piece of JavaScript work (line slicing,
 * a Map lookup and integer arithmetic per line, as the engine's hot path does), the same work on every call.
 *
 * The benches run on 2 shared vCPUs whose speed varies with the host's load: the same engine code measured
 * 11.8–19.5 CPU-s per million records within five minutes, with this machine otherwise idle. A probe beside each run
 * says which machine state a figure came from (a slow probe: a busy host), so runs can be compared across hours and a
 * target checked against runs of the same state. The probe does not change the run's figures.
 *
 *   import { machineProbe } from './machine-probe.ts';  const ms = machineProbe();
 */

const LINES = 20_000;
const ROUNDS = 16;

/** fixed synthetic CSV lines (the same on every call) */
function lines(): string[] {
  const out: string[] = new Array(LINES);
  let x = 12345;
  for (let i = 0; i < LINES; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = `6,NW${20261001000000 + i},${x % 3 === 0 ? 'VOICE' : 'DATA'},06 ${x % 9973} ${x % 7919},,,2026-10-01 10:45:32,${x % 3600},${x % 1_000_000},${x % 9_999_999},204-08-${x % 10_000}`;
  }
  return out;
}

/** one pass: split each line, look its type up, sum a checksum (returned, so the work is not optimised away) */
function pass(input: readonly string[], types: Map<string, number>): number {
  let sum = 0;
  for (let i = 0; i < input.length; i++) {
    const line = input[i]!;
    let from = 0;
    let field = 0;
    while (true) {
      const d = line.indexOf(',', from);
      const f = d < 0 ? line.slice(from) : line.slice(from, d);
      if (field === 2) sum = (sum + (types.get(f) ?? 7)) | 0;
      else if (field === 7 || field === 8) sum = (sum + (Number(f) | 0)) | 0;
      else sum = (Math.imul(sum, 31) + f.length) | 0;
      field++;
      if (d < 0) break;
      from = d + 1;
    }
  }
  return sum;
}

/**
 * CPU milliseconds (user + system of this process) of the fixed work: warm-up passes (the JIT settles), then ROUNDS
 * passes. Other threads of the process count too, so call it while the engine is idle (before or after a run).
 */
export function machineProbe(): { cpuMs: number; checksum: number } {
  const input = lines();
  const types = new Map([['VOICE', 1], ['DATA', 2], ['SMS-MO', 3]]);
  let checksum = 0;
  for (let w = 0; w < 4; w++) checksum = (checksum + pass(input, types)) | 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) checksum = (checksum + pass(input, types)) | 0;
  const c = process.cpuUsage(c0);
  return { cpuMs: +((c.user + c.system) / 1000).toFixed(1), checksum };
}
