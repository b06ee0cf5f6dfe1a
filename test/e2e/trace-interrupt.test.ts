// Ctrl-C mid-load: netprobe stops load, tracer and target, writes what it captured, marks it interrupted,
// exits 130, and leaves no tracer or server process behind. Ctrl-C before the tracer attached: nothing to keep.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers.js';
import { freePort, processesMentioning, readRunJson, usableBackends, useBuiltProgram } from './trace-support.js';

const work = useBuiltProgram('netprobe-int-', 'servers/c-epoll/server.c', 'epoll-server');

const usable = usableBackends();
const CASES: [string, NodeJS.Signals][] = [
  ['strace', 'SIGINT'],
  ['perf', 'SIGINT'],
  ['bpftrace', 'SIGINT'],
  ['strace', 'SIGTERM'],
  // A closed terminal (SIGHUP) and Ctrl-\ (SIGQUIT) stop everything too.
  ['perf', 'SIGHUP'],
  ['bpftrace', 'SIGQUIT'],
];

/**
 * Files netprobe leaves behind by mistake: temporary outputs beside a file, perf's control FIFOs. A FIFO folder
 * that a running perf still names belongs to a live capture (tests run in parallel), not to this one.
 */
function leftovers(dir: string, since: number): string[] {
  const temp = readdirSync(tmpdir()).filter(
    (f) => f.startsWith('netprobe-perf-') && statSync(join(tmpdir(), f)).mtimeMs >= since && processesMentioning(f).length === 0,
  );
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.tmp') ? [join(d, e.name)] : [])) : [];
  return [...temp, ...walk(dir)];
}

describe('interrupting a trace', () => {
  for (const [backend, signal] of CASES) {
    it.skipIf(!usable[backend])(`${backend}, ${signal} mid-load: exit 130, run dir written and marked, nothing left running`, async () => {
      const started = Date.now();
      const port = await freePort();
      const out = join(work.dir, `run-${backend}-${signal}`);
      const cli = execa('node', [BIN, 'trace', '--backend', backend, '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-d', '60s', '-o', out, '--', work.program, String(port)], {
        cwd: ROOT,
        reject: false,
        env: { NO_COLOR: '1' },
        timeout: 60_000,
      });
      // The load starts once the port answers and the tracer is attached; give it a moment to run.
      for (let i = 0; i < 200 && processesMentioning(`127.0.0.1:${port}`).length === 0 && !existsSync(join(out, 'raw')); i++) await sleep(50);
      await sleep(2500);
      cli.kill(signal);
      const r = await cli;
      expect(r.exitCode, String(r.stderr)).toBe(130);
      expect(String(r.stderr)).toMatch(/interrupted; partial capture written to/);
      const run = readRunJson(out);
      expect(run.interrupted).toBe(true);
      expect(run.load!.requests).toBeGreaterThan(0);
      expect(run.syscalls.length).toBeGreaterThan(0);
      expect(String(r.stdout)).toContain('[interrupted]');
      expect(processesMentioning(work.dir)).toEqual([]);
      expect(leftovers(out, started)).toEqual([]);
    }, 60_000);
  }

  for (const [command, signal] of [
    ['check', 'SIGHUP'],
    ['sweep', 'SIGTERM'],
  ] as const) {
    it.skipIf(!usable.strace)(`${command}, ${signal} mid-load: exit 130, no verdict, nothing left running`, async () => {
      const started = Date.now();
      const port = await freePort();
      const out = join(work.dir, `run-${command}-${signal}`);
      const load = ['--load', `http://127.0.0.1:${port}/`, '-c', '4', '-d', '60s', '-o', out];
      const args =
        command === 'check'
          ? ['check', '--baseline', join(ROOT, 'fixtures', 'strace', 'summary', 'mix-c-S-calls.txt'), '--backend', 'strace', ...load, '--', work.program, String(port)]
          : ['trace', '--backend', 'strace', '--sweep', 'connections=2,4', ...load, '--', work.program, String(port)];
      const cli = execa('node', [BIN, ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' }, timeout: 60_000 });
      for (let i = 0; i < 200 && processesMentioning(`127.0.0.1:${port}`).length === 0; i++) await sleep(50);
      await sleep(2500);
      cli.kill(signal);
      const r = await cli;
      expect(r.exitCode, String(r.stderr)).toBe(130);
      expect(String(r.stdout)).not.toMatch(/PASSED|FAILED/);
      expect(processesMentioning(work.dir)).toEqual([]);
      expect(leftovers(out, started)).toEqual([]);
    }, 60_000);
  }

  it('SIGINT while waiting for --port: exit 130, no run directory, no summary, nothing left running', async () => {
    const [listened, waited] = [await freePort(), await freePort()];
    const out = join(work.dir, 'run-before-attach');
    // The server listens on another port than --port: netprobe waits (untraced) until the signal.
    const cli = execa('node', [BIN, 'trace', '--backend', 'strace', '--port', String(waited), '-o', out, '--', work.program, String(listened)], {
      cwd: ROOT,
      reject: false,
      env: { NO_COLOR: '1' },
      timeout: 30_000,
    });
    // The server itself, not netprobe's own command line that names it.
    const servers = () => processesMentioning(work.program).filter((p) => p.split(' ')[1] === work.program);
    for (let i = 0; i < 200 && servers().length === 0; i++) await sleep(50);
    expect(servers()).toHaveLength(1);
    expect(existsSync(out)).toBe(true);
    cli.kill('SIGINT');
    const r = await cli;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(String(r.stderr)).toMatch(/interrupted before the capture started; nothing written/);
    expect(String(r.stderr)).not.toMatch(/partial capture/);
    expect(String(r.stdout)).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(processesMentioning(work.dir)).toEqual([]);
  }, 30_000);
});
