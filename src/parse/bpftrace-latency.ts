// bpftrace latency histograms (netprobe's `trace --latency` script) -> latency distributions per syscall name.
//
// Produced by: netprobe's script (src/capture/bpftrace-latency-script.ts), run as `bpftrace latency.bt`, or the
// classic one-liner with the same map names:
//   bpftrace -e 'tracepoint:raw_syscalls:sys_enter /pid == 123/ { @start[tid] = nsecs; }
//     tracepoint:raw_syscalls:sys_exit /@start[tid]/ { @lat[args->id] = hist(nsecs - @start[tid]);
//     @latmax[args->id] = max(nsecs - @start[tid]); delete(@start[tid]); }'
// Reference: bpftrace 0.17 src/output.cpp (TextOutput::hist_to_str, hist_index_label: `(..., 0)`, `[0]`, `[1]`,
// then `[2^k, 2^(k+1))` with K/M/G/T = 2^10/2^20/2^30/2^40),
// https://github.com/bpftrace/bpftrace/blob/v0.17.0/src/output.cpp. Real input (bpftrace 0.17,
// fixtures/bpftrace/netprobe-latency-sleeps.txt, x86_64 numbers unless options.arch says otherwise):
//   @lat[230]:                                              -> clock_nanosleep: 500 calls,
//   [512K, 1M)           496 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|   buckets [[0.000524288,
//   [1M, 2M)               4 |                                                    |   0.001048576, 496], ...]
//                                                           p50 0.001048576 s (the bucket's upper bound)
//   @latmax[230]: 1052361                                   -> max 0.001052361 s (exact)
//   netprobe: probes attached; @inflight lists calls in flight at the end   (and no map after it)
//                                                           -> an empty table: no call completed
import { ParseError } from '../model/errors.js';
import { latencyFromBuckets, type LatencyTable } from '../model/latency.js';
import { normalizeArch, syscallName, type SyscallArch } from '../model/syscall-numbers.js';
import { COUNT_EXPECTED, isCount } from './counts.js';
import { NETPROBE_READY_PREFIX } from './bpftrace-markers.js';
import { BPFTRACE_ATTACHING as ATTACHING, detectBpftraceLatency, LATENCY_MAP_LINE as MAP_LINE } from './detectors.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

// bpftrace prints this when it cannot raise the limit; loading works anyway on kernels with memcg accounting.
const MEMLOCK_WARNING = /RLIMIT_MEMLOCK/;
const HIST_OPEN = /^@lat\[([^\]]*)\]: ?$/;
const MAX_LINE = /^@latmax\[([^\]]*)\]: (\d+)\s*$/;
// `[512K, 1M)   496 |@@@   |`: the label is left-aligned in 16 columns, the count right-aligned in 8 (a label
// of 16 characters or more and a count of 8 digits or more meet without a space).
const BUCKET = /^(\(\.\.\., 0\)|\[0\]|\[1\]|\[(\d+)([KMGTPE]?), (\d+)([KMGTPE]?)\))\s*(\d+) \|[@ ]*\|\s*$/;
const POWER: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };
const INTEGER = /^-?\d+$/;

export const bpftraceLatencyParser: TextParser = {
  format: 'bpftrace-latency',
  detect: detectBpftraceLatency,
  parse: parseBpftraceLatency,
};

/** Reads bpftrace's text output of @lat (hist) and @latmax (max) maps into latency by syscall name. */
export async function parseBpftraceLatency(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const reader = new LatencyReader(ctx, normalizeArch(ctx.options.arch ?? process.arch));
  let lineNo = 0;
  for await (const line of lines) reader.line(line, ++lineNo);
  return reader.finish(lineNo);
}

class LatencyReader {
  /** Nanosecond buckets [low, high, count] by syscall name. */
  private readonly buckets = new Map<string, [number, number, number][]>();
  /** @latmax in nanoseconds, and the line it was first seen on, by syscall name. */
  private readonly maxNs = new Map<string, { ns: number; line: number }>();
  private readonly warned = new Set<string>();
  /** The syscall whose histogram the bucket lines belong to; null for a skipped histogram. */
  private histogram: string | null | undefined;
  private sawScript = false;
  private sawMap = false;

  constructor(
    private readonly ctx: ParseContext,
    private readonly arch: SyscallArch,
  ) {}

