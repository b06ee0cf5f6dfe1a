// Off-CPU backend (`trace --offcpu`): a second bpftrace beside the syscall tracer, summing the time the target's
// threads spend blocked per (user stack, kernel stack, thread); see capture/bpftrace-offcpu-script.ts.
// `bpftrace raw/offcpu.bt`, stdout untouched in raw/offcpu-bpftrace.txt.
import { bpftraceOffcpuScript } from '../bpftrace-offcpu-script.js';
import type { AttachOptions, Tracer } from '../types.js';
import { attachBpftraceProgram, descendantsOf } from './bpftrace.js';

export function attachBpftraceOffcpu(options: AttachOptions): Promise<Tracer> {
  return attachBpftraceProgram(options, {
    role: 'offcpu',
    scriptFile: 'raw/offcpu.bt',
    output: 'raw/offcpu-bpftrace.txt',
    format: 'bpftrace-offcpu',
    script: bpftraceOffcpuScript({ pid: options.pid, followChildren: true, descendants: descendantsOf(options) }),
  });
}
