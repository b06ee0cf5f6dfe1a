// The load generator's latency record: fixed memory and no allocation per sample, so recording stays off
// the profile of the server being measured.

/**
 * HDR-style latency histogram in microseconds: values below 2^SUB_BITS each get a bucket; above that,
 * every power of two is split into 2^(SUB_BITS-1) linear buckets, so the relative error stays under 1/64
 * with a fixed 1.7k-entry array and no allocation per sample.
 */
export class LatencyHistogram {
  static readonly SUB_BITS = 7;
  private readonly counts = new Float64Array(((32 - LatencyHistogram.SUB_BITS) + 2) << (LatencyHistogram.SUB_BITS - 1));
  private total = 0;
  private maxUs = 0;

  record(us: number): void {
    const v = us < 0 ? 0 : us > 0x7fffffff ? 0x7fffffff : Math.round(us);
    this.counts[bucketOf(v)]++;
    this.total++;
    if (v > this.maxUs) this.maxUs = v;
  }

  get count(): number {
    return this.total;
  }

  /** The upper edge of the bucket holding the q-quantile (0 < q <= 1), in microseconds. */
  quantileUs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperUs(i), this.maxUs);
    }
    return this.maxUs;
  }

  get maxMicroseconds(): number {
    return this.maxUs;
  }
}

const SUB = LatencyHistogram.SUB_BITS;
const HALF = 1 << (SUB - 1);

function bucketOf(v: number): number {
  if (v < 1 << SUB) return v;
  const shift = 31 - Math.clz32(v) - (SUB - 1); // >= 1
  return (1 << SUB) + (shift - 1) * HALF + ((v >>> shift) - HALF);
}

function bucketUpperUs(i: number): number {
  if (i < 1 << SUB) return i;
  const shift = ((i - (1 << SUB)) >> (SUB - 1)) + 1;
  const top = ((i - (1 << SUB)) & (HALF - 1)) + HALF;
  return ((top + 1) << shift) - 1;
}
