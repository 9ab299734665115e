/**
 * Balance debit (catalog `balances`): once the UDR is priced, each of its charges with a non-zero amount is debited
 * from the balances that pay for the charge's account (balances.ts: own balance, balance group strategy, buckets
 * expiring first, credit limit). The charge keeps its amount; its lineage gets `balance` (status covered/exhausted,
 * the debits, the uncovered part). Only the primary charging run moves balances (the Rater runs this phase there).
 */
import { formatMoney } from '../../core/money.ts';
import { lineageText } from '../../core/types.ts';
import { debitAccount, debitLineage } from '../balances.ts';
import { UsageLineage } from './lineage.ts';
import type { Lineage, MeasureContext, RatingStep } from './types.ts';

export const balanceDebit: RatingStep = {
  id: 'balance-debit',
  phase: 'settle',
  description: 'debit each charge of the UDR from the money balances paying for its account (never below -credit-limit unless allow-negative)',
  applies: (_ix, cat) => cat.balances.accounts.size > 0 || cat.balances.groups.size > 0,
  run(ctx: MeasureContext): boolean {
    const { host, charges } = ctx;
    const bal = host.catalog.balances;
    for (let i = ctx.udrStart; i < charges.length; i++) {
      const c = charges[i]!;
      if (c.amount === 0n) continue;
      const d = debitAccount(host, bal, c.account, c.amount, c.eventTime, c.id);
      if (!d) continue;
      const l = debitLineage(d);
      if (!host.tracing()) {
        // the lineage gets one more field (no parse and re-serialisation per charge)
        if (c.lineage instanceof UsageLineage) c.lineage.tail += `,"balance":${JSON.stringify(l)}`;
        else c.lineage = `${lineageText(c).slice(0, -1)},"balance":${JSON.stringify(l)}}`;
        continue;
      }
      const text = `balance debit ${formatMoney(c.amount)} for ${c.account}: ${d.debits.map((x) => `${x.balance} ${x.before} → ${x.after}`).join(', ') || 'no balance can pay'}${d.uncovered > 0n ? `; ${formatMoney(d.uncovered)} not covered (balance exhausted)` : ''}`;
      host.step(text);
      const lin = JSON.parse(lineageText(c)) as Lineage;
      lin.balance = l;
      if (Array.isArray(lin.steps)) (lin.steps as string[]).push(text);
      c.lineage = JSON.stringify(lin);
    }
    return true;
  },
};
