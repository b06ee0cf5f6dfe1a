// `netprobe demo`: build the example servers (one per network model), trace each under the same built-in
// load with a CPU profile, off-CPU stacks and syscall latency beside the syscall counts, and optionally sweep
// connection counts on the models the memory debate is about. The CLI renders the results. Ctrl-C (the
// signal) keeps what was captured.
import { mkdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildExampleServers, type BuiltServer, type SkippedServer } from '../capture/example-servers.js';
import { probeBpftrace, probeCpuSampling, probeEnvironment } from '../capture/probes.js';
import { freePort } from '../capture/ready.js';
import type { BackendName, TraceOptions } from '../capture/types.js';
import { NetprobeError } from '../model/errors.js';
import { DEFAULT_PARENT, timestampForPath } from './run-dir.js';
import { runSweep, type SweepResult } from './sweep.js';
import { runTrace } from './trace.js';
import type { Run } from './types.js';

export interface DemoOptions {
  /** Directory to create for everything (must not exist); default netprobe-out/demo-<timestamp>. */
  outDir?: string;
  /** Load length per server in seconds. */
  durationSeconds: number;
  /** Keep-alive connections of the built-in load. */
  connections: number;
  backend: BackendName | 'auto';
  /** Connection levels of the sweep on SWEEP_SERVERS; empty = no sweep. */
  sweepLevels: number[];
  /** Load length per sweep level in seconds. */
  sweepSeconds: number;
  /** Example server ids to run (default: all). */
  only?: string[];
  /** One line of progress at a time, for stderr. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface DemoRun {
  server: BuiltServer;
  result: Run;
}

export interface DemoSweep {
  server: BuiltServer;
  sweep: SweepResult;
}

export interface DemoResult {
  dir: string;
  backend: string;
  runs: DemoRun[];
  sweeps: DemoSweep[];
  /** Servers not built (missing compiler) with the command that fixes it. */
  skipped: SkippedServer[];
  /** Servers that were built but whose capture failed, with the reason. */
  failed: { id: string; reason: string }[];
  /** Whether each run also recorded a CPU profile (perf sampling works here). */
  cpuProfiles: boolean;
  /** Why there are no CPU profiles, with the fix, when perf sampling does not work. */
  cpuProblem?: string;
  /** Whether each run also recorded where its threads wait (`offcpu`) and its syscall latency (`latency`): bpftrace works here. */
  offcpuLatency: boolean;
  /** Why there is no off-CPU or latency data, with the fix, when bpftrace does not work. */
  offcpuLatencyProblem?: string;
  /** The signal stopped the demo early: `runs` holds what was captured (the last one possibly cut short). */
  interrupted: boolean;
}

/**
 * A thread per connection, a goroutine per connection, a C epoll loop and libuv: the models whose cost per
 * connection the debate is about.
 */
