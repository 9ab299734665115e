/** Reading Prometheus text exposition back (ops tooling, benches, tests): `name{labels}` → value. */

export function parsePrometheusText(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** GET /metrics of a local ratestream process and parse it. */
export async function scrapeMetrics(port: number, host = '127.0.0.1'): Promise<Map<string, number>> {
  return parsePrometheusText(await (await fetch(`http://${host}:${port}/metrics`)).text());
}

/** Sum of a metric's series whose labels include all of `labels`. */
export function metricSum(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [k, v] of m) {
    if (!(k === name || k.startsWith(`${name}{`))) continue;
    if (Object.entries(labels).every(([l, val]) => k.includes(`${l}="${val}"`))) sum += v;
  }
  return sum;
}
