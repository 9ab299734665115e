/** The demo's customers: accounts, mobile subscriptions (MSISDNs) and IoT devices, generated deterministically. */
import { Prng } from './prng.ts';

export interface DemoAccount {
  id: string;
  name: string;
  parent?: string;
  msisdns: string[];
  devices: string[];
}

export const DEMO_PERIOD = { year: 2026, month: 10 } as const;

const NAMES: [string, string, string | undefined][] = [
  ['ACME', 'Acme Logistics BV', undefined],
  ['ACME-FLEET', 'Acme Fleet Services', 'ACME'],
  ['GLOBEX', 'Globex Energy NV', undefined],
  ['INITECH', 'Initech Consulting', undefined],
  ['UMBRELLA', 'Umbrella Agritech', undefined],
  ['HOOLI', 'Hooli Retail', undefined],
];

export function demoWorld(): DemoAccount[] {
  const rnd = new Prng(20261001);
  return NAMES.map(([id, name, parent], i) => {
    const msisdns: string[] = [];
    const devices: string[] = [];
    const nm = 3 + (i % 3);
    for (let k = 0; k < nm; k++) msisdns.push(`+316${String(10000000 + rnd.int(0, 89999999)).padStart(8, '0')}`);
    const nd = i === 3 ? 0 : 2 + (i % 4);
    for (let k = 0; k < nd; k++) devices.push(`35${String(rnd.int(0, 99999999)).padStart(8, '0')}${String(rnd.int(0, 99999)).padStart(5, '0')}`);
    return { id, name, parent, msisdns, devices };
  });
}
