/**
 * What mediation did with one record of an input, for `explain` when no UDR came from it: ignored (by which filter,
 * as a duplicate, as the partner of a pair), rejected (reason and message), held for pairing, or not a record at all
 * (a header, trailer, comment or blank line the framer consumed). The input is read again through the same source,
 * framer and batch driver as the run, and every record before the target is mediated first, so dedup and pairing state
 * are as in the run.
 */
import type { RawRecord } from '../core/types.ts';
import { BatchDriver, type DrivenPipeline } from './driver.ts';
import { FileSource, type InputFile } from './sources/file.ts';

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

export async function recordFate(p: DrivenPipeline, files: readonly InputFile[], ref: string): Promise<string | undefined> {
  const d = new BatchDriver(p, { rate: false });
  const line = /:(\d+)$/.exec(ref)?.[1];
  let target: RawRecord | undefined;
  let framerIgnored = new Map<string, number>();
  let unitHasTarget = false;
  for await (const b of new FileSource(files, p.mediation.parser, p.feed, 8192).batches()) {
    if (target) { await d.step(b); continue; } // held for pairing: the rest of the input may complete it
    for (const [k, n] of b.ignored) framerIgnored.set(k, (framerIgnored.get(k) ?? 0) + n);
    const i = b.records.findIndex((r) => sourceMatches(r.source, ref));
    if (i < 0) {
      await d.step(b);
      if (b.unitEnd) {
        if (!unitHasTarget && line && sourceMatches(`${b.unit}:${line}`, ref)) {
          const ignored = [...framerIgnored].map(([k, n]) => `${k}=${n}`).join(', ');
          return `record ${ref} is not a record of the feed: the framer consumed line ${line} (a header, trailer, comment or blank line; framing ignored ${ignored || 'nothing'} in ${b.unit})`;
        }
        framerIgnored = new Map();
        unitHasTarget = false;
      }
      continue;
    }
    unitHasTarget = true;
    const t = b.records[i]!;
    await d.step({ records: b.records.slice(0, i), ignored: b.ignored });
    const res = (await d.records([t])).mediation;
    const [reason] = [...res.ignored.keys()];
    if (reason !== undefined) return `record ${ref} was ignored ${IGNORED_AS[reason] ?? `by filter ${reason}`}`;
    const rej = res.rejects.find((r) => r.source === t.source);
    if (rej) return `record ${ref} was rejected: ${rej.reason}: ${rej.message}`;
    if (res.udrs.length || res.pending === 0) return undefined;
    target = t;
    await d.records(b.records.slice(i + 1));
  }
  if (!target) return undefined;
  const unpaired = d.flush().rejects.find((r) => r.source === target.source);
  if (unpaired) return `record ${ref} was rejected: ${unpaired.reason}: ${unpaired.message}`;
  return `record ${ref} is a pairing half: its UDR is made from the start record of its pair`;
}
