// Summaries printed by external load generators (`--load-cmd`), read for their request counts.
//
// wrk 4.1 (`wrk -t2 -c50 -d2s --latency http://127.0.0.1:8080/`), reference:
// https://github.com/wg/wrk/blob/4.1.0/src/wrk.c (print_stats_header, print_stats_latency, main):
//     Running 2s test @ http://127.0.0.1:35561/
//       2 threads and 50 connections
//       Thread Stats   Avg      Stdev     Max   +/- Stdev
//         Latency     1.36ms    5.40ms  67.31ms   97.67%      -> latency max 67.31 ms
//       Latency Distribution                                   (only with --latency)
//          50%  565.00us                                       -> p50 0.565 ms
//       154678 requests in 2.05s, 10.33MB read                 -> requests 154678, 2.05 s
//       Non-2xx or 3xx responses: 12                           -> errors += 12
//       Socket errors: connect 0, read 3, write 0, timeout 8   -> errors += 11
//     Requests/sec:  75325.77
//
// redis-benchmark 7.0 (`redis-benchmark -t set,get -n 20000 -c 50`), one section per test, progress lines
// separated by bare `\r` (reference: https://github.com/redis/redis/blob/7.0.15/src/redis-benchmark.c,
// showLatencyReport):
//     ====== SET ======
//       20000 requests completed in 0.46 seconds                -> requests += 20000, seconds += 0.46
//     Latency by percentile distribution:
//     90.000% <= 0.847 milliseconds (cumulative count 17600)
//       latency summary (msec):
//               avg       min       p50       p95       p99       max
//             0.797     0.072     0.591     2.511     5.103     8.959
// With `-q` it prints only `PING_INLINE: 54054.05 requests per second, p50=0.575 msec` per test: no request
// count and no duration. Every test runs the same `-n` requests, so the command line (src/capture/load-cmd.ts)
// turns the rates into a count and a duration.

export interface LoadOutputSummary {
  tool: 'wrk' | 'redis-benchmark';
  /** null when the output does not say how many requests were made. */
  requests: number | null;
  /** wrk: non-2xx/3xx responses plus socket errors; redis-benchmark reports none. */
  errors: number;
  durationSeconds: number | null;
  requestsPerSecond: number | null;
  latencyMs?: { p50: number; p90: number; p99: number; max: number };
  /** redis-benchmark `-q`: the requests per second of each completed test, in order (each made `-n` requests). */
  testRates?: number[];
}

/** Reads whichever known generator's summary the text holds; null when it is none of them. */
export function parseLoadOutput(text: string): LoadOutputSummary | null {
  return parseWrkOutput(text) ?? parseRedisBenchmarkOutput(text);
}

const WRK_TIME_UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseWrkOutput(text: string): LoadOutputSummary | null {
  const lines = splitLines(text);
  if (!lines.some((l) => /^Running \S+ test @ /.test(l))) return null;
  let requests: number | null = null;
  let durationSeconds: number | null = null;
  let requestsPerSecond: number | null = null;
  let errors = 0;
  let maxMs: number | null = null;
  const percentiles = new Map<number, number>();
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/.exec(line))) {
      requests = Number(m[1]);
      durationSeconds = wrkTimeMs(m[2]!, m[3]!) / 1000;
    } else if ((m = /^\s*Non-2xx or 3xx responses: (\d+)/.exec(line))) {
      errors += Number(m[1]);
    } else if ((m = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(line))) {
      errors += Number(m[1]) + Number(m[2]) + Number(m[3]) + Number(m[4]);
    } else if ((m = /^Requests\/sec:\s+([\d.]+)/.exec(line))) {
      requestsPerSecond = Number(m[1]);
    } else if ((m = /^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)\s/.exec(line))) {
      maxMs = wrkTimeMs(m[1]!, m[2]!);
    } else if ((m = /^\s*(50|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/.exec(line))) {
      percentiles.set(Number(m[1]), wrkTimeMs(m[2]!, m[3]!));
    }
  }
  const summary: LoadOutputSummary = { tool: 'wrk', requests, errors, durationSeconds, requestsPerSecond };
  const [p50, p90, p99] = [percentiles.get(50), percentiles.get(90), percentiles.get(99)];
  if (requests !== null && requests > 0 && p50 !== undefined && p90 !== undefined && p99 !== undefined && maxMs !== null) {
    summary.latencyMs = { p50, p90, p99, max: maxMs };
  }
  return summary;
}

