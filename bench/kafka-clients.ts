/**
 * Kafka clients side by side behind the port (issue 10, "Kafka client" lever): kafkajs vs @platformatic/kafka on the
 * local broker, three workloads, each in a child process of its own so CPU and RSS are the client's alone:
 *
 * - produce: an idempotent producer sends N records (32-byte key, ~150-byte value, 2 headers) in sends of 2,000;
 * - consume: a group member reads N records (4 partitions, written beforehand) from the beginning, read_committed;
 * - txn: consume → produce → sendOffsets → commit, one transaction per fetched batch, one transactional producer per
 *   input partition (the streaming roles' shape), until the input offsets committed by the transactions reach the end.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/kafka-clients.ts [--records 200000] [--runs 3] [--clients kafkajs,platformatic]
 *     [--workloads produce,consume,txn] [--profile <dir>: a V8 CPU profile per child, node --cpu-prof]
 *
 * Runs are interleaved (run 1: every workload for client A then B, run 2: B then A, …) so both see the same machine
 * state. Per child: records/s from ready (connected, partitions assigned) to done; CPU-s per million = utime + stime of
 * the child over that window (process.cpuUsage) per million records; peak RSS = the child's maxRSS (includes the tsx
 * loader, the same for both). Input topics are written by the parent (kafkajs, not measured) and deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { KAFKA_CLIENTS, kafkaClientSpec } from '../engine/runtime/kafka/client-registry.ts';
import type { KafkaClientName, KafkaPort, ProducerRecord, TransactionalProducer } from '../engine/runtime/kafka/port.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: KAFKA_CLIENTS.map((c) => c.name).join(',') },
    workloads: { type: 'string', default: 'produce,consume,txn' },
    child: { type: 'string' },
    client: { type: 'string' },
    topic: { type: 'string' },
    out: { type: 'string' },
    /** write a V8 CPU profile of every child into this folder (node --cpu-prof) */
    profile: { type: 'string' },
  },
});
const RECORDS = Number(args.records);
const PARTITIONS = 4;
const SEND = 2000;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean);
const logger = pino({ level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Workload = 'produce' | 'consume' | 'txn';

function records(topic: string, n: number, from = 0): ProducerRecord[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return {
      topic,
      key: `subscriber-${String(i % 50_000).padStart(20, '0')}`,
      value: Buffer.from(`{"seq":${i},"a":"31612345678","b":"31201234567","start":"2026-12-04T10:00:00Z","duration":${i % 3600},"cell":"NL-AMS-${i % 977}","svc":"voice"}`),
      headers: { feed: 'bench', seq: String(i) },
    };
  });
}

// ------------------------------------------------------------------------------------------------------------------
// child: one workload on one client

interface Result {
  client: string;
  workload: Workload;
  records: number;
  /** records handed to the handler (more than `records` when batches were delivered again) */
  delivered: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSecondsPerMillion: number;
  peakRssMiB: number;
}

