// Latency backend (`trace --latency`): a bpftrace beside the syscall tracer, keeping a log2 histogram and the
// maximum of each syscall's sys_enter -> sys_exit time in the kernel; see capture/bpftrace-latency-script.ts.
// `bpftrace raw/latency.bt`, stdout untouched in raw/latency-bpftrace.txt; the maps are printed when bpftrace
// gets SIGINT or when the target's main thread exits.
import { bpftraceLatencyScript } from '../bpftrace-latency-script.js';
import type { AttachOptions, Tracer } from '../types.js';
import { attachBpftraceProgram, descendantsOf } from './bpftrace.js';

export function attachBpftraceLatency(options: AttachOptions): Promise<Tracer> {
  return attachBpftraceProgram(options, {
    role: 'latency',
    scriptFile: 'raw/latency.bt',
    output: 'raw/latency-bpftrace.txt',
    format: 'bpftrace-latency',
    script: bpftraceLatencyScript({ pid: options.pid, followChildren: true, descendants: descendantsOf(options) }),
  });
}