function wrkTimeMs(value: string, unit: string): number {
  return round3(Number(value) * WRK_TIME_UNIT_MS[unit]!);
}

interface RedisSection {
  requests: number;
  seconds: number;
  p90?: number;
  summary?: { p50: number; p99: number; max: number };
}

export function parseRedisBenchmarkOutput(text: string): LoadOutputSummary | null {
  const lines = splitLines(text);
  const sections: RedisSection[] = [];
  const quietRates: number[] = [];
  let current: RedisSection | null = null;
  let summaryColumns: string[] | null = null;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if (/^====== .* ======$/.test(line.trim())) {
      current = { requests: 0, seconds: 0 };
      sections.push(current);
    } else if (current && (m = /^\s*(\d+) requests completed in ([\d.]+) seconds/.exec(line))) {
      current.requests = Number(m[1]);
      current.seconds = Number(m[2]);
    } else if (current && (m = /^\s*([\d.]+)% <= ([\d.]+) milliseconds/.exec(line))) {
      // Both distributions list "pct% <= value": the smallest value covering 90% bounds p90 most tightly.
      if (Number(m[1]) >= 90) current.p90 = Math.min(current.p90 ?? Infinity, Number(m[2]));
    } else if (current && /^\s*avg\s+min\s+p50/.test(line)) {
      summaryColumns = line.trim().split(/\s+/);
    } else if (current && summaryColumns) {
      const values = line.trim().split(/\s+/).map(Number);
      const at = (name: string) => values[summaryColumns!.indexOf(name)];
      const [p50, p99, max] = [at('p50'), at('p99'), at('max')];
      if (p50 !== undefined && p99 !== undefined && max !== undefined && [p50, p99, max].every(Number.isFinite)) {
        current.summary = { p50, p99, max };
      }
      summaryColumns = null;
    } else if ((m = /^[A-Za-z_]+(?: \([^)]*\))?: ([\d.]+) requests per second/.exec(line))) {
      quietRates.push(Number(m[1]));
    }
  }
  if (sections.length === 0) {
    if (quietRates.length === 0) return null;
    return { tool: 'redis-benchmark', requests: null, errors: 0, durationSeconds: null, requestsPerSecond: round3(equalCountRate(quietRates)), testRates: quietRates };
  }
  const requests = sections.reduce((s, x) => s + x.requests, 0);
  const seconds = sections.reduce((s, x) => s + x.seconds, 0);
  const result: LoadOutputSummary = {
    tool: 'redis-benchmark',
    requests,
    errors: 0,
    durationSeconds: round3(seconds),
    requestsPerSecond: seconds > 0 ? round3(requests / seconds) : null,
  };
  // Percentiles of different tests cannot be merged; report them only for a single test.
  const only = sections.length === 1 ? sections[0]! : undefined;
  if (only?.summary && only.p90 !== undefined) {
    result.latencyMs = { p50: only.summary.p50, p90: only.p90, p99: only.summary.p99, max: only.summary.max };
  }
  return result;
}

/** Overall rate of tests that each made the same number of requests: total requests / total time (harmonic mean). */
export function equalCountRate(rates: readonly number[]): number {
  return rates.length / rates.reduce((s, r) => s + 1 / r, 0);
}

// redis-benchmark redraws its progress line with bare carriage returns.
function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
