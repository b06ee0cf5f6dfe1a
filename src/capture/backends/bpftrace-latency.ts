// Latency backend (`trace --latency`): a bpftrace beside the syscall tracer, keeping a log2 histogram and the
// maximum of each syscall's sys_enter -> sys_exit time in the kernel; see capture/bpftrace-latency-script.ts.
// `bpftrace raw/latency.bt`, stdout untouched in raw/latency-bpftrace.txt; the maps are printed when bpftrace
// gets SIGINT or when the target's main thread exits.
import { bpftraceLatencyScript } from '../bpftrace-latency-script.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';
import { bpftraceLoss, startBpftrace } from './bpftrace.js';

export async function attachBpftraceLatency(options: AttachOptions): Promise<Tracer> {
  const scriptFile = 'raw/latency.bt';
  const output = 'raw/latency-bpftrace.txt';
  const script = bpftraceLatencyScript({ pid: options.pid, followChildren: true, descendants: options.pids.filter((p) => p !== options.pid) });
  // @start holds one key per thread in a syscall: a thread-per-connection server can have thousands.
  const proc = await startBpftrace(options.runDir, { scriptFile, output, script, env: { BPFTRACE_MAP_KEYS_MAX: '65536' } });
  return {
    label: 'bpftrace',
    exitStatus: () => proc.exitStatus,
    stop: () => proc.stop({ graceMs: 30_000 }).then(() => undefined),
    async collect(): Promise<TracerOutput> {
      const loss = bpftraceLoss(proc);
      return {
        role: 'latency',
        output: { file: output, format: 'bpftrace-latency' },
        stacks: false,
        files: [scriptFile, output],
        notes: loss.notes,
        lost: loss.lost,
      };
    },
  };
}
