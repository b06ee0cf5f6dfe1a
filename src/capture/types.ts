// Options and results of one capture: the library seam that `trace`, `--sweep` and `demo` share.
import type { LoadResult, RunJson } from '../model/run.js';

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
  /** Attach to this running process (all threads). */
  pid?: number;
  backend: BackendName | 'auto';
  /** Wait until the target accepts connections on 127.0.0.1:port before capturing the load window. */
  port?: number;
  /** Built-in HTTP/1.1 keep-alive load. */
  load?: HttpLoadSpec;
  /** External load command, run through the shell the user chose (`sh -c`), e.g. `wrk -c50 -d5s http://...`. */
  loadCmd?: string;
  /** Request count to use when the external load command's output does not tell it. */
  requests?: number;
  /** Capture length when there is no load (seconds). */
  durationSeconds?: number;
  /** Collect user stacks per syscall. */
  syscallStacks?: boolean;
  /** Also sample CPU stacks with perf (cpu.pb.gz). */
  cpu?: boolean;
  /** Run the same load untraced first and report traced/untraced throughput. */
  measureOverhead?: boolean;
  /** Run directory to create (must not exist); default netprobe-out/<name>-<timestamp>. */
  outDir?: string;
  /** Name of the run (default: basename of the command). */
  name?: string;
  /** Progress callback (phase changes and about once a second during load). */
  onProgress?: (progress: TraceProgress) => void;
  /** Aborting stops load, target and tracer in order and keeps what was captured. */
  signal?: AbortSignal;
}

export interface TraceProgress {
  phase: 'starting' | 'waiting-for-port' | 'untraced-load' | 'capturing' | 'load' | 'stopping' | 'parsing' | 'writing';
  elapsedSeconds: number;
  requestsPerSecond?: number;
  message?: string;
}

export interface TraceResult {
  /** The run directory written. */
  dir: string;
  run: RunJson;
  /** True when the capture was cut short by the signal (Ctrl-C). */
  interrupted: boolean;
  /** Target resident memory in bytes at the end of the load window, when known. */
  rssBytes?: number;
}

export type { LoadResult };
