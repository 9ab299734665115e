/**
 * Deterministic generator of the demo feeds: a carrier CDR CSV feed and an IoT device JSON-lines feed for the demo
 * period, a few thousand records over several accounts, including malformed lines, unknown subscribers,
 * non-billable record types and duplicates. Same output every run (seeded PRNG, fixed clock).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { Prng } from './prng.ts';
import { DEMO_PERIOD, demoWorld, type DemoAccount } from './world.ts';

export interface GeneratedFeeds {
  carrierFiles: string[];
  iotFiles: string[];
  stats: { carrierLines: number; iotLines: number };
}

/** "+31612345678" → national "06 1234 5678" (how the switch writes local subscribers) */
function national(e164: string): string {
  const n = `0${e164.slice(3)}`;
  return `${n.slice(0, 2)} ${n.slice(2, 6)} ${n.slice(6)}`;
}

const DESTS = ['+31201234567', '+31104567890', '+3222345678', '+4930123456', '+442071234567', '+12125550123', '+31612000001', '+33142685300'];

export function generateDemoFeeds(outDir: string, opts: { days?: number; perDay?: number } = {}): GeneratedFeeds {
  const rnd = new Prng(42);
  const world = demoWorld();
  const days = opts.days ?? 3;
  const perDay = opts.perDay ?? 1000;
  const carrierDir = join(outDir, 'carrier');
  const iotDir = join(outDir, 'iot');
  for (const d of [carrierDir, iotDir]) mkdirSync(d, { recursive: true });

  const subs = subscriptions(world);
  const devices = deviceServices(world);


  const carrierFiles: string[] = [];
  const iotFiles: string[] = [];
  let carrierLines = 0, iotLines = 0, seq = 0;
  // Day n is the (n-1)th calendar day after the first of the demo month (local midnight, DST-safe): past the month
  // end it rolls into the next month instead of becoming an invalid date (which also made file names and ids collide).
  const first = DateTime.fromObject({ year: DEMO_PERIOD.year, month: DEMO_PERIOD.month, day: 1 }, { zone: 'Europe/Amsterdam' });
  for (let day = 1; day <= days; day++) {
    const date = first.plus({ days: day - 1 });
    const lines = ['record_type,record_id,event_type,calling,called,sms_peer,start_time,duration_s,bytes_up,bytes_down,cell_id'];
    const emitted: string[] = [];
    for (let i = 0; i < perDay; i++) {
      const s = rnd.pick(subs);
      const t = date.plus({ seconds: rnd.int(0, 86_399) }).toFormat('yyyy-MM-dd HH:mm:ss');
      const id = `NW${date.toFormat('yyyyMMdd')}${String(++seq).padStart(7, '0')}`;
      const kind = rnd.next();
      const cell = `204-08-${rnd.int(1000, 9999)}`;
      const calling = rnd.chance(0.5) ? national(s.msisdn) : s.msisdn;
      let line: string;
      if (kind < 0.05) line = `1,${id},SWITCH-EVENT,,,,${t},,,,${cell}`; // not a billable record: filtered
      else if (kind < 0.55) line = `6,${id},VOICE,${calling},${rnd.pick(DESTS)},,${t},${rnd.chance(0.1) ? 0 : rnd.int(1, 1800)},,,${cell}`;
      else if (kind < 0.7) line = `6,${id},SMS-MO,${calling},${rnd.pick(DESTS)},,${t},,,,${cell}`;
      else if (kind < 0.8) line = `6,${id},SMS-MT,${calling},,${rnd.pick(DESTS)},${t},,,,${cell}`;
      else line = `6,${id},DATA,${calling},,,${t},${rnd.int(1, 3600)},${rnd.int(0, 5_000_000)},${rnd.int(0, 50_000_000)},${cell}`;
      // planted faults: malformed lines, bad timestamps, unknown subscribers, duplicates
      const f = rnd.next();
      if (f < 0.004) line = line.split(',').slice(0, 5).join(',');
      else if (f < 0.008) line = line.replace(t, `${t.slice(0, 10)}T25:99`);
      else if (f < 0.012) line = line.replace(calling, '+31699999999');
      lines.push(line);
      emitted.push(line);
      if (rnd.chance(0.01)) lines.push(rnd.pick(emitted)); // the switch re-sent a record
    }
    const file = join(carrierDir, `cdr-${date.toFormat('yyyyMMdd')}.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    carrierFiles.push(file);
    carrierLines += lines.length;

    const jl: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < Math.floor(perDay * 0.6); i++) {
      const d = rnd.pick(devices);
      const start = date.plus({ seconds: rnd.int(0, 86_399) }).toUTC().toISO();
      const rec = {
        recordId: `IOT-${date.toFormat('yyyyMMdd')}-${String(++seq).padStart(7, '0')}`,
        device: { imei: rnd.chance(0.01) ? '350000000000000' : d.imei, firmware: `4.${rnd.int(0, 9)}` },
        session: { start, durationSeconds: rnd.int(10, 3600), uplinkBytes: rnd.int(0, 2_000_000), downlinkBytes: rnd.int(0, 8_000_000) },
        apn: rnd.pick(['iot.northwind', 'iot.northwind.secure']),
      };
      let line = JSON.stringify(rec);
      if (rnd.chance(0.004)) line = line.slice(0, Math.floor(line.length / 2)); // truncated by the gateway
      jl.push(line);
      sent.push(line);
      if (rnd.chance(0.01)) jl.push(rnd.pick(sent));
    }
    const jf = join(iotDir, `sessions-${date.toFormat('yyyyMMdd')}.jsonl`);
    writeFileSync(jf, `${jl.join('\n')}\n`);
    iotFiles.push(jf);
    iotLines += jl.length;
  }
  return { carrierFiles, iotFiles, stats: { carrierLines, iotLines } };
}

export function subscriptions(world: DemoAccount[]) {
  return world.flatMap((a) => a.msisdns.map((m, i) => ({ account: a, msisdn: m, service: `${a.id}-M${i + 1}` })));
}

export function deviceServices(world: DemoAccount[]) {
  return world.flatMap((a) => a.devices.map((d, i) => ({ account: a, imei: d, service: `${a.id}-IOT${i + 1}` })));
}

/**
 * The reference tables the demo rules enrich from (committed as rules/demo/msisdn.csv and devices.csv; a test
 * fails when they drift from the generator's world).
 */
export function demoReferenceTables(): Record<'msisdn.csv' | 'devices.csv', string> {
  const world = demoWorld();
  return {
    'msisdn.csv': `${['msisdn,account,service', ...subscriptions(world).map((s) => `${s.msisdn},${s.account.id},${s.service}`)].join('\n')}\n`,
    'devices.csv': `${['imei,account,service', ...deviceServices(world).map((d) => `${d.imei},${d.account.id},${d.service}`)].join('\n')}\n`,
  };
}
