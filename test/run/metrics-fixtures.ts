// One fixture of every syscall input kind, with what `netprobe metrics` makes of it: shared by the metrics tests
// of run/ (in-process) and e2e (promtool reads the CLI's output).
import { fixture } from '../helpers.js';

export interface MetricsFixture {
  kind: string;
  path: string;
  backend: string;
  /** The rate families the input supports: per request, per second, or none (raw counts). */
  normalisation: 'per-request' | 'per-second' | 'raw';
}

export const METRICS_FIXTURES: readonly MetricsFixture[] = [
  { kind: 'strace -c', path: fixture('models', 'example-c-epoll-c50.strace.txt'), backend: 'strace', normalisation: 'raw' },
  { kind: 'strace log', path: fixture('strace', 'log', 'mix-ttt-T.log'), backend: 'strace', normalisation: 'per-second' },
  { kind: 'bpftrace', path: fixture('models', 'example-c-epoll-c50.bpftrace.txt'), backend: 'bpftrace', normalisation: 'raw' },
  { kind: 'perf trace -s', path: fixture('perf-trace', 'threads-errno-summary.txt'), backend: 'perf', normalisation: 'raw' },
  { kind: 'pprof syscalls', path: fixture('models', 'runs', 'go-nethttp-bpftrace', 'syscalls.pb.gz'), backend: 'unknown', normalisation: 'raw' },
  { kind: 'run directory', path: fixture('models', 'runs', 'go-nethttp-strace'), backend: 'strace', normalisation: 'per-request' },
  { kind: 'run directory with off-CPU time, latency and overhead', path: fixture('models', 'runs', 'go-nethttp-offcpu-latency'), backend: 'bpftrace', normalisation: 'per-request' },
];
