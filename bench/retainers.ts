/**
 * What keeps a process's off-heap memory alive: reads a V8 heap snapshot (`bench/heap-snapshot.mjs`, or one written by
 * `v8.writeHeapSnapshot` / DevTools) and sums the backing stores of ArrayBuffers (Buffers, typed arrays: V8's
 * "external" memory) by the chain of objects that retains them, e.g.
 * `Int32Array.buffer < HashRing.table < IdWindow.idx < Mediator.seen < BatchDriver.mediator`.
 *
 *   npx tsx bench/retainers.ts FILE.heapsnapshot [--depth 5] [--top 25]
 *
 * Each backing store is followed up its first strong retainer (weak edges skipped), `--depth` steps. Also prints the
 * largest self sizes by node type and name, the heap's side of the same question.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { depth: { type: 'string', default: '5' }, top: { type: 'string', default: '25' } } });
if (positionals.length !== 1) {
  console.error('usage: npx tsx bench/retainers.ts FILE.heapsnapshot [--depth 5] [--top 25]');
  process.exit(2);
}
const DEPTH = Number(args.depth);
const TOP = Number(args.top);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}
const snap = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Snapshot;
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const [fType, fName, fSize, fEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

// the first strong retainer of each node: node index and the edge's name
const retainer = new Int32Array(count).fill(-1);
const retainerEdge: string[] = new Array(count);
for (let i = 0, e = 0; i < count; i++) {
  for (let k = nodes[i * NF + fEdges]!; k > 0; k--, e += EF) {
    const kind = edgeTypes[edges[e + eType]!]!;
    if (kind === 'weak' || kind === 'shortcut') continue;
    const to = edges[e + eTo]! / NF;
    if (retainer[to] !== -1) continue;
    retainer[to] = i;
    const n = edges[e + eName]!;
    retainerEdge[to] = kind === 'element' || kind === 'hidden' ? String(n) : strings[n]!;
  }
}

const typeOf = (i: number) => nodeTypes[nodes[i * NF + fType]!]!;
const nameOf = (i: number) => strings[nodes[i * NF + fName]!]!;
const sizeOf = (i: number) => nodes[i * NF + fSize]!;
const MiB = (n: number) => (n / 2 ** 20).toFixed(1).padStart(8);

const bySelf = new Map<string, number>();
const byChain = new Map<string, { bytes: number; n: number }>();
let backing = 0;
for (let i = 0; i < count; i++) {
  const key = `${typeOf(i)} ${nameOf(i).slice(0, 60).replace(/\s+/g, ' ')}`;
  bySelf.set(key, (bySelf.get(key) ?? 0) + sizeOf(i));
  if (typeOf(i) !== 'native' || !nameOf(i).includes('JSArrayBufferData')) continue;
  backing += sizeOf(i);
  const chain: string[] = [];
  for (let j = i, d = 0; d <= DEPTH && retainer[j]! >= 0; d++) {
    const r = retainer[j]!;
    chain.push(`${nameOf(r).slice(0, 40)}.${retainerEdge[j]}`);
    j = r;
  }
  // the first link is the ArrayBuffer's own backing-store edge: start at what holds the ArrayBuffer
  const key2 = chain.slice(1).join(' < ') || '(unretained)';
  const s = byChain.get(key2) ?? { bytes: 0, n: 0 };
  s.bytes += sizeOf(i);
  s.n++;
  byChain.set(key2, s);
}

console.log(`largest self sizes by node type and name (${count} nodes)`);
for (const [k, v] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${MiB(v)} MiB  ${k}`);
console.log(`\nArrayBuffer backing stores: ${MiB(backing).trim()} MiB, by what retains them`);
for (const [k, v] of [...byChain].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP)) console.log(`${MiB(v.bytes)} MiB  n=${String(v.n).padEnd(5)} ${k}`);
