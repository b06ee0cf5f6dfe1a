// bpftrace output (text and -f json) from real captures on fixtures/bpftrace/src/ground-truth.c:
// 3 threads x (1000 getppid, 50 openat -> ENOENT, 20 close -> EBADF).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { profileTotal, stackList } from '../../src/model/profile.js';
import type { SyscallRow } from '../../src/model/syscalls.js';
import { bpftraceParser } from '../../src/parse/bpftrace.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import type { ParseResult } from '../../src/parse/types.js';
import { fixture, parseFixtureFile, type FixtureParse } from '../helpers.js';

function parseFixture(name: string, arch = 'x86_64'): Promise<FixtureParse> {
  return parseFixtureFile(bpftraceParser, fixture('bpftrace', name), { arch });
}

function row(result: ParseResult, name: string): SyscallRow | undefined {
  return result.syscalls?.rows.find((r) => r.name === name);
}

/** The parser on these lines (x86_64 numbers), with the warnings it gave. */
async function parseLines(lines: readonly string[]): Promise<{ r: ParseResult; warnings: { kind: string; message: string }[] }> {
  const warnings: { kind: string; message: string }[] = [];
  const r = await bpftraceParser.parse(
    (async function* () {
      yield* lines;
    })(),
    { file: 'x.txt', options: { arch: 'x86_64' }, warn: (w) => warnings.push(w) },
  );
  return { r, warnings };
}

const GROUND_TRUTH_CALLS = { getppid: 3000, openat: 150, close: 60 };

