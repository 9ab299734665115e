/**
 * Worker thread of the embedded mode: reads and processes files (framing, mediation, rating, TSV encoding) and posts
 * each encoded batch to the main thread, which feeds the ClickHouse engine. At most two batches are unacknowledged,
 * so memory stays bounded whatever the file size. Protocol (all messages structured-clone friendly):
 *   main → worker: {type:'file', input, sha, last} · {type:'ack'} · {type:'close'}
 *   worker → main: {type:'ready'} · {type:'batch', batch} · {type:'bytes', n} · {type:'end', counters} · {type:'error', message}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRuntimePipeline } from './driver.ts';
import { type EncodedBatch, FileProcessor, type InsertFormat } from './file-processor.ts';
import type { PartitionBlock } from '../store/month-split.ts';
import type { InputFile } from './sources/file.ts';

export interface WorkerInit {
  pipelineFile: string;
  ratingState?: string;
  insertFormat?: InsertFormat;
  nativeMinBytes?: number;
}

const port = parentPort!;

/** a Native block whose parts (views into reused writers) are copied into one buffer, to be transferred */
function oneCopy(b: PartitionBlock, transfer: ArrayBuffer[]): PartitionBlock {
  let n = 0;
  for (const p of b.parts) n += p.byteLength;
  const one = new Uint8Array(n);
  n = 0;
  for (const p of b.parts) {
    one.set(p, n);
    n += p.byteLength;
  }
  transfer.push(one.buffer);
  return { ...b, parts: [one] };
}
const init = workerData as WorkerInit;
const MAX_UNACKED = 2;
let unacked = 0;
let wake: (() => void) | undefined;

try {
  const processor = new FileProcessor(await loadRuntimePipeline(init.pipelineFile), init.ratingState, undefined, init.insertFormat, init.nativeMinBytes);
  const emit = async (batch: EncodedBatch) => {
    unacked++;
    // the TSV bytes are views into buffers the processor reuses: post exact-size copies, transferred (not cloned again)
    const udrs = new Uint8Array(batch.udrs);
    const charges = new Uint8Array(batch.charges);
    const rejects = new Uint8Array(batch.rejects);
    const transfer = [udrs.buffer, charges.buffer, rejects.buffer];
    const native = batch.native && { udrs: batch.native.udrs.map((b) => oneCopy(b, transfer)), charges: batch.native.charges.map((b) => oneCopy(b, transfer)) };
    port.postMessage({ type: 'batch', batch: { ...batch, udrs, charges, rejects, native } }, transfer);
    while (unacked >= MAX_UNACKED) await new Promise<void>((r) => (wake = r));
  };
  port.on('message', (msg: { type: string; input?: InputFile; sha?: string; last?: boolean }) => {
    if (msg.type === 'ack') {
      unacked--;
      const w = wake;
      wake = undefined;
      w?.();
    } else if (msg.type === 'file') {
      processor
        .processFile(msg.input!, msg.sha!, emit, (n) => port.postMessage({ type: 'bytes', n }), undefined, msg.last ?? true)
        .then((r) => port.postMessage({ type: 'end', counters: r.counters }))
        .catch((e: unknown) => port.postMessage({ type: 'error', message: (e as Error).message, stack: (e as Error).stack }));
    } else if (msg.type === 'close') {
      port.close();
    }
  });
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'error', message: (e as Error).message, stack: (e as Error).stack });
}
