import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/capture/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('is exact below 128 µs', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 100; us++) h.record(us);
    expect(h.count).toBe(100);
    expect(h.quantileUs(0.5)).toBe(50);
    expect(h.quantileUs(0.9)).toBe(90);
    expect(h.quantileUs(0.99)).toBe(99);
    expect(h.quantileUs(1)).toBe(100);
    expect(h.maxMicroseconds).toBe(100);
  });

  it('stays within 1/64 of the true quantile from microseconds to minutes', () => {
    for (const scale of [1_000, 250_000, 60_000_000]) {
      const h = new LatencyHistogram();
      const values = Array.from({ length: 1000 }, (_, i) => scale + i * (scale / 100));
      for (const v of values) h.record(v);
      for (const q of [0.5, 0.9, 0.99]) {
        const truth = values[Math.ceil(q * values.length) - 1]!;
        const got = h.quantileUs(q);
        expect(got).toBeGreaterThanOrEqual(truth);
        expect((got - truth) / truth).toBeLessThan(1 / 64);
      }
      expect(h.maxMicroseconds).toBe(values.at(-1));
    }
  });

  it('answers 0 when empty and clamps absurd values', () => {
    const h = new LatencyHistogram();
    expect(h.quantileUs(0.5)).toBe(0);
    h.record(-5);
    h.record(1e12);
    expect(h.quantileUs(0.5)).toBe(0);
    expect(h.maxMicroseconds).toBe(0x7fffffff);
  });
});