export const SWEEP_SERVERS = ['c-threads', 'go-nethttp', 'c-epoll', 'node-http'];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const say = options.onProgress ?? (() => {});
  const dir = await createDemoDirectory(options.outDir);
  say(`writing into ${dir}`);

  say('building example servers');
  const { built, skipped } = await buildExampleServers({
    ...(options.only ? { only: options.only } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => {
      if (p.state === 'building') say(`  building ${p.id}`);
      if (p.state === 'skipped') say(`  skipped ${p.id}: ${p.message ?? ''}`);
    },
  });
  if (options.signal?.aborted) {
    // Ctrl-C while building: nothing was traced, so nothing is left behind.
    await rmdir(dir).catch(() => {});
    throw new NetprobeError('interrupted', 'interrupted while building the example servers; nothing written');
  }
  if (built.length === 0) {
    await rmdir(dir).catch(() => {});
    throw new NetprobeError('environment', 'no example server could be built', {
      hint: skipped.map((s) => `${s.id}: ${s.fix}`).join('; '),
    });
  }

  // perf samples at 99 Hz cost about half a second per server (perf script on exit); flame graphs of where
  // CPU goes show what the syscall counts cannot.
  const cpuProbe = await probeCpuSampling();
  const cpuProfiles = cpuProbe.ok;
  if (!cpuProfiles) say(`no CPU flame graphs: ${cpuProbe.detail}${cpuProbe.fix ? ` (fix: ${cpuProbe.fix})` : ''}`);
  // Where threads wait and how long syscalls take are bpftrace programs beside the syscall tracer, whichever it is.
  // Latency costs little; off-CPU stacks cost bpftrace's symbol lookups when it prints them (go-nethttp: about
  // 20 s on 2 cores, the C servers about 1 s), which keeps the whole demo near two and a half minutes.
  const bpftraceProbe = await probeBpftrace(await probeEnvironment());
  const offcpuLatency = bpftraceProbe.ok;
  if (!offcpuLatency) say(`no off-CPU or latency data: ${bpftraceProbe.detail}${bpftraceProbe.fix ? ` (fix: ${bpftraceProbe.fix})` : ''}`);

  const runs: DemoRun[] = [];
  const failed: { id: string; reason: string }[] = [];
  let backend = options.backend as string;
  // A server that fails is reported and skipped; a usage error or the signal ends the demo.
  const attempt = async <T>(id: string, capture: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await capture();
    } catch (err) {
      if (err instanceof NetprobeError && err.code === 'usage') throw err;
      // Stopped by the signal before anything was traced: not a failure of this server.
      if (options.signal?.aborted) return undefined;
      const reason = err instanceof Error ? err.message : String(err);
      failed.push({ id, reason });
      say(`  failed: ${reason.split('\n')[0]}`);
      return undefined;
    }
  };
  const common = (server: BuiltServer, port: number, connections: number, durationSeconds: number): TraceOptions => ({
    command: [...server.command, String(port)],
    backend: options.backend,
    port,
    load: { url: `http://127.0.0.1:${port}/`, connections, durationSeconds },
    name: server.id,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  for (const [i, server] of built.entries()) {
    if (options.signal?.aborted) break;
    say(`[${i + 1}/${built.length}] tracing ${server.id} (${server.title}): ${options.connections} connections for ${options.durationSeconds}s`);
    const result = await attempt(server.id, async () =>
      runTrace({
        ...common(server, await freePort(), options.connections, options.durationSeconds),
        outDir: join(dir, server.id),
        cpu: cpuProfiles,
        offcpu: offcpuLatency,
        latency: offcpuLatency,
      }),
    );
    if (!result) continue;
    backend = result.run.backend;
    runs.push({ server, result });
    const rps = result.run.load ? `${Math.round(result.run.load.requestsPerSecond)} req/s, ` : '';
    say(`  ${rps}${result.run.model.label}${result.run.model.label === server.expectedModel ? '' : ` (expected ${server.expectedModel})`}`);
  }

  const sweeps: DemoSweep[] = [];
  const sweepable = options.sweepLevels.length > 0 ? SWEEP_SERVERS.flatMap((id) => built.filter((s) => s.id === id)) : [];
  for (const server of sweepable) {
    if (options.signal?.aborted) break;
    say(`sweeping ${server.id}: connections=${options.sweepLevels.join(',')}, ${options.sweepSeconds}s each`);
    const sweepDir = join(dir, `sweep-${server.id}`);
    const sweep = await attempt(`sweep ${server.id}`, async () =>
      runSweep({
        ...common(server, await freePort(), options.sweepLevels[0]!, options.sweepSeconds),
        connections: options.sweepLevels,
        outDir: sweepDir,
        onProgress: (p) => p.message && p.phase === 'starting' && /^(sweep level|skipping|measuring)/.test(p.message) && say(`  ${p.message}`),
      }),
    );
    if (sweep && sweep.runs.length > 0) sweeps.push({ server, sweep });
  }
  // Interrupted before the first run: an empty directory would only be in the way of the next demo.
  if (runs.length === 0) await rmdir(dir).catch(() => {});
  return {
    dir,
    backend,
    runs,
    sweeps,
    skipped,
    failed,
    cpuProfiles,
    ...(cpuProfiles ? {} : { cpuProblem: `${cpuProbe.detail}${cpuProbe.fix ? `; to enable: ${cpuProbe.fix}` : ''}` }),
    offcpuLatency,
    ...(offcpuLatency ? {} : { offcpuLatencyProblem: `${bpftraceProbe.detail}${bpftraceProbe.fix ? `; to enable: ${bpftraceProbe.fix}` : ''}` }),
    interrupted: options.signal?.aborted ?? false,
  };
}

async function createDemoDirectory(outDir: string | undefined): Promise<string> {
  const dir = resolve(outDir ?? join(DEFAULT_PARENT, `demo-${timestampForPath(new Date())}`));
  await mkdir(resolve(dir, '..'), { recursive: true }).catch(() => {});
  // Non-recursive: an existing directory is an error, never reused or overwritten.
  await mkdir(dir).catch((cause: NodeJS.ErrnoException) => {
    throw new NetprobeError(cause.code === 'EEXIST' ? 'usage' : 'environment', `cannot create ${dir}: ${cause.code === 'EEXIST' ? 'it already exists' : cause.message}`, {
      cause,
      hint: 'Choose a new directory with --out, or leave --out away for a fresh netprobe-out/demo-<timestamp>.',
    });
  });
  return dir;
}
