// run.json: the seam between capture and analysis (DESIGN.md "Run directory").
import type { LatencyTable } from './latency.js';
import type { Normalisation } from './normalisation.js';
import type { OffcpuSummary } from './offcpu.js';
import type { SyscallRow, SyscallTotals } from './syscalls.js';

export const RUN_SCHEMA_VERSION = 1;

export type ModelLabel =
  | 'goroutine-per-connection (netpoll)'
  | 'event-loop reactor (epoll)'
  | 'thread-per-connection (blocking)'
  | 'process-per-connection (fork)'
  | 'poll/select loop'
  | 'unknown';

export interface ModelVerdict {
  label: ModelLabel;
  /** 0..1 */
  confidence: number;
  /** The ratios that decided it, in words a reader can check, e.g. "futex is 31% of calls". */
  evidence: string[];
}

export interface LoadResult {
  /** Requests answered; 0 (never a count) when `requestsKnown` is false. */
  requests: number;
  /**
   * Failed requests (connect and socket errors, timeouts, non-2xx answers); null when the generator does not
   * count them (an external command netprobe cannot read, redis-benchmark).
   */
  errors: number | null;
  /** What the errors were, e.g. `{ 'connect refused': 3, reset: 20, 'HTTP 503': 3 }`; sums to `errors`. Built-in load only. */
  errorKinds?: Record<string, number>;
  durationSeconds: number;
  /** 0 when unknown: `requestsKnown` false and the generator printed no rate of its own. */
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds, when the generator measures them. */
  latencyMs?: { p50: number; p90: number; p99: number; max: number };
  /** False when an external load command did not tell its request count (then `requests` is 0, meaning unknown). */
  requestsKnown?: boolean;
  /** Which generator: `builtin` or the external command. */
  generator?: string;
  connections?: number;
}

/** How the capture was made; run.json `capture` (an addition to the DESIGN.md fields). */
export interface RunCapture {
  /** `load`: attached once the port was ready, stopped when the load ended; `whole run`: exec to exit; `attached`: --pid. */
  window: 'load' | 'whole run' | 'attached';
  /** Length of the capture window. */
  seconds: number;
  /** Why this backend, e.g. `auto: bpftrace (in-kernel counting, lowest overhead)` or `requested`. */
  backendReason: string;
  /** What `seconds` of a syscall means: `wall` = entry to exit, for every backend. */
  time: 'wall';
  /** Caveats about this capture, in words (missed events, errno names unavailable...). */
  notes: string[];
  /**
   * Events the tracer lost (perf ring-buffer overflow, bpftrace drops): every count is low by up to this many.
   * 0 when the tracer reported no loss or cannot lose events (strace); absent in files written before 0.2.
   */
  lost?: number;
}

/**
 * A baseline written from several captures (`check --runs N --update-baseline`): per check id (`write`,
 * `futex`, `other`, `total`, ...), the median of the runs and their range, in one normalisation.
 */
export interface RunsSummary {
  /** How many runs. */
  count: number;
  normalisation: Normalisation;
  checks: Record<string, { median: number; min: number; max: number }>;
}

/** One level of `trace --sweep`: cost per request and memory at one connection count. */
export interface SweepLevel {
  connections: number;
  /** Run directory of this level, relative to the sweep directory. */
  dir: string;
  requests: number;
  requestsPerSecond: number;
  threads: number | null;
  /** Target resident memory at the end of the load window. */
  rssBytes: number | null;
  /** Idle keep-alive connections held open beside the load for the memory measurement (0 = not measured). */
  idleConnections: number;
  /** (RSS with the idle connections - RSS before) / idleConnections. */
  idleBytesPerConnection: number | null;
  /** Calls per request by family id, plus `total`. */
  perRequest: Record<string, number>;
  model: ModelVerdict;
}

export interface RunJson {
  schemaVersion: number;
  exporter: string;
  name: string;
  command: string[] | null;
  backend: string;
  startedAt: string;
  durationSeconds: number;
  target: { pid: number | null; exitCode: number | null; signal: string | null };
  load: LoadResult | null;
  syscalls: SyscallRow[];
  totals: SyscallTotals;
  /**
   * Calls entered but not returned when the capture ended, by syscall, e.g. `{ "read": 3, "epoll_wait": 1 }`
   * (already in `syscalls`: calls count when made); exit and exit_group never are. `{}` when none, null when
   * the backend cannot tell (strace -c); absent in files written before it existed.
   */
  inFlight?: Record<string, number> | null;
  perRequest: Record<string, number> | null;
  threads: number | null;
  model: ModelVerdict;
  overhead: { tracedRps: number; untracedRps: number; ratio: number } | null;
  /** How the capture was made (window, backend choice, caveats). */
  capture?: RunCapture;
  /** True when the capture was cut short (Ctrl-C). */
  interrupted?: boolean;
  /** Where threads waited (`--offcpu`), by kind; absent when not recorded. */
  offcpu?: OffcpuSummary;
  /** Per-syscall latency distributions (`--latency`), in seconds; absent when not recorded. */
  latency?: LatencyTable;
  /** Per-level results of `--sweep`, when used. */
  sweep?: SweepLevel[];
  /** A baseline of several runs (`check --runs N --update-baseline`): its medians and ranges per check. */
  runs?: RunsSummary;
  files: string[];
}