describe('bpftrace parser', () => {
  it.each([
    'raw-syscalls-by-id.txt',
    'sys-enter-probe.txt',
    'comm-by-id.txt',
    'tid-by-id.txt',
    'netprobe-script.txt',
    'netprobe-script-stacks.txt',
    'netprobe-script-stacks.json',
    'netprobe-script-with-stderr.txt',
    'netprobe-script-inflight.txt',
    'netprobe-script-inflight.json',
    'netprobe-script-returns.txt',
    'netprobe-script-returns.json',
    'netprobe-script-at-return.txt',
    'hist-mixed.txt',
  ])('counts the ground-truth calls in %s and is detected without a name hint', async (name) => {
    const { result, head } = await parseFixture(name);
    expect(result.format).toBe('bpftrace');
    for (const [syscall, calls] of Object.entries(GROUND_TRUTH_CALLS)) expect(row(result, syscall)?.calls).toBe(calls);
    expect(detectTextFormat(head)?.format).toBe('bpftrace');
  });

  it('reads errors by (syscall, errno) and time from netprobe script output', async () => {
    const { result, warnings } = await parseFixture('netprobe-script.txt');
    expect(row(result, 'openat')).toMatchObject({ errors: 150, errnos: { ENOENT: 150 } });
    expect(row(result, 'close')).toMatchObject({ errors: 60, errnos: { EBADF: 60 } });
    expect(row(result, 'getppid')!.seconds).toBeGreaterThan(0);
    expect(result.syscalls!.hasTime).toBe(true);
    // main thread + 3 workers
    expect(result.meta?.threads).toBe(4);
    expect(result.syscalls!.threads).toBe(4);
    expect(warnings).toEqual([]);
  });

  it.each(['netprobe-script-inflight.txt', 'netprobe-script-inflight.json'])(
    "counts calls that never return and reads the calls in flight at the end from netprobe's @inflight (%s)",
    async (name) => {
      const { result, warnings } = await parseFixture(name);
      // Each worker thread ends in exit, counted at sys_enter; main was blocked reading stdin when bpftrace got SIGINT.
      expect(row(result, 'exit')).toMatchObject({ calls: 3, errors: 0 });
      expect(row(result, 'exit_group')).toBeUndefined();
      expect(result.syscalls!.inFlight).toEqual({ read: 1 });
      expect(row(result, 'read')!.calls).toBeGreaterThanOrEqual(1); // the in-flight read is one of the calls
      expect(result.syscalls!.threads).toBe(4); // @inflight keys are threads already in @threads
      expect(warnings).toEqual([]);
    },
  );

  it.each(['netprobe-script-returns.txt', 'netprobe-script-returns.json'])(
    "reads the default script's @returns: errors by errno, calls in flight = @calls - @returns, threads, no time (%s)",
    async (name) => {
      const { result, warnings } = await parseFixture(name);
      expect(row(result, 'openat')).toMatchObject({ calls: 150, errors: 150, errnos: { ENOENT: 150 }, seconds: 0 });
      expect(row(result, 'close')).toMatchObject({ calls: 60, errors: 60, errnos: { EBADF: 60 } });
      expect(row(result, 'getppid')).toMatchObject({ calls: 3000, errors: 0 });
      // Each worker ended in exit (made, never returned); main was blocked reading stdin at the SIGINT.
      expect(row(result, 'exit')).toMatchObject({ calls: 3, errors: 0 });
      expect(result.syscalls!.inFlight).toEqual({ read: 1 });
      expect(result.syscalls!.hasTime).toBe(false);
      expect(result.syscalls!.totals.seconds).toBe(0);
      // main + 3 workers (exited: @threads value 2)
      expect(result.syscalls!.threads).toBe(4);
      expect(warnings).toEqual([]);
    },
  );

  it('a whole run with a forked child, ended by the target: exit and exit_group made, nothing in flight', async () => {
    const { result, warnings } = await parseFixture('netprobe-script-returns-fork-exit.txt');
    expect(row(result, 'getppid')!.calls).toBe(4000);
    expect(row(result, 'openat')!.errnos).toEqual({ ENOENT: 200 });
    expect(row(result, 'exit')).toMatchObject({ calls: 3, errors: 0 });
    expect(row(result, 'exit_group')).toMatchObject({ calls: 2, errors: 0 });
    expect(result.syscalls!.inFlight).toEqual({});
    expect(result.syscalls!.threads).toBe(5);
    expect(warnings).toEqual([]);
  });

  it("pairs rt_sigreturn's returns, which sys_exit reports as id -1, and takes no errno from them (Go server under load)", async () => {
    const { result, warnings } = await parseFixture('netprobe-script-returns-go-nethttp.txt');
    expect(row(result, 'rt_sigreturn')).toMatchObject({ calls: 9, errors: 0, errnos: {} });
    expect(row(result, 'read')).toMatchObject({ calls: 31814, errors: 15247, errnos: { EAGAIN: 15243, ECONNRESET: 4 } });
    // Each of the 6 threads was parked when the load ended: the netpoller in epoll_pwait, the others in futex.
    expect(result.syscalls!.inFlight).toEqual({ futex: 5, epoll_pwait: 1 });
    expect(result.syscalls!.threads).toBe(6);
    expect(result.syscalls!.rows.some((r) => r.name.startsWith('syscall_0x'))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("reads the sys_exit script: calls = returns + exits + calls in flight (read from /proc after the maps), clone's child returns not counted", async () => {
    const { result, warnings } = await parseFixture('netprobe-script-at-return.txt');
    expect(row(result, 'openat')).toMatchObject({ calls: 150, errors: 150, errnos: { ENOENT: 150 }, seconds: 0 });
    expect(row(result, 'close')).toMatchObject({ calls: 60, errors: 60, errnos: { EBADF: 60 } });
    expect(row(result, 'getppid')).toMatchObject({ calls: 3000, errors: 0 });
    // The 3 workers were made with clone3 (3 calls) and ended in exit (made, never returned).
    expect(row(result, 'clone3')).toMatchObject({ calls: 3, errors: 0 });
    expect(row(result, 'exit')).toMatchObject({ calls: 3, errors: 0 });
    // main's read of stdin, blocked before the capture, is not counted (@threads seeded 1000 + 0); the next one,
    // blocked at the SIGINT, is a call in flight.
    expect(row(result, 'read')).toMatchObject({ calls: 1, errors: 0 });
    expect(result.syscalls!.inFlight).toEqual({ read: 1 });
    expect(result.syscalls!.hasTime).toBe(false);
    expect(result.syscalls!.threads).toBe(4);
    expect(warnings).toEqual([]);
  });

  it('the sys_exit script over a whole run with a fork: the child side of clone is no call; nothing in flight', async () => {
    const { result, warnings } = await parseFixture('netprobe-script-at-return-fork-exit.txt');
    expect(row(result, 'getppid')!.calls).toBe(4000);
    expect(row(result, 'clone')).toMatchObject({ calls: 1, errors: 0 });
    expect(row(result, 'clone3')).toMatchObject({ calls: 3, errors: 0 });
    expect(row(result, 'exit')).toMatchObject({ calls: 3, errors: 0 });
    expect(row(result, 'exit_group')).toMatchObject({ calls: 2, errors: 0 });
    // The read that ended at end of input; the one blocked before the capture is not counted.
    expect(row(result, 'read')).toMatchObject({ calls: 1, errors: 0 });
    expect(result.syscalls!.inFlight).toEqual({});
    expect(result.syscalls!.threads).toBe(5);
    expect(warnings).toEqual([]);
  });

  it('the sys_exit script with stacks: one stack per call returned or exit made, named by syscall', async () => {
    const { result, warnings } = await parseFixture('netprobe-script-at-return-stacks.txt');
    const profile = result.profile!;
    const byLeaf = new Map<string, number>();
    for (const s of stackList(profile)) {
      const leaf = profile.frames[s.frames.at(-1)!]!.name;
      byLeaf.set(leaf, (byLeaf.get(leaf) ?? 0) + s.values[0]!);
    }
    expect(byLeaf.get('getppid')).toBe(4000);
    expect(byLeaf.get('exit')).toBe(3);
    expect(byLeaf.get('exit_group')).toBe(1);
    expect([...byLeaf.keys()].some((k) => k.startsWith('syscall_0x'))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('the sys_exit script on a Go server: threads blocked since before the capture made no call in it', async () => {
    const { result, warnings } = await parseFixture('netprobe-script-at-return-go-nethttp.txt');
    expect(row(result, 'rt_sigreturn')).toMatchObject({ calls: 5, errors: 0, errnos: {} });
    expect(row(result, 'write')).toMatchObject({ calls: 5000, errors: 0 });
    expect(row(result, 'read')).toMatchObject({ calls: 9954, errors: 4902, errnos: { EAGAIN: 4902 } });
    // 8 threads were in a call at the end; 3 of them were seeded as blocked in futex (1202) and never returned.
    expect(result.syscalls!.inFlight).toEqual({ futex: 4, epoll_pwait: 1 });
    expect(result.syscalls!.threads).toBe(5);
    expect(warnings).toEqual([]);
  });

  it('the sys_exit script says when calls in flight are unknown, and when nothing says so, does not claim none', async () => {
    const base = ['Attaching 9 probes...', 'netprobe: probes attached; calls = @returns + @calls (exits) + @inflight', '@returns[0, 0]: 4', '@threads[7]: 1'];
    const parse = (extra: string[]) => parseLines([...base, ...extra]);
    const unknown = await parse(['netprobe: calls in flight at the end unknown: /proc/7/task/7/syscall: EACCES']);
    expect(unknown.r.syscalls!.inFlight).toBeUndefined();
    expect(unknown.r.syscalls!.rows).toMatchObject([{ name: 'read', calls: 4 }]);
    expect(unknown.warnings.map((w) => w.kind)).toEqual(['in-flight-unknown']);
    // Cut before the capture appended its lines.
    expect((await parse([])).r.syscalls!.inFlight).toBeUndefined();
    const known = await parse(['netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall', '@inflight[7]: 0']);
    expect(known.r.syscalls!.inFlight).toEqual({ read: 1 });
    expect(known.r.syscalls!.rows).toMatchObject([{ name: 'read', calls: 5 }]);
    // Thread 8 was running when the probes attached (not seeded) and has been blocked in a call since: made during
    // the capture, counted. Thread 9 was seeded as blocked in read (1000) and never returned: made before it.
    const seeded = await parseLines([...base, '@threads[9]: 1000', 'netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall', '@inflight[8]: 202', '@inflight[9]: 0']);
    expect(seeded.r.syscalls!.inFlight).toEqual({ futex: 1 });
    expect(seeded.r.syscalls!.threads).toBe(2);
    // The same section twice (a file appended to again): each thread is inside one call.
    const header = 'netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall';
    const twice = await parse([header, '@inflight[7]: 0', header, '@inflight[7]: 0']);
    expect(twice.r.syscalls!.inFlight).toEqual({ read: 1 });
    expect(twice.r.syscalls!.rows).toMatchObject([{ name: 'read', calls: 5 }]);
  });

  it.each([
    ['netprobe-script-at-return.txt', { read: 1, clone3: 3, exit: 3 }],
    ['netprobe-script-returns.txt', { exit: 3 }],
  ] as const)('reads netprobe\'s @returns the same without its first lines (the ready line cut off), and says so (%s)', async (name, expectedRows) => {
    const whole = (await parseFixture(name)).result;
    const text = readFileSync(fixture('bpftrace', name), 'utf8').split('\n');
    const cut = await parseLines(text.slice(text.findIndex((l) => l.startsWith('netprobe: probes attached')) + 1));
    for (const [syscall, calls] of Object.entries({ ...GROUND_TRUTH_CALLS, ...expectedRows })) expect(row(cut.r, syscall)?.calls).toBe(calls);
    expect(cut.r.syscalls!.rows).toEqual(whole.syscalls!.rows);
    expect(cut.r.syscalls!.inFlight).toEqual(whole.syscalls!.inFlight);
    expect(cut.r.syscalls!.threads).toBe(whole.syscalls!.threads);
    expect(cut.warnings.map((w) => w.kind)).toEqual(['no-ready-line']);
  });

  it('says when @returns holds more returns than calls instead of showing a negative count in flight', async () => {
    const lines = ['netprobe: probes attached; calls in flight at the end = @calls - @returns', '@calls[0]: 2', '@calls[1]: 3', '@returns[0, 0]: 3', '@returns[1, 0]: 1'];
    const { r, warnings } = await parseLines(lines);
    expect(r.syscalls!.inFlight).toEqual({ write: 2 });
    expect(warnings.map((w) => [w.kind, w.message])).toEqual([['returns-exceed-calls', 'read: 1 more returns than calls in @returns; its calls in flight are unknown']]);
  });

  it('says nothing about calls in flight for outputs that cannot tell (older netprobe script, one-liners)', async () => {
    expect((await parseFixture('netprobe-script.txt')).result.syscalls!.inFlight).toBeUndefined();
    expect((await parseFixture('raw-syscalls-by-id.txt')).result.syscalls!.inFlight).toBeUndefined();
    const idle = (await parseLines(['Attaching 9 probes...', 'netprobe: probes attached; @inflight lists calls in flight at the end', '', ''])).r;
    expect(idle.syscalls!.inFlight).toEqual({});
    const idleNow = (await parseLines(['Attaching 7 probes...', 'netprobe: probes attached; calls in flight at the end = @calls - @returns', '', '', ''])).r;
    expect(idleNow.syscalls).toEqual({ rows: [], totals: { calls: 0, errors: 0, seconds: 0 }, hasTime: false, threads: 0, inFlight: {} });
  });

  it('reads an errors-only one-liner keyed by (args->id, -args->ret)', async () => {
    const { result } = await parseFixture('errors-by-id-errno.txt');
    expect(result.syscalls!.rows.map((r) => [r.name, r.calls, r.errors, r.errnos])).toEqual([
      ['close', 0, 60, { EBADF: 60 }],
      ['openat', 0, 150, { ENOENT: 150 }],
    ]);
    expect(result.syscalls!.hasTime).toBe(false);
  });

  it('counts distinct tids of a (tid, syscall) map as threads', async () => {
    const { result } = await parseFixture('tid-by-id.txt');
    expect(result.meta?.threads).toBe(4);
    expect(result.syscalls!.hasTime).toBe(false);
  });

  it('strips sys_enter_ probe names to syscall names', async () => {
    const { result } = await parseFixture('sys-enter-probe.txt');
    expect(result.syscalls!.rows.map((r) => r.name)).toContain('rt_sigprocmask');
    expect(result.syscalls!.rows.every((r) => !r.name.includes(':'))).toBe(true);
  });

  it('reads syscount.bt: syscall ids as calls, the process map skipped, its top-10 truncation warned once', async () => {
    const { result, warnings } = await parseFixture('syscount-bt.txt');
    expect(row(result, 'getppid')?.calls).toBe(3000);
    expect(result.syscalls!.rows).toHaveLength(10);
    expect(warnings.filter((w) => w.kind === 'not-syscalls').map((w) => w.message)).toEqual([
      'skipped map @process: its keys are not syscalls (process names or ids)',
    ]);
    expect(warnings.filter((w) => w.kind === 'truncated-map').map((w) => w.line)).toEqual([4]);
    // Its banner ("Counting syscalls... Hit Ctrl-C to end.") is a known line, not printf noise.
    expect(warnings.filter((w) => w.kind === 'printf-line')).toHaveLength(0);
  });

  it('skips histograms with one warning per map', async () => {
    const { result, warnings } = await parseFixture('hist-mixed.txt');
    expect(warnings.map((w) => w.kind)).toEqual(['histogram-skipped', 'histogram-skipped']);
    expect(result.syscalls!.hasTime).toBe(false);
  });

  it('turns @stacks[ustack(perf), nr] into a syscall profile with the syscall as leaf (text and JSON agree)', async () => {
    for (const name of ['netprobe-script-stacks.txt', 'netprobe-script-stacks.json']) {
      const { result } = await parseFixture(name);
      const profile = result.profile!;
      expect(profile.sampleTypes.map((t) => t.type)).toEqual(['calls', 'errors', 'time']);
      // Identical stack text from different threads is printed once per thread; all of it is summed.
      expect(profileTotal(profile, 0)).toBe(result.syscalls!.totals.calls);
      const leaves = new Map<string, number>();
      for (const s of stackList(profile)) {
        const leaf = profile.frames[s.frames[s.frames.length - 1]!]!;
        expect(leaf.kind).toBe('syscall');
        leaves.set(leaf.name, (leaves.get(leaf.name) ?? 0) + s.values[0]!);
      }
      expect(leaves.get('getppid')).toBe(3000);
      const read = stackList(profile).find((s) => profile.frames[s.frames.at(-1)!]!.name === 'read')!;
      expect(read.frames.map((id) => profile.frames[id]!)).toEqual([
        { name: '__libc_read', kind: 'user', address: expect.any(Number), module: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
        { name: 'read', kind: 'syscall' },
      ]);
    }
  });

  it('turns @[ustack, kstack] into a samples/count profile with kernel frames above user frames', async () => {
    const { result } = await parseFixture('profile-ustack-kstack.txt');
    const profile = result.profile!;
    expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(profileTotal(profile)).toBe(221);
    const first = stackList(profile)[0]!.frames.map((id) => profile.frames[id]!);
    expect(first[0]).toEqual({ name: '__libc_read', kind: 'user' });
    expect(first[1]).toEqual({ name: 'entry_SYSCALL_64_after_hwframe', kind: 'kernel' });
    expect(first.at(-1)!.name).toBe('read_zero');
    expect(result.syscalls!.rows).toEqual([]);
  });

  it('names numbers with the capture architecture (aarch64 uses the generic table)', async () => {
    const { result } = await parseFixture('raw-syscalls-by-id.txt', 'arm64');
    // x86_64 110 (getppid) is aarch64 110 (timer_settime): the option decides.
    expect(row(result, 'timer_settime')?.calls).toBe(3000);
  });

  it('ignores the RLIMIT_MEMLOCK warning when stderr was mixed in', async () => {
    const { warnings } = await parseFixture('netprobe-script-with-stderr.txt');
    expect(warnings).toEqual([]);
  });

  it("reads netprobe's script output without any map (an idle target) as an empty table with no threads", async () => {
    const { result, warnings, head } = await parseFixture('netprobe-script-idle.txt');
    expect(result.syscalls).toEqual({ rows: [], totals: { calls: 0, errors: 0, seconds: 0 }, hasTime: true, threads: 0 });
    expect(result.profile).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(detectTextFormat(head)?.format).toBe('bpftrace');
  });

  it('rejects input without any map and an unterminated multi-line key', async () => {
    const parse = (text: string) =>
      bpftraceParser.parse(
        (async function* () {
          yield* text.split('\n');
        })(),
        { file: 'x.txt', options: { arch: 'x86_64' }, warn: () => {} },
      );
    await expect(parse('Attaching 1 probe...\n\n')).rejects.toThrow(/x\.txt:3: expected bpftrace output with at least one map/);
    await expect(parse('@[\n    getppid+11\n')).rejects.toThrow(/end of the key of @/);
  });

  it('does not claim strace logs, perf script or folded stacks', () => {
    expect(bpftraceParser.detect(['12907 1795333163.998212 getpid() = 12'])).toBe(false);
    expect(bpftraceParser.detect(['sh 13397 [001]  1349.932318: raw_syscalls:sys_enter: NR 12 (0, 7ffea604120c, 0, 37f, 0, 0)'])).toBe(false);
    expect(bpftraceParser.detect(['@main;foo;bar 12'])).toBe(false);
  });
});
