// Options and results of one capture: the library seam that `trace`, `--sweep` and `demo` share.
import type { LoadResult } from '../model/run.js';
import type { InputFormat } from '../parse/types.js';
import type { ProcessExit } from './target.js';

export type BackendName = 'strace' | 'perf' | 'bpftrace';

export interface HttpLoadSpec {
  /** http://127.0.0.1:PORT/path */
  url: string;
  /** Keep-alive connections (default 50). */
  connections: number;
  /** Stop after this many seconds (default 5 when neither duration nor requests is given). */
  durationSeconds?: number;
  /** Stop after this many requests in total. */
  requests?: number;
}

export interface TraceOptions {
  /** Command to start (argv); exclusive with pid. */
  command?: string[];
  /** Attach to this running process (all threads) and the processes descending from it. */
  pid?: number;
  backend: BackendName | 'auto';
  /**
   * Wait until the target accepts connections on 127.0.0.1:port before the capture window opens (default:
   * the port of the `load` URL). A started command runs untraced until then; with `pid`, netprobe attaches
   * once the port is ready.
   */
  port?: number;
  /** Give up waiting for the port after this many seconds (default 30). */
  readyTimeoutSeconds?: number;
  /** Built-in HTTP/1.1 keep-alive load. */
  load?: HttpLoadSpec;
  /** External load command, run through the shell the user chose (`sh -c`), e.g. `wrk -c50 -d5s http://...`. */
  loadCmd?: string;
  /** Request count to use when the external load command's output does not tell it. */
  requests?: number;
  /** Capture length when there is no load (seconds). */
  durationSeconds?: number;
  /** Collect user stacks per syscall (strace -k or bpftrace ustack; not with the perf backend). */
  syscallStacks?: boolean;
  /** strace backend: keep the full log (`-tt -T -yy`) instead of the `-c` table, for errno names (default false). */
  straceLog?: boolean;
  /** Also sample CPU stacks with perf (cpu.pb.gz). */
  cpu?: boolean;
  /** Also record where threads block and for how long, with bpftrace (offcpu.pb.gz, run.json `offcpu`). */
  offcpu?: boolean;
  /** Also record per-syscall latency distributions, with bpftrace (run.json `latency`). */
  latency?: boolean;
  /** Run the same load untraced first and report traced/untraced throughput. */
  measureOverhead?: boolean;
  /** Run directory to create (must not exist); default netprobe-out/<name>-<timestamp>. */
  outDir?: string;
  /** Name of the run (default: basename of the command). */
  name?: string;
  /** Progress callback (phase changes and about once a second during load). */
  onProgress?: (progress: TraceProgress) => void;
  /** Aborting stops load, tracer and target in order and keeps what was captured. */
  signal?: AbortSignal;
  /** Written to run.json `exporter` (default `netprobe@<package.json version>`). */
  exporter?: string;
}

export interface TraceProgress {
  phase: 'starting' | 'waiting-for-port' | 'untraced-load' | 'capturing' | 'load' | 'stopping' | 'parsing' | 'writing';
  elapsedSeconds: number;
  requestsPerSecond?: number;
  message?: string;
}

/** Where a backend writes and what it traces. */
export interface AttachOptions {
  /** The target process (the capture ends when it exits). */
  pid: number;
  /**
   * Every process to trace: `pid` first, then its descendants at attach time (pre-forked workers); all
   * their threads, and the processes they fork from now on.
   */
  pids: readonly number[];
  /** Absolute path of the run directory (tracer output goes under raw/). */
  runDir: string;
  syscallStacks: boolean;
  straceLog: boolean;
}

/** A running tracer; attach resolves once it is counting. */
export interface Tracer {
  /** Asks the tracer to finish (it writes its output) and waits for it; safe after it has exited by itself. */
  stop(): Promise<void>;
  /** The tracer's name (`strace`, `perf`, `bpftrace`) for messages. */
  readonly label: string;
  /** How the tracer process ended, when it has exited (before stop(): by itself, or killed). */
  exitStatus(): ProcessExit | undefined;
  /** Finishes the tracer's output files (perf converts its data file); call after stop(). */
  collect(): Promise<TracerOutput>;
}

/** A tracer's output as the tracer left it, for run/ to parse: files under raw/ and what only the tracer knew. */
export interface TracerOutput {
  /** Syscall counts (with stacks when asked), CPU samples, off-CPU stacks with blocked time, or syscall latency histograms. */
  role: 'syscalls' | 'cpu' | 'offcpu' | 'latency';
  /**
   * The file holding the counts or samples, relative to the run directory, and its format. Absent when the
   * tracer wrote nothing because the target made no syscall (strace writes not even a header then).
   */
  output?: { file: string; format: InputFormat };
  /** Keep the output's stack profile (syscall stacks were asked for, or CPU samples). */
  stacks: boolean;
  /** Threads the tracer saw, when its output does not say (strace -c). */
  threads?: number;
  /**
   * Events the tracer lost (perf ring-buffer overflow, bpftrace drops): counts are low by about this many. Absent
   * when the tracer cannot lose any (strace stops the tracee instead).
   */
  lost?: number;
  /** Every file written, relative to the run directory. */
  files: string[];
  /** Caveats in words (processes not traced, events lost...). */
  notes: string[];
}

export type { LoadResult };
