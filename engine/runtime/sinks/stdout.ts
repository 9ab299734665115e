/**
 * Sink `stdout`: the dry-run output — UDRs and rejects as JSON lines ({"udr":…} / {"reject":…}) on stdout, written in
 * blocks (nothing is stored).
 */
import { z } from 'zod';
import type { Reject, Udr } from '../../core/types.ts';
import type { SinkSpec } from './sink.ts';

const options = z.object({
  udrs: z.boolean().default(true).describe('print the UDRs'),
  rejects: z.boolean().default(true).describe('print the rejects'),
}).strict();

export const spec: SinkSpec<typeof options> = {
  type: 'stdout',
  description: 'UDRs and rejects as JSON lines on stdout (dry-run, replay-dlq).',
  options,
  examples: [{}, { udrs: false }],
};

export class StdoutSink {
  private readonly out: string[] = [];
  constructor(private readonly o: { udrs: boolean; rejects: boolean }, private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  private push(s: string): void {
    this.out.push(s);
    if (this.out.length >= 4096) this.flush();
  }

  udrs(udrs: readonly Udr[]): void {
    if (this.o.udrs) for (const u of udrs) this.push(JSON.stringify({ udr: u }));
  }

  rejects(rejects: readonly Reject[]): void {
    if (this.o.rejects) for (const r of rejects) this.push(JSON.stringify({ reject: r }));
  }

  flush(): void {
    if (this.out.length) this.write(`${this.out.join('\n')}\n`);
    this.out.length = 0;
  }
}
