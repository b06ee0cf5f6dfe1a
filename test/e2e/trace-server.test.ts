// Real tracers on a real small server under the built-in load: the load window, per-request figures,
// the run directory's files, --measure-overhead, --cpu, and that nothing is left running afterwards.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, toolAvailable } from '../helpers.js';
import { BACKENDS, freePort, processesMentioning, readRunJson, traceUnderLoad, usableBackends, useBuiltProgram } from './trace-support.js';

const work = useBuiltProgram('netprobe-srv-', 'servers/c-epoll/server.c', 'epoll-server');

// Probed once at collection: under CI a missing tool fails the file, elsewhere its tests skip with a SKIP line.
const usable = usableBackends();
const havePerfCpu = toolAvailable('perf', ['stat', '-e', 'cpu-clock', 'true']);
// `wrk --version` exits 1 even when wrk works, so probe for the binary instead.
const haveWrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].some((p) => existsSync(p));
if (!haveWrk) console.warn('SKIP: wrk not found in /usr/bin or /usr/local/bin');

describe('trace a server under load', () => {
  for (const [backend] of BACKENDS) {
    it.skipIf(!usable[backend])(`${backend}: captures the load window and normalises per request`, async () => {
      const port = await freePort();
      const out = join(work.dir, `run-${backend}`);
      const { r, run } = await traceUnderLoad(['--backend', backend], port, out, [work.program, String(port)]);
      expect(run.backend).toBe(backend);
      expect(run.capture.window).toBe('load');
      expect(r.stdout).toContain('capture window: load only');
      expect(run.load!.requests).toBeGreaterThan(0);
      // The epoll server answers each request with one read and one write; the load window has no startup.
      const write = run.syscalls.find((s) => s.name === 'write')!;
      expect(write.calls).toBeGreaterThanOrEqual(run.load!.requests);
      expect(run.perRequest!.write).toBeGreaterThanOrEqual(1);
      expect(run.syscalls.find((s) => s.name === 'bind')).toBeUndefined();
      // Every backend reports the threads it saw (strace from its attach messages).
      expect(run.threads).toBeGreaterThanOrEqual(1);
      expect(r.stdout).toMatch(/^threads: \d+$/m);
      for (const f of run.files) expect(existsSync(join(out, f)), f).toBe(true);
      expect(run.files).toEqual(expect.arrayContaining(['run.json', 'syscalls.pb.gz', 'flame.html']));
      expect(processesMentioning(work.dir)).toEqual([]);
    }, 60_000);
  }

  it.skipIf(!usable.strace)('netprobe does not disturb the server it attaches to: no signal from netprobe, no EINTR in its event loop', async () => {
    const port = await freePort();
    const out = join(work.dir, 'run-undisturbed');
    const r = await runCli(['trace', '--backend', 'strace', '--strace-log', '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-d', '1s', '-o', out, '--', work.program, String(port)]);
    expect(r.exitCode).toBe(0);
    const log = readFileSync(join(out, 'raw', 'strace.log'), 'utf8');
    // A SIGCONT sent to a running server interrupts epoll_wait with EINTR (signal(7)).
    expect(log).not.toMatch(/--- SIG/);
    const run = readRunJson(out);
    expect(run.syscalls.find((s) => s.name === 'epoll_wait')).toMatchObject({ errors: 0 });
  }, 60_000);

  it.skipIf(!usable.strace || !havePerfCpu)('--measure-overhead and --cpu: reports traced/untraced throughput and writes cpu.pb.gz', async () => {
    const port = await freePort();
    const out = join(work.dir, 'run-overhead');
    const { r, run } = await traceUnderLoad(['--backend', 'strace', '--cpu', '--measure-overhead'], port, out, [work.program, String(port)]);
    expect(run.overhead!.untracedRps).toBeGreaterThan(0);
    expect(run.overhead!.ratio).toBeCloseTo(run.overhead!.tracedRps / run.overhead!.untracedRps, 2);
    expect(r.stdout).toMatch(/overhead: traced [\d,]+ req\/s \/ untraced [\d,]+ req\/s = \d\.\d\d/);
    expect(run.files).toEqual(expect.arrayContaining(['cpu.pb.gz', 'raw/perf-cpu.script']));
    expect(processesMentioning(work.dir)).toEqual([]);
  }, 60_000);

  it.skipIf(!usable.perf)('--cpu with the perf syscall backend says the CPU profile holds perf\'s own in-kernel cost', async () => {
    const port = await freePort();
    const out = join(work.dir, 'run-perf-cpu');
    const r = await runCli(['trace', '--backend', 'perf', '--cpu', '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-d', '1s', '-o', out, '--', work.program, String(port)]);
    expect(r.exitCode).toBe(0);
    const note = "the CPU profile includes the perf syscall tracer's in-kernel cost; --backend bpftrace adds much less";
    expect(readRunJson(out).capture.notes).toContain(note);
    expect(r.stdout).toContain(`note: ${note}`);
  }, 60_000);

  it.skipIf(!haveWrk || !usable.strace)('--load-cmd: wrk --latency percentiles land in run.json load.latencyMs', async () => {
    const port = await freePort();
    const out = join(work.dir, 'run-wrk');
    const wrk = `wrk -t1 -c2 -d1s --latency http://127.0.0.1:${port}/`;
    const r = await runCli(['trace', '--backend', 'strace', '--port', String(port), '--load-cmd', wrk, '-o', out, '--', work.program, String(port)]);
    expect(r.exitCode).toBe(0);
    const load = readRunJson(out).load as { requests: number; latencyMs?: { p50: number; p90: number; p99: number; max: number } };
    expect(load.requests).toBeGreaterThan(0);
    expect(load.latencyMs!.p99).toBeGreaterThanOrEqual(load.latencyMs!.p50);
    expect(r.stdout).toMatch(/latency p50 [\d.]+ ms p99 [\d.]+ ms/);
  }, 60_000);

  it.skipIf(!usable.strace)('--pid attaches to a running process and leaves it running', async () => {
    const { spawn } = await import('node:child_process');
    const port = await freePort();
    const child = spawn(work.program, [String(port)], { stdio: 'ignore' });
    try {
      const { waitForPort } = await import('../../src/capture/ready.js');
      await waitForPort(port, { timeoutMs: 10_000 });
      const out = join(work.dir, 'run-pid');
      const r = await runCli(['trace', '--backend', 'strace', '--pid', String(child.pid), '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-n', '200', '-o', out]);
      expect(r.exitCode).toBe(0);
      const run = readRunJson(out);
      expect(run.capture.window).toBe('attached');
      expect(run.load!.requests).toBe(200);
      expect(child.exitCode).toBeNull();
      expect(processesMentioning(out)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('an idle target', () => {
  for (const [backend] of BACKENDS) {
    it.skipIf(!usable[backend])(`${backend}: no syscalls is an empty, complete run directory and exit 0`, async () => {
      const { spawn } = await import('node:child_process');
      const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        // Let sleep reach its nanosleep: from then on it makes no syscall until it ends.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const out = join(work.dir, `idle-${backend}`);
        const r = await runCli(['trace', '--backend', backend, '--pid', String(idle.pid), '-d', '500ms', '-o', out]);
        expect(r.stderr).not.toMatch(/internal error|expected/);
        expect(r.exitCode).toBe(0);
        const run = readRunJson(out);
        expect(run.totals.calls).toBe(0);
        expect(run.capture.notes).toContain('no syscalls captured: the target made none in the capture window');
        expect(r.stdout).toContain('note: no syscalls captured');
        for (const f of run.files) expect(existsSync(join(out, f)), f).toBe(true);
        expect(idle.exitCode).toBeNull();
      } finally {
        idle.kill('SIGKILL');
      }
    }, 60_000);
  }
});
