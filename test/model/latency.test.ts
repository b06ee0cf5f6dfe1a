// One syscall's latency from log2 buckets: counts exact, percentiles the upper bound of their bucket (or the max).
import { describe, expect, it } from 'vitest';
import { latencyFromBuckets } from '../../src/model/latency.js';

describe('latencyFromBuckets', () => {
  it('sorts the buckets, adds up equal ranges, leaves empty ones out and reads percentiles by rank', () => {
    const l = latencyFromBuckets([
      [4e-6, 8e-6, 9],
      [1e-6, 2e-6, 50],
      [2e-6, 4e-6, 0],
      [1e-6, 2e-6, 40],
      [8e-6, 16e-6, 1],
    ]);
    // 100 calls: rank 50 and 90 fall in [1, 2) µs, rank 99 in [4, 8) µs; no exact max: the last bucket's upper bound.
    expect(l).toEqual({ calls: 100, p50: 2e-6, p90: 2e-6, p99: 8e-6, max: 16e-6, buckets: [[1e-6, 2e-6, 90], [4e-6, 8e-6, 9], [8e-6, 16e-6, 1]] });
  });

  it('lowers a percentile to the exact max when that is below its bucket\'s upper bound', () => {
    expect(latencyFromBuckets([[524_288e-9, 1_048_576e-9, 500]], 0.00104)).toMatchObject({ p50: 0.00104, p99: 0.00104, max: 0.00104 });
  });

  it('no calls: zeros', () => {
    expect(latencyFromBuckets([])).toEqual({ calls: 0, p50: 0, p90: 0, p99: 0, max: 0, buckets: [] });
  });
});
