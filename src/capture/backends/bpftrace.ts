// bpftrace backend: counts every syscall of the target in the kernel (calls, errors by errno, wall time,
// optionally user stacks); the lowest overhead, since nothing crosses to user space per call.
// `bpftrace raw/netprobe.bt`, stdout copied untouched to raw/bpftrace.txt; the maps are printed when
// bpftrace gets SIGINT or when the target's main thread exits (the script calls exit()).
import { readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetprobeError } from '../../model/errors.js';
import { bpftraceParser } from '../../parse/bpftrace.js';
import { bpftraceSyscallScript } from '../bpftrace-script.js';
import { parseFile } from '../parse-file.js';
import { ManagedProcess, waitForTracer } from '../target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';

// bpftrace prints "Attaching N probes..." before it loads and attaches them (the verifier may take a
// while), and runs BEGIN (which seeds the pid the script follows) right after the last attach, silently.
// Attached means one perf_event fd per probe (observed with 0.17: 8 probes, 8 `anon_inode:[perf_event]`);
// after that BEGIN gets a short grace.
const BEGIN_GRACE_MS = 100;

export async function attachBpftrace(options: AttachOptions): Promise<Tracer> {
  const scriptFile = 'raw/netprobe.bt';
  const output = 'raw/bpftrace.txt';
  await writeFile(join(options.runDir, scriptFile), bpftraceSyscallScript({ pid: options.pid, followChildren: true, stacks: options.syscallStacks }));

  let announce!: (probes: number) => void;
  const announced = new Promise<number>((resolve) => (announce = resolve));
  const proc = new ManagedProcess('bpftrace', [join(options.runDir, scriptFile)], {
    label: 'bpftrace',
    stdoutFile: join(options.runDir, output),
    onStdoutLine: (line) => {
      const m = /^Attaching (\d+) probes?/.exec(line);
      if (m) announce(Number(m[1]));
    },
    // Stack maps key on (stack, syscall): the default of 4096 keys fills up on a real server.
    env: { BPFTRACE_MAP_KEYS_MAX: '65536' },
  });
  const attached = announced.then(async (probes) => {
    while (!proc.hasExited && (await perfEventFds(proc.pid)) < probes) await sleep(10);
    await sleep(BEGIN_GRACE_MS);
  });
  await waitForTracer(proc, attached, bpftraceHint);

  return {
    async stop() {
      // Printing stack maps symbolises every frame, which takes a while on big maps.
      await proc.stop({ graceMs: 30_000 });
    },
    async collect(): Promise<TracerOutput> {
      const parsed = await parseFile(bpftraceParser, join(options.runDir, output), output);
      if (!parsed.syscalls) throw new NetprobeError('input', `${output}: bpftrace printed no syscall maps`);
      const lost = proc.stderrTail().find((l) => /lost \d+ events|map.*full/i.test(l));
      return {
        syscalls: parsed.syscalls,
        profile: options.syscallStacks ? parsed.profile : undefined,
        files: [scriptFile, output],
        warnings: parsed.warnings,
        notes: lost ? [`bpftrace: ${lost.trim()}`] : [],
      };
    },
  };
}

async function perfEventFds(pid: number): Promise<number> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.filter((l) => l === 'anon_inode:[perf_event]').length;
}

function bpftraceHint(stderr: string): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'bpftrace needs root: run netprobe with sudo.';
  if (/tracefs|debugfs|\/sys\/kernel\/(debug\/)?tracing/i.test(stderr)) {
    return 'Mount tracefs: `mount -t tracefs nodev /sys/kernel/tracing`.';
  }
  if (/Operation not permitted|Permission denied/i.test(stderr)) return 'bpftrace needs root (CAP_BPF and CAP_PERFMON): run netprobe with sudo.';
  return undefined;
}
