// The contract every parser implements: detect from a few lines, then stream lines into a model.
import type { LatencyTable } from '../model/latency.js';
import type { Profile } from '../model/profile.js';
import type { RunJson } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';

export type InputFormat =
  | 'strace-summary'
  | 'strace-log'
  | 'perf-script'
  | 'perf-trace-summary'
  | 'bpftrace'
  | 'folded'
  | 'pprof'
  | 'run'
  | 'bpftrace-offcpu'
  | 'bpftrace-latency';

/** A recoverable oddity: parsing goes on, the CLI prints it on stderr, tests count it. */
export interface ParseWarning {
  /** Stable name, e.g. `weird-stack-line`, `empty-line`, `unknown-syscall-number`. */
  kind: string;
  file: string;
  line: number;
  message: string;
}

/** Options of the classic stackcollapse-perf collapser (FlameGraph), honoured by the perf-script parser. */
export interface CollapseOptions {
  /** Append `-<pid>` to the process name. */
  pid?: boolean;
  /** Append `-<pid>/<tid>` to the process name. */
  tid?: boolean;
  /** Annotate kernel frames with `_[k]`. */
  kernel?: boolean;
  /** Annotate JIT frames with `_[j]`. */
  jit?: boolean;
  /** Keep raw addresses for unknown symbols. */
  addrs?: boolean;
}

export interface ParseOptions {
  collapse?: CollapseOptions;
  /** Architecture for syscall numbers (bpftrace `args->id`); default: this machine's. */
  arch?: string;
  /** perf script: keep only this event name (default: the first one seen). */
  event?: string;
}

export interface ParseContext {
  /** Name shown in errors and warnings (the path as the user gave it). */
  file: string;
  options: ParseOptions;
  warn(warning: Omit<ParseWarning, 'file'>): void;
}

/** What any input becomes. */
export interface ParseResult {
  format: InputFormat;
  syscalls?: SyscallTable;
  profile?: Profile;
  /** Latency distributions by syscall name (bpftrace @lat histograms). */
  latency?: LatencyTable;
  /** Facts a source may know beyond counts (run directories, bpftrace per-thread maps). */
  meta?: InputMeta;
}

export interface InputMeta {
  name?: string;
  requests?: number;
  requestsPerSecond?: number;
  durationSeconds?: number;
  threads?: number;
  backend?: string;
  /** A run directory's CPU profile (cpu.pb.gz), when it has one; `profile` is the syscall profile if any, else this. */
  cpuProfile?: Profile;
  /** A run directory's off-CPU profile (offcpu.pb.gz), when it has one. */
  offcpuProfile?: Profile;
  /** The run.json object, for run directories, run.json and baseline files. */
  run?: RunJson;
}

export interface TextParser {
  format: InputFormat;
  /**
   * Answers from the first lines (up to 200, blank ones included) whether this format is it; must be cheap
   * and must not throw. Parsers are tried in registry order, so a detector may be loose only if it is last.
   */
  detect(head: readonly string[]): boolean;
  parse(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult>;
  /**
   * Optional fast path with the same result as `parse`: the input as decoded text in pieces of any size (a line
   * may straddle pieces; `\n` or `\r\n` ends a line). Readers that hold text chunks call it when present.
   */
  parseText?(chunks: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult>;
}
