/**
 * What mediation did with one record of an input, for `explain` when no UDR came from it: ignored (by which filter,
 * as a duplicate, as the partner of a pair), rejected (reason and message), held for pairing, or not a record at all
 * (a header, trailer, comment or blank line the framer consumed). The input is framed again and every record before
 * the target is mediated first, so dedup and pairing state are as in the run.
 */
import { readFileSync } from 'node:fs';
import type { RawRecord } from '../core/types.ts';
import type { CompiledMediation } from './compiler.ts';
import { Mediator } from './mediator.ts';

/** does source coordinate `source` name the record `ref` (file:line, the file possibly given by a shorter path)? */
export function sourceMatches(source: string, ref: string): boolean {
  return source === ref || source.endsWith(`/${ref}`) || source.endsWith(ref);
}

const IGNORED_AS: Record<string, string> = {
  duplicate: 'as a duplicate (its record id was seen earlier in the input)',
  paired: 'as the stop/update half of a pair (the start record\'s UDR carries it)',
  header: 'as a header line',
  trailer: 'as a trailer line',
  comment: 'as a comment line',
};

export async function recordFate(rules: CompiledMediation, feed: string, files: readonly { path: string; name: string }[], ref: string): Promise<string | undefined> {
  const m = new Mediator(rules);
  const mediate = async (batch: RawRecord[]) => {
    for (let i = 0; i < batch.length; i += 8192) {
      const part = batch.slice(i, i + 8192);
      await rules.parser.prepare?.(part);
      m.mediate(part);
    }
  };
  for (const f of files) {
    const framer = rules.parser.createFramer(f.name, feed);
    const first = framer.push(readFileSync(f.path));
    const last = framer.end();
    const records = [...first.records, ...last.records];
    const i = records.findIndex((r) => sourceMatches(r.source, ref));
    if (i < 0) {
      const line = /:(\d+)$/.exec(ref);
      if (line && sourceMatches(`${f.name}:${line[1]}`, ref)) {
        const ignored = [...first.ignored, ...last.ignored].map(([k, n]) => `${k}=${n}`).join(', ');
        return `record ${ref} is not a record of the feed: the framer consumed line ${line[1]} (a header, trailer, comment or blank line; framing ignored ${ignored || 'nothing'} in ${f.name})`;
      }
      await mediate(records);
      continue;
    }
    await mediate(records.slice(0, i));
    const target = records[i]!;
    await rules.parser.prepare?.([target]);
    const res = m.mediate([target]);
    const [reason] = [...res.ignored.keys()];
    if (reason !== undefined) return `record ${ref} was ignored ${IGNORED_AS[reason] ?? `by filter ${reason}`}`;
    const rej = res.rejects.find((r) => r.source === target.source);
    if (rej) return `record ${ref} was rejected: ${rej.reason}: ${rej.message}`;
    if (res.udrs.length) return undefined;
    if (res.pending > 0) {
      await mediate(records.slice(i + 1));
      const end = m.flush();
      const unpaired = end.rejects.find((r) => r.source === target.source);
      if (unpaired) return `record ${ref} was rejected: ${unpaired.reason}: ${unpaired.message}`;
      return `record ${ref} is a pairing half: its UDR is made from the start record of its pair`;
    }
    return undefined;
  }
  return undefined;
}
