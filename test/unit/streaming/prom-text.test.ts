import { describe, expect, it } from 'vitest';
import { metricSum, parsePrometheusText } from '../../../engine/telemetry/prom-text.ts';

describe('Prometheus text reading', () => {
  it('parses series and sums them by labels', () => {
    const m = parsePrometheusText('# HELP x y\n# TYPE x counter\nx_total{role="mediate",feed="a"} 3\nx_total{role="rate",feed="a"} 4\nx_total{role="mediate",feed="b"} 5\nup 1\n');
    expect(metricSum(m, 'x_total')).toBe(12);
    expect(metricSum(m, 'x_total', { role: 'mediate' })).toBe(8);
    expect(metricSum(m, 'x_total', { role: 'mediate', feed: 'b' })).toBe(5);
    expect(metricSum(m, 'up')).toBe(1);
  });
});
