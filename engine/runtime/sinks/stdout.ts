/**
 * Sink `stdout`: the dry-run output — UDRs, charges and rejects as JSON lines ({"udr":…} / {"charge":…} /
 * {"reject":…}) on stdout, written in blocks (nothing is stored). A charge's amount is exact decimal text, never a
 * JSON number; its lineage is printed as the object it is, in full (a usage charge's compact lineage expanded with its
 * rate's terms: model, detail, connect fee, rounding — what the ledger keeps once per rate in `rate_terms`).
 */
import { z } from 'zod';
import { formatMoney } from '../../core/money.ts';
import type { Charge, Reject, Udr } from '../../core/types.ts';
import { fullLineageText } from '../../rating/steps/lineage.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({
  udrs: z.boolean().default(true).describe('print the UDRs'),
  rejects: z.boolean().default(true).describe('print the rejects'),
  charges: z.boolean().default(true).describe('print the charges (when the pipeline rates)'),
}).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'stdout',
  description: 'UDRs, charges and rejects as JSON lines on stdout (dry-run, replay-dlq).',
  options,
  examples: [{}, { udrs: false }],
};

export class StdoutSink {
  private readonly out: string[] = [];
  constructor(private readonly o: { udrs: boolean; rejects: boolean; charges?: boolean }, private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  private push(s: string): void {
    this.out.push(s);
    if (this.out.length >= 4096) this.flush();
  }

  udrs(udrs: readonly Udr[]): void {
    if (this.o.udrs) for (const u of udrs) this.push(JSON.stringify({ udr: u }));
  }

  charges(charges: readonly Charge[]): void {
    if (this.o.charges === false) return;
    for (const c of charges) this.push(JSON.stringify({ charge: { ...c, amount: formatMoney(c.amount), lineage: JSON.parse(fullLineageText(c)) as unknown } }));
  }

  /** `stage` marks rejects that are not mediation's (rating rejects carry stage "rating", as in the DLQ) */
  rejects(rejects: readonly Reject[], stage?: 'rating'): void {
    if (this.o.rejects) for (const r of rejects) this.push(JSON.stringify({ reject: stage ? { ...r, stage } : r }));
  }

  flush(): void {
    if (this.out.length) this.write(`${this.out.join('\n')}\n`);
    this.out.length = 0;
  }
}
