// `netprobe doctor` runs each tool for real and names the fix for each one that does not work.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, isRoot, runCli, toolAvailable } from '../helpers.js';

// The test as nobody needs root to switch to nobody, a tracefs that only root may read (the usual 0700), and a
// checkout nobody can read; decided at collection so that it is skipped, with the reason, rather than passing empty.
const asNobodySkip = ((): string | undefined => {
  if (!isRoot || !toolAvailable('setpriv', ['--version'])) return 'needs root and setpriv';
  const mode = statSync('/sys/kernel/tracing', { throwIfNoEntry: false })?.mode;
  const mounted = readFileSync('/proc/mounts', 'utf8').includes(' /sys/kernel/tracing tracefs ');
  if (!mounted || mode === undefined || (mode & 0o005) !== 0) return 'needs a root-only tracefs mounted at /sys/kernel/tracing';
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', BIN], { stdio: 'ignore' });
  } catch {
    return `${BIN} is not readable by nobody`;
  }
  return undefined;
})();
if (asNobodySkip !== undefined) console.warn(`SKIP: doctor as nobody: ${asNobodySkip}`);

describe('netprobe doctor', () => {
  it('reports every backend, agrees with what the tools do here, and exits 0 when one works', async () => {
    const r = await runCli(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as {
      environment: { root: boolean; tracefs: boolean };
      backends: { name: string; ok: boolean; detail: string; fix?: string }[];
      cpu: { ok: boolean; event?: string };
      auto: string | null;
    };
    expect(report.backends.map((b) => b.name)).toEqual(['bpftrace', 'perf', 'strace']);
    for (const b of report.backends) if (!b.ok) expect(b.fix, b.name).toBeTruthy();
    const strace = report.backends.find((b) => b.name === 'strace')!;
    if (toolAvailable('strace', ['-f', '-c', '-o', '/dev/null', 'true'])) expect(strace.ok).toBe(true);
    expect(r.exitCode).toBe(report.backends.some((b) => b.ok) ? 0 : 3);
    if (report.auto) expect(report.auto).toMatch(/^auto: (bpftrace|perf|strace) \(/);
    if (report.cpu.ok) expect(['cycles', 'cpu-clock']).toContain(report.cpu.event);
  }, 60_000);

  it('prints a table with the fix commands', async () => {
    const r = await runCli(['doctor']);
    expect(r.stdout).toMatch(/^backend\s+status\s+version\s+detail$/m);
    expect(r.stdout).toMatch(/^strace\s+(works|does not work)/m);
    expect(r.stdout).toMatch(/--backend auto would use|no backend works here/);
  }, 60_000);

  it.skipIf(asNobodySkip !== undefined)('as a user who may not read tracefs: says it is mounted but not readable, and does not suggest mounting it', async () => {
    const asNobody = (args: string[]) =>
      execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { env: { NO_COLOR: '1' }, reject: false });
    const json = await asNobody(['doctor', '--json']);
    const report = JSON.parse(json.stdout) as { environment: { root: boolean; tracefs: boolean; tracefsMount?: string }; backends: { name: string; fix?: string }[] };
    expect(report.environment).toMatchObject({ root: false, tracefs: false, tracefsMount: '/sys/kernel/tracing' });
    for (const b of report.backends) expect(b.fix ?? '', b.name).not.toMatch(/mount -t tracefs/);
    const text = await asNobody(['doctor']);
    expect(text.stdout).toMatch(/tracefs: mounted at \/sys\/kernel\/tracing, not readable \(run as root\)/);
    expect(text.stdout).not.toMatch(/not mounted/);
  }, 60_000);

  it('with no tool on PATH: each fix is the install command, and the exit code is 3', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'netprobe-nopath-'));
    try {
      const r = await execa(process.execPath, [BIN, 'doctor'], { env: { PATH: empty, NO_COLOR: '1' }, extendEnv: false, reject: false });
      expect(r.exitCode).toBe(3);
      expect(r.stdout).toContain('strace: apt-get install strace');
      expect(r.stdout).toContain('perf: apt-get install linux-perf');
      expect(r.stdout).toContain('bpftrace: apt-get install bpftrace');
      expect(r.stderr).toMatch(/^netprobe: no tracing backend works here$/m);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
