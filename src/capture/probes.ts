// Environment probes for `doctor` and `--backend auto`: each backend is actually run on `true`, and a
// failure is mapped to the one command that fixes it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { BackendName } from './types.js';

export interface ProbeResult {
  /** `strace`, `perf`, `bpftrace`, or `cpu` (perf sampling for `--cpu`). */
  name: BackendName | 'cpu';
  ok: boolean;
  /** Tool version when it could be asked. */
  version?: string;
  /** What works, or why it does not. */
  detail: string;
  /** The exact command that fixes it, when it does not work. */
  fix?: string;
}

export interface Environment {
  root: boolean;
  /** The syscall tracepoints can be read here (tracefs mounted and readable by this user). */
  tracefs: boolean;
  /**
   * Where tracefs is mounted (from /proc/mounts), when it is: mounted but not `tracefs` means this user
   * may not read it (mode 0700 for root), which mounting again does not fix.
   */
  tracefsMount?: string;
  /** kernel.perf_event_paranoid, when readable. */
  perfParanoid?: number;
}

export const TRACEFS_DIR = '/sys/kernel/tracing';
export const TRACEFS_EVENTS = `${TRACEFS_DIR}/events`;
export const MOUNT_TRACEFS = 'mount -t tracefs nodev /sys/kernel/tracing';
/**
 * How to run netprobe as root: sudo resets PATH (secure_path), so a project-local netprobe, and often node
 * itself, are not found by a bare `sudo netprobe`; passing PATH through keeps both, and npx finds ours.
 */
export const RUN_AS_ROOT = 'sudo env "PATH=$PATH" npx netprobe ...   # run as root (sudo resets PATH)';

export async function probeEnvironment(): Promise<Environment> {
  const paranoid = await readFile('/proc/sys/kernel/perf_event_paranoid', 'utf8').catch(() => undefined);
  const mount = await tracefsMountPoint();
  return {
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    tracefs: existsSync(TRACEFS_EVENTS),
    ...(mount !== undefined ? { tracefsMount: mount } : {}),
    perfParanoid: paranoid === undefined ? undefined : Number(paranoid.trim()),
  };
}

// /proc/mounts lines: `nodev /sys/kernel/tracing tracefs rw,relatime 0 0` (spaces in paths are `\040`).
async function tracefsMountPoint(): Promise<string | undefined> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const points = mounts
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'tracefs')
    .map((f) => f[1]!.replace(/\\040/g, ' '));
  return points.find((p) => p === TRACEFS_DIR) ?? points[0];
}

/** What is wrong with tracefs, for a probe's detail, and its fix. */
export function tracefsProblem(env: Environment): { detail: string; fix: string } {
  if (env.tracefsMount === undefined) return { detail: `tracefs is not mounted (${TRACEFS_EVENTS} missing)`, fix: MOUNT_TRACEFS };
  return { detail: `tracefs is mounted at ${env.tracefsMount} but not readable by this user`, fix: RUN_AS_ROOT };
}

interface Trial {
  ok: boolean;
  missing: boolean;
  output: string;
}

async function trial(file: string, args: string[]): Promise<Trial> {
  const r = await execa(file, args, { reject: false, timeout: 30_000, all: true, stdin: 'ignore' });
  const missing = (r as { code?: string }).code === 'ENOENT';
  return { ok: r.exitCode === 0 && !r.timedOut, missing, output: String(r.all ?? '').trim() };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/RLIMIT_MEMLOCK/.test(l)) ?? 'no output'
  );
}

export async function probeStrace(): Promise<ProbeResult> {
  const version = await trial('strace', ['-V']);
  if (version.missing) return { name: 'strace', ok: false, detail: 'strace is not installed', fix: 'apt-get install strace' };
  const t = await trial('strace', ['-f', '-c', '-o', '/dev/null', 'true']);
  const v = /version (\S+)/.exec(version.output)?.[1];
  if (t.ok) return { name: 'strace', ok: true, version: v, detail: 'ptrace works (strace -c true)' };
  return {
    name: 'strace',
    ok: false,
    version: v,
    detail: `strace -c true failed: ${firstLine(t.output)}`,
    fix: 'sysctl kernel.yama.ptrace_scope=0   # or run as root; in a container: --cap-add SYS_PTRACE',
  };
}

