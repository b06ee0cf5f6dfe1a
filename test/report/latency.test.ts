// Latency by family: the sleep family of a real capture, and distributions of two members merged bucket by bucket.
import { describe, expect, it } from 'vitest';
import { latencyFromBuckets } from '../../src/model/latency.js';
import { bpftraceLatencyParser } from '../../src/parse/bpftrace-latency.js';
import { latencyByFamily } from '../../src/report/latency.js';
import { fixture, parseFixtureFile } from '../helpers.js';

const MS = [524_288e-9, 1_048_576e-9] as const;
const TWO_MS = [1_048_576e-9, 2_097_152e-9] as const;

describe('latencyByFamily', () => {
  it('keys the families measured in a real capture by family id, leaving syscalls outside every family out', async () => {
    const { result } = await parseFixtureFile(bpftraceLatencyParser, fixture('bpftrace', 'netprobe-latency-sleeps.txt'), { arch: 'x86_64' });
    const families = latencyByFamily(result.latency!);
    expect(Object.keys(families).sort()).toEqual(['futex', 'read', 'sleep', 'thread-create']);
    expect(families.sleep).toEqual(result.latency!.clock_nanosleep);
    expect(families).not.toHaveProperty('getppid');
  });

  it('adds up the buckets of the members, takes the largest max and reads the percentiles again', () => {
    const families = latencyByFamily({
      nanosleep: latencyFromBuckets([[...MS, 10]], 0.00104),
      clock_nanosleep: latencyFromBuckets([[...MS, 80], [...TWO_MS, 10]], 0.0015),
      read: latencyFromBuckets([[1e-6, 2e-6, 3]]),
    });
    expect(families.sleep).toEqual({ calls: 100, p50: MS[1], p90: MS[1], p99: 0.0015, max: 0.0015, buckets: [[...MS, 90], [...TWO_MS, 10]] });
    expect(families.read).toMatchObject({ calls: 3 });
    expect(Object.keys(families)).toEqual(['read', 'sleep']);
  });

  it('an empty table has no family', () => {
    expect(latencyByFamily({})).toEqual({});
  });
});
