// Off-CPU backend (`trace --offcpu`): a second bpftrace beside the syscall tracer, summing the time the target's
// threads spend blocked per (user stack, kernel stack, thread); see capture/bpftrace-offcpu-script.ts.
// `bpftrace raw/offcpu.bt`, stdout untouched in raw/offcpu-bpftrace.txt.
import { bpftraceOffcpuScript } from '../bpftrace-offcpu-script.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';
import { bpftraceLoss, startBpftrace } from './bpftrace.js';

export async function attachBpftraceOffcpu(options: AttachOptions): Promise<Tracer> {
  const scriptFile = 'raw/offcpu.bt';
  const output = 'raw/offcpu-bpftrace.txt';
  const script = bpftraceOffcpuScript({ pid: options.pid, followChildren: true, descendants: options.pids.filter((p) => p !== options.pid) });
  // Keys are (user stack, kernel stack, thread): a busy server has thousands.
  const proc = await startBpftrace(options.runDir, { scriptFile, output, script, env: { BPFTRACE_MAP_KEYS_MAX: '65536' } });
  return {
    label: 'bpftrace',
    exitStatus: () => proc.exitStatus,
    // Printing the maps symbolises every frame of every stack.
    stop: () => proc.stop({ graceMs: 30_000 }).then(() => undefined),
    async collect(): Promise<TracerOutput> {
      const loss = bpftraceLoss(proc);
      return { role: 'offcpu', output: { file: output, format: 'bpftrace-offcpu' }, stacks: true, files: [scriptFile, output], lost: loss.lost, notes: loss.notes };
    },
  };
}