export async function probePerf(env: Environment): Promise<ProbeResult> {
  const version = await trial('perf', ['--version']);
  if (version.missing || /not found for kernel/i.test(version.output)) {
    return { name: 'perf', ok: false, detail: firstLine(version.output || 'perf is not installed'), fix: 'apt-get install linux-perf' };
  }
  const v = /perf version (\S+)/.exec(version.output)?.[1];
  if (!env.tracefs) {
    const problem = tracefsProblem(env);
    return { name: 'perf', ok: false, version: v, detail: `${problem.detail}: no syscall tracepoints`, fix: problem.fix };
  }
  const t = await trial('perf', ['stat', '-e', 'raw_syscalls:sys_enter', 'true']);
  if (t.ok) return { name: 'perf', ok: true, version: v, detail: 'syscall tracepoints work (perf stat -e raw_syscalls:sys_enter true)' };
  return {
    name: 'perf',
    ok: false,
    version: v,
    detail: `perf stat -e raw_syscalls:sys_enter true failed: ${firstLine(t.output)}`,
    fix: env.root ? MOUNT_TRACEFS : 'sysctl kernel.perf_event_paranoid=-1   # or run as root',
  };
}

/** CPU sampling for `--cpu`; `event` is the one to record with. */
export async function probeCpuSampling(): Promise<ProbeResult & { event?: 'cycles' | 'cpu-clock' }> {
  // `perf stat -e cycles` exits 0 and prints `<not supported>` when there are no hardware counters (VMs).
  const cycles = await trial('perf', ['stat', '-x', ',', '-e', 'cycles', 'true']);
  if (cycles.missing) return { name: 'cpu', ok: false, detail: 'perf is not installed', fix: 'apt-get install linux-perf' };
  if (cycles.ok && !/not supported|not counted/i.test(cycles.output)) return { name: 'cpu', ok: true, event: 'cycles', detail: 'perf samples hardware cycles' };
  const clock = await trial('perf', ['stat', '-e', 'cpu-clock', 'true']);
  if (clock.ok) return { name: 'cpu', ok: true, event: 'cpu-clock', detail: 'perf samples cpu-clock (no hardware counters here)' };
  return {
    name: 'cpu',
    ok: false,
    detail: `perf stat -e cpu-clock true failed: ${firstLine(clock.output)}`,
    fix: 'sysctl kernel.perf_event_paranoid=1   # or run as root',
  };
}

export async function probeBpftrace(env: Environment): Promise<ProbeResult> {
  const version = await trial('bpftrace', ['--version']);
  if (version.missing) return { name: 'bpftrace', ok: false, detail: 'bpftrace is not installed', fix: 'apt-get install bpftrace' };
  const v = /v?(\d+\.\d+\.\d+)/.exec(version.output)?.[1];
  if (!env.root) return { name: 'bpftrace', ok: false, version: v, detail: 'bpftrace needs root', fix: RUN_AS_ROOT };
  if (!env.tracefs) return { name: 'bpftrace', ok: false, version: v, ...tracefsProblem(env) };
  const t = await trial('bpftrace', ['-e', 'tracepoint:raw_syscalls:sys_enter /pid == 0/ { } BEGIN { exit(); }']);
  if (t.ok) return { name: 'bpftrace', ok: true, version: v, detail: 'attaches to raw_syscalls tracepoints' };
  return { name: 'bpftrace', ok: false, version: v, detail: `bpftrace failed: ${firstLine(t.output)}`, fix: 'apt-get install --reinstall bpftrace   # and check dmesg for BPF errors' };
}

/** Every syscall backend, in order of preference (lowest overhead first). */
export async function probeBackends(env?: Environment): Promise<ProbeResult[]> {
  const e = env ?? (await probeEnvironment());
  return Promise.all([probeBpftrace(e), probePerf(e), probeStrace()]);
}