  line(text: string, lineNo: number): void {
    if (this.histogram !== undefined) {
      if (text.startsWith('[') || text.startsWith('(')) return this.bucket(text, lineNo);
      this.histogram = undefined;
    }
    if (text.trim() === '' || ATTACHING.test(text) || MEMLOCK_WARNING.test(text)) return;
    if (text.startsWith(NETPROBE_READY_PREFIX)) {
      this.sawScript = true;
      return;
    }
    const open = HIST_OPEN.exec(text);
    if (open) {
      this.sawMap = true;
      this.histogram = this.syscall(open[1]!, lineNo);
      return;
    }
    const max = MAX_LINE.exec(text);
    if (max) {
      this.sawMap = true;
      const name = this.syscall(max[1]!, lineNo);
      if (name === null) return;
      const seen = this.maxNs.get(name);
      this.maxNs.set(name, { ns: Math.max(seen?.ns ?? 0, Number(max[2])), line: seen?.line ?? lineNo });
      return;
    }
    const map = MAP_LINE.exec(text);
    if (map) {
      // Another map: its hist buckets, if any, follow and are skipped with it.
      if (map[3]!.trim() === '') this.histogram = null;
      this.warnOnce(`map:${map[1]}`, 'unknown-map', lineNo, `skipped map ${map[1]}: netprobe reads @lat histograms and @latmax`);
      return;
    }
    this.warnOnce(`line:${text}`, 'printf-line', lineNo, `skipped a line that is not a map entry: ${text.trim()}`);
  }

  private bucket(text: string, lineNo: number): void {
    const m = BUCKET.exec(text);
    if (!m) throw new ParseError(this.ctx.file, lineNo, 'a hist() bucket such as `[512K, 1M)   496 |@@@|`', text);
    if (this.histogram === null) return;
    const count = Number(m[6]);
    if (!isCount(count)) throw new ParseError(this.ctx.file, lineNo, COUNT_EXPECTED, text);
    let low: number;
    let high: number;
    if (m[1] === '(..., 0)') {
      // A negative time: the clock went backwards between entry and exit, which a monotonic clock does not.
      this.warnOnce('negative', 'negative-latency', lineNo, `skipped ${count} calls with a negative latency (${this.histogram})`);
      return;
    }
    if (m[1] === '[0]' || m[1] === '[1]') {
      // Integer nanoseconds: `[0]` holds 0 ns exactly, i.e. [0, 1).
      low = m[1] === '[0]' ? 0 : 1;
      high = low + 1;
    } else {
      low = Number(m[2]) * POWER[m[3]!]!;
      high = Number(m[4]) * POWER[m[5]!]!;
      if (high !== 2 * low) throw new ParseError(this.ctx.file, lineNo, 'a log2 hist() bucket `[n, 2n)` (lhist() is not supported)', text);
    }
    if (count === 0) return;
    let list = this.buckets.get(this.histogram!);
    if (!list) this.buckets.set(this.histogram!, (list = []));
    list.push([low, high, count]);
  }

  /** The syscall name for a map key, or null (with a warning) when the key is not a syscall number. */
  private syscall(key: string, lineNo: number): string | null {
    const k = key.trim();
    if (INTEGER.test(k) && Number(k) >= 0) return syscallName(Number(k), this.arch);
    this.warnOnce(`key:${k}`, 'unknown-key', lineNo, `skipped @lat/@latmax key \`${k}\`: not a syscall number`);
    return null;
  }

  private warnOnce(id: string, kind: string, line: number, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.ctx.warn({ kind, line, message });
  }

  finish(lineNo: number): ParseResult {
    // bpftrace prints nothing for an empty map: under netprobe's script that means no call completed.
    if (!this.sawMap && !this.sawScript) {
      throw new ParseError(this.ctx.file, Math.max(lineNo, 1), 'bpftrace output with @lat histograms');
    }
    const latency: LatencyTable = {};
    for (const name of [...this.buckets.keys()].sort()) {
      const buckets = this.buckets.get(name)!.map(([low, high, count]): [number, number, number] => [low / 1e9, high / 1e9, count]);
      const max = this.maxNs.get(name);
      latency[name] = latencyFromBuckets(buckets, max === undefined ? undefined : max.ns / 1e9);
    }
    for (const [name, { line }] of this.maxNs) {
      if (!this.buckets.has(name)) this.warnOnce(`max:${name}`, 'max-without-histogram', line, `skipped @latmax of ${name}: it has no @lat histogram`);
    }
    return { format: 'bpftrace-latency', latency };
  }
}
