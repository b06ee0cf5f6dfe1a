// trace --offcpu: where threads wait and for how long, checked against a program with known waits
// (fixtures/ground-truth/waits.c) and against the example servers' network models.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExampleServers, type BuiltServer } from '../../src/capture/example-servers.js';
import { stackList, type Profile } from '../../src/model/profile.js';
import type { OffcpuSummary } from '../../src/model/offcpu.js';
import { blockingSyscall } from '../../src/report/offcpu.js';
import { readInput } from '../../src/run/input.js';
import { runCli, toolAvailable } from '../helpers.js';
import { freePort, readRunJson, useBuiltProgram } from './trace-support.js';

const usable = toolAvailable('bpftrace', ['-e', 'BEGIN { exit(); }']);
const hasCompilers = usable && toolAvailable('gcc') && toolAvailable('go', ['version']);
const work = useBuiltProgram('netprobe-offcpu-', 'ground-truth/waits.c', 'waits');

/** Blocked nanoseconds per thread id, and by the syscall blocked in, from an off-CPU profile. */
function byThread(profile: Profile): Map<number, { ns: number; bySyscall: Map<string, number> }> {
  const ns = profile.sampleTypes.findIndex((t) => t.type === 'offcpu');
  const out = new Map<number, { ns: number; bySyscall: Map<string, number> }>();
  for (const s of stackList(profile)) {
    const tid = Number(s.labels?.thread);
    const entry = out.get(tid) ?? { ns: 0, bySyscall: new Map<string, number>() };
    entry.ns += s.values[ns]!;
    const sys = blockingSyscall(s.frames.map((id) => profile.frames[id]!)) ?? 'none';
    entry.bySyscall.set(sys, (entry.bySyscall.get(sys) ?? 0) + s.values[ns]!);
    out.set(tid, entry);
  }
  return out;
}

describe('trace --offcpu on a program with known waits', () => {
  it.skipIf(!usable)('attributes each thread its blocked time within 5%, in the syscall it waited in', async () => {
    const out = join(work.dir, 'waits-run');
    const rolesFile = join(work.dir, 'roles.txt');
    const r = await runCli(['trace', '--offcpu', '--backend', 'bpftrace', '-o', out, '--', work.program, rolesFile]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const roles = Object.fromEntries(
      readFileSync(rolesFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([role, tid]) => [role!, Number(tid)]),
    );
    const loaded = await readInput(out);
    const profile = loaded.meta?.offcpuProfile;
    expect(profile).toBeDefined();
    const threads = byThread(profile!);
    const expectations: [string, number, string][] = [
      ['sleeper', 1.0e9, 'clock_nanosleep'],
      ['reader', 1.0e9, 'read'],
      ['locker', 0.5e9, 'futex'],
    ];
    for (const [role, ns, syscall] of expectations) {
      const t = threads.get(roles[role]!);
      expect(t, role).toBeDefined();
      expect({ role, ns: t!.ns, within5pct: Math.abs(t!.ns / ns - 1) < 0.05 }).toEqual({ role, ns: t!.ns, within5pct: true });
      // Its wait is where the time went (the start barrier adds a short futex wait to every worker).
      const top = [...t!.bySyscall].sort((a, b) => b[1] - a[1])[0]!;
      expect({ role, syscall: top[0], share: top[1] / t!.ns > 0.95 }).toEqual({ role, syscall, share: true });
    }

    // run.json sums the same time by kind; the summary prints it; the folded output is nanoseconds per stack.
    const run = readRunJson(out) as unknown as { offcpu: OffcpuSummary; files: string[] };
    expect(run.files).toContain('offcpu.pb.gz');
    expect(run.offcpu.byKind.sleep).toBeGreaterThan(1.9); // sleeper and feeder: 1 s each
    expect(run.offcpu.byKind['blocking read/recv/accept']).toBeGreaterThan(0.95);
    expect(run.offcpu.byKind.futex).toBeGreaterThan(0.45);
    expect(run.offcpu.go).toBeNull();
    expect(r.stdout).toMatch(/^off-CPU: threads blocked [\d.]+ s in \d+ waits/m);
    const folded = await runCli(['convert', out, '--profile', 'offcpu', '--format', 'folded', '--sample-type', 'offcpu']);
    expect(folded.exitCode).toBe(0);
    const total = folded.stdout
      .trim()
      .split('\n')
      .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(Math.abs(total / 1e9 - run.offcpu.seconds)).toBeLessThan(0.001);
    expect(readFileSync(join(out, 'flame.html'), 'utf8')).toContain('off-CPU');
  }, 60_000);
});

describe('trace --offcpu on the example servers: the dominant wait tells the network model', () => {
  let servers: Map<string, BuiltServer> | undefined;
  const server = async (id: string): Promise<BuiltServer> => {
    servers ??= new Map((await buildExampleServers({ only: ['go-nethttp', 'c-threads', 'c-epoll'] })).built.map((s) => [s.id, s]));
    return servers.get(id)!;
  };
  const cases: [string, string][] = [
    ['go-nethttp', 'futex'],
    ['c-threads', 'blocking read/recv/accept'],
    ['c-epoll', 'epoll/poll'],
  ];
  for (const [id, dominant] of cases) {
    it.skipIf(!hasCompilers)(`${id}: threads wait mostly in ${dominant}`, async () => {
      const s = await server(id);
      const port = await freePort();
      const out = join(work.dir, `model-${id}`);
      const r = await runCli(['trace', '--offcpu', '--load', `http://127.0.0.1:${port}/`, '-c', '8', '-d', '2s', '-o', out, '--', ...s.command, String(port)]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode).toBe(0);
      const { offcpu } = readRunJson(out) as unknown as { offcpu: OffcpuSummary };
      const top = Object.entries(offcpu.byKind).sort((a, b) => b[1] - a[1])[0]![0];
      expect(top).toBe(dominant);
      expect(offcpu.secondsPerRequest).toBeGreaterThan(0);
      if (id === 'go-nethttp') {
        // Parked Ms wait for work in futex; the netpoller waits in epoll_pwait; nothing contends on a lock.
        expect(offcpu.go).not.toBeNull();
        expect(offcpu.go!['idle workers']).toBeGreaterThan(offcpu.go!['lock contention']);
        expect(offcpu.byKind['epoll/poll']).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});
