// Syscall latency distributions (`trace --latency`): log2 buckets as the tracer's hist() gives them.

/** One syscall's latency: counts exact, percentiles read from the log2 buckets (upper bound of the bucket). */
export interface SyscallLatency {
  /** Completed calls measured. */
  calls: number;
  /** Seconds; each the upper bound of the bucket holding that percentile (log2 buckets: within 2x). */
  p50: number;
  p90: number;
  p99: number;
  /** The slowest call measured, in seconds (exact when the tracer records it, else its bucket's upper bound). */
  max: number;
  /** [lowSeconds, highSeconds, count], ascending, empty buckets left out. */
  buckets: [number, number, number][];
}

/** Latency by syscall name. */
export type LatencyTable = Record<string, SyscallLatency>;

/**
 * One syscall's latency from its buckets ([lowSeconds, highSeconds, count], any order; equal ranges are added
 * up, so the buckets of several sources or syscalls merge): the tracer's parser and family merges share it.
 * `maxSeconds` is the exact slowest call when the tracer recorded it.
 */
export function latencyFromBuckets(buckets: Iterable<readonly [number, number, number]>, maxSeconds?: number): SyscallLatency {
  const byRange = new Map<string, [number, number, number]>();
  for (const [low, high, count] of buckets) {
    if (count <= 0) continue;
    const key = `${low}:${high}`;
    const bucket = byRange.get(key);
    if (bucket) bucket[2] += count;
    else byRange.set(key, [low, high, count]);
  }
  const sorted = [...byRange.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const calls = sorted.reduce((n, b) => n + b[2], 0);
  const top = sorted.at(-1)?.[1] ?? 0;
  const max = maxSeconds ?? top;
  // The bucket's upper bound is an upper bound of the percentile; so is the exact max, and it is tighter when the
  // percentile falls in the last bucket (p99 of calls that all took 1.01 ms is 1.01 ms, not 2.1 ms).
  const percentile = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * calls));
    let seen = 0;
    for (const [, high, count] of sorted) {
      seen += count;
      if (seen >= rank) return Math.min(high, max);
    }
    return 0;
  };
  return { calls, p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max, buckets: sorted };
}