async function child(client: KafkaClientName, workload: Workload, topic: string, out: string | undefined): Promise<Result> {
  const port = await kafkaClientSpec(client).create({ brokers, clientId: `bench-${client}` }, { logger });
  let t0 = 0;
  let c0 = process.cpuUsage();
  const start = () => {
    t0 = performance.now();
    c0 = process.cpuUsage();
  };
  let n = 0;
  if (workload === 'produce') n = await produce(port, topic, start);
  else if (workload === 'consume') n = await consume(port, topic, start);
  else n = await txnLoop(port, topic, out!, start);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const delivered = n;
  n = RECORDS;
  return {
    client,
    workload,
    records: n,
    delivered,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSecond: Math.round(n / seconds),
    cpuSecondsPerMillion: Math.round(((cpu.user + cpu.system) / 1e6 / n) * 1e6 * 100) / 100,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

async function produce(port: KafkaPort, topic: string, start: () => void): Promise<number> {
  const producer = port.producer({ idempotent: true });
  await producer.connect();
  await producer.send(records(topic, 1)); // connections and metadata warm
  const batches = Array.from({ length: Math.ceil(RECORDS / SEND) }, (_, b) => records(topic, Math.min(SEND, RECORDS - b * SEND), b * SEND));
  start();
  for (const b of batches) await producer.send(b);
  await producer.disconnect();
  return RECORDS;
}

/** Records up to `offset` of `partition` are done; true once all RECORDS are (input offsets are contiguous). */
function progress(reached: Map<number, number>, partition: number, offset: string): boolean {
  reached.set(partition, Math.max(reached.get(partition) ?? 0, Number(offset) + 1));
  let total = 0;
  for (const v of reached.values()) total += v;
  return total >= RECORDS;
}

async function consume(port: KafkaPort, topic: string, start: () => void): Promise<number> {
  const consumer = port.consumer({ groupId: `bench-consume-${randomUUID()}`, maxWaitTimeMs: 100, maxBytesPerPartition: 1024 * 1024, partitionsConsumedConcurrently: PARTITIONS });
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe([topic]);
  const reached = new Map<number, number>();
  await consumer.run(async (batch) => {
    n += batch.messages.length;
    for (const m of batch.messages) if (m.value!.length === 0) throw new Error('empty');
    if (progress(reached, batch.partition, batch.messages[batch.messages.length - 1]!.offset)) done();
  });
  start(); // run() resolves once the assignment is known
  await finished;
  await consumer.disconnect();
  return n;
}

async function txnLoop(port: KafkaPort, topic: string, output: string, start: () => void): Promise<number> {
  const groupId = `bench-txn-${randomUUID()}`;
  const consumer = port.consumer({ groupId, maxWaitTimeMs: 100, maxBytesPerPartition: 1024 * 1024, partitionsConsumedConcurrently: 2 });
  const producers = new Map<number, TransactionalProducer>();
  consumer.onPartitionsAssigned(async (tps) => {
    for (const tp of tps) {
      const p = port.transactionalProducer({ transactionalId: `${groupId}.${tp.partition}` });
      await p.connect();
      const fence = await p.begin();
      await fence.abort();
      producers.set(tp.partition, p);
    }
  });
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const reached = new Map<number, number>();
  await consumer.connect();
  await consumer.subscribe([topic]);
  await consumer.run(async (batch) => {
    const p = producers.get(batch.partition)!;
    const tx = await p.begin();
    try {
      await tx.send(batch.messages.map((m) => ({ topic: output, key: m.key, value: m.value, headers: { src: `${batch.partition}:${m.offset}` } })));
      const last = batch.messages[batch.messages.length - 1]!;
      await tx.sendOffsets(consumer.groupMetadata(), [{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await tx.commit();
    } catch (err) {
      if (tx.isActive()) await tx.abort().catch(() => undefined);
      throw err;
    }
    n += batch.messages.length;
    if (progress(reached, batch.partition, batch.messages[batch.messages.length - 1]!.offset)) done();
  });
  start();
  await finished;
  await consumer.disconnect();
  for (const p of producers.values()) await p.disconnect();
  return n;
}

// ------------------------------------------------------------------------------------------------------------------
// parent: topics, interleaved children, medians

function runChild(client: string, workload: Workload, topic: string, out?: string): Promise<Result> {
  return new Promise((res, rej) => {
    const prof = args.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.profile, `${client}-${workload}`)] : [];
    const argv = [...prof, '--import', 'tsx', resolve(import.meta.filename), '--child', workload, '--client', client, '--topic', topic, '--records', String(RECORDS), ...(out ? ['--out', out] : [])];
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KAFKA_BROKERS: brokers.join(',') } });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) rej(new Error(`${client} ${workload} exited ${code}: ${stdout.slice(-500)}`));
      else res(JSON.parse(line) as Result);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function parent(): Promise<void> {
  const clients = args.clients!.split(',') as KafkaClientName[];
  const workloads = args.workloads!.split(',') as Workload[];
  const runs = Number(args.runs);
  const setup = await kafkaClientSpec('kafkajs').create({ brokers, clientId: 'bench-setup' }, { logger });
  const admin = setup.admin();
  await admin.connect();
  const created: string[] = [];
  const topic = async (name: string, fill: boolean) => {
    const t = `bench-kc-${name}-${randomUUID().slice(0, 8)}`;
    await admin.ensureTopics([{ topic: t, partitions: PARTITIONS }]);
    created.push(t);
    if (fill) {
      // a producer per topic: kafkajs keeps refreshing the metadata of every topic it ever wrote (deleted ones fail)
      const producer = setup.producer();
      await producer.connect();
      for (let i = 0; i < RECORDS; i += SEND * 5) await producer.send(records(t, Math.min(SEND * 5, RECORDS - i), i));
      await producer.disconnect();
    }
    return t;
  };
  const results: Result[] = [];
  process.stderr.write(`kafka clients bench: ${RECORDS} records, ${runs} runs, ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  try {
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? clients : [...clients].reverse();
      for (const workload of workloads) {
        for (const client of order) {
          const input = await topic(`${workload}-in`, workload !== 'produce');
          const out = workload === 'txn' ? await topic('txn-out', false) : undefined;
          const r = await runChild(client, workload, input, out);
          if (workload === 'txn') {
            // the transactions committed the input offsets to the end: nothing processed twice or lost
            const end = await admin.endOffsets(input);
            const outEnd = await admin.endOffsets(out!);
            const written = outEnd.reduce((a, o) => a + Number(o.offset), 0);
            if (end.reduce((a, o) => a + Number(o.offset), 0) !== RECORDS) throw new Error('input not fully written');
            (r as Result & { outputOffsets: number }).outputOffsets = written; // incl. transaction markers
          }
          results.push(r);
          process.stderr.write(`run ${run + 1} ${workload.padEnd(7)} ${client.padEnd(12)} ${JSON.stringify(r)}\n`);
          await admin.deleteTopics(created.splice(0));
          await sleep(500);
        }
      }
    }
  } finally {
    if (created.length) await admin.deleteTopics(created).catch(() => undefined);
    await admin.disconnect();
  }
  process.stdout.write(`\n| workload | client | runs | records/s (median; all) | CPU-s per million (median; all) | peak RSS MiB (median) |\n|---|---|---|---|---|---|\n`);
  for (const workload of workloads) {
    for (const client of clients) {
      const rs = results.filter((r) => r.workload === workload && r.client === client);
      const rps = rs.map((r) => r.recordsPerSecond);
      const cpu = rs.map((r) => r.cpuSecondsPerMillion);
      process.stdout.write(`| ${workload} | ${client} | ${rs.length} | ${median(rps).toLocaleString('en')} (${rps.join(', ')}) | ${median(cpu).toFixed(2)} (${cpu.join(', ')}) | ${median(rs.map((r) => r.peakRssMiB))} |\n`);
    }
  }
  process.stdout.write(`\nRaw: ${JSON.stringify(results)}\n`);
}

if (args.child) {
  const r = await child(args.client as KafkaClientName, args.child as Workload, args.topic!, args.out);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
} else {
  await parent();
}
