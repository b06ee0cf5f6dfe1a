// Every available backend must count exactly what fixtures/ground-truth/syscalls.c does (see its README).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackList } from '../../src/model/profile.js';
import { runCli } from '../helpers.js';
import { readRunJson, usableBackends, useBuiltProgram, type RunJsonLike } from './trace-support.js';

const EXPECTED = {
  getppid: { calls: 1000, errors: 0, errnos: {} },
  sched_yield: { calls: 400, errors: 0, errnos: {} },
  getpgid: { calls: 300, errors: 200, errnos: { ESRCH: 200 } },
  faccessat: { calls: 160, errors: 160, errnos: { ENOENT: 120, ENOTDIR: 40 } },
  dup: { calls: 80, errors: 80, errnos: { EBADF: 80 } },
};

// Calls that never return: each worker thread ends in exit, the process in exit_group. They count when made.
const NEVER_RETURNED = {
  exit: { calls: 3, errors: 0, errnos: {} },
  exit_group: { calls: 1, errors: 0, errnos: {} },
};

// `returnsOnly`: strace -c counts a call when it returns, so it cannot show exit and exit_group (and says so).
const CASES: { label: string; backend: string; args: string[]; errnoNames: boolean; returnsOnly: boolean }[] = [
  { label: 'strace -c', backend: 'strace', args: [], errnoNames: false, returnsOnly: true },
  { label: 'strace log', backend: 'strace', args: ['--strace-log'], errnoNames: true, returnsOnly: false },
  { label: 'perf', backend: 'perf', args: [], errnoNames: true, returnsOnly: false },
  { label: 'bpftrace', backend: 'bpftrace', args: [], errnoNames: true, returnsOnly: false },
];

const work = useBuiltProgram('netprobe-gt-', 'ground-truth/syscalls.c', 'syscalls');

// Probed once at collection: under CI a missing tool fails the file, elsewhere its tests skip with a SKIP line.
const usable = usableBackends();

function row(run: RunJsonLike, name: string) {
  const r = run.syscalls.find((s) => s.name === name);
  return r ? { calls: r.calls, errors: r.errors, errnos: r.errnos } : undefined;
}

describe('trace counts the ground-truth program exactly', () => {
  for (const c of CASES) {
    it.skipIf(!usable[c.backend])(`${c.label}`, async () => {
      const out = join(work.dir, `run-${c.label.replace(/\W+/g, '-')}`);
      const r = await runCli(['trace', '--backend', c.backend, ...c.args, '--json', '-o', out, '--', work.program]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode).toBe(0);
      const run = readRunJson(out);
      expect(JSON.parse(r.stdout)).toEqual(run);
      expect(run.capture.window).toBe('whole run');
      expect(run.target.exitCode).toBe(0);
      const expected = c.returnsOnly ? EXPECTED : { ...EXPECTED, ...NEVER_RETURNED };
      for (const [name, want] of Object.entries(expected)) {
        const got = row(run, name);
        expect(got, name).toBeDefined();
        expect({ name, calls: got!.calls, errors: got!.errors }).toEqual({ name, calls: want.calls, errors: want.errors });
        if (c.errnoNames) expect({ name, errnos: got!.errnos }).toEqual({ name, errnos: want.errnos });
      }
      if (run.threads !== null) expect(run.threads).toBeGreaterThanOrEqual(4);
      // The whole run ends with every thread gone: nothing is still in flight, and exit/exit_group never are.
      const { inFlight } = run as RunJsonLike & { inFlight: Record<string, number> | null };
      if (c.returnsOnly) {
        expect(row(run, 'exit')).toBeUndefined();
        expect(row(run, 'exit_group')).toBeUndefined();
        expect(inFlight).toBeNull();
        expect(run.capture.notes.some((n) => /strace -c counts a call only when it returns: exit, exit_group/.test(n))).toBe(true);
      } else {
        expect(inFlight).toEqual({});
      }
    }, 60_000);
  }
});

describe('--syscall-stacks', () => {
  for (const backend of ['strace', 'bpftrace']) {
    it.skipIf(!usable[backend])(`${backend}: the syscall profile puts each syscall under the code path that issued it`, async () => {
      const out = join(work.dir, `stacks-${backend}`);
      const r = await runCli(['trace', '--backend', backend, '--syscall-stacks', '-o', out, '--', work.program]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode).toBe(0);
      const { loadRunDirectory } = await import('../../src/run/run-dir.js');
      const loaded = await loadRunDirectory(out);
      const profile = loaded.profile!;
      const getppid = stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === 'getppid');
      expect(getppid.length).toBeGreaterThan(0);
      // strace -k unwinds with DWARF; bpftrace walks frame pointers, which glibc's syscall() does not keep.
      if (backend === 'strace') expect(getppid.some((s) => s.frames.length > 1)).toBe(true);
      expect(getppid.reduce((n, s) => n + s.values[0]!, 0)).toBe(1000);
      // Calls that never return are in the profile too, each under its own code path.
      const calls = (name: string) => stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === name).reduce((n, s) => n + s.values[0]!, 0);
      expect({ exit: calls('exit'), exit_group: calls('exit_group') }).toEqual({ exit: 3, exit_group: 1 });
      expect(loaded.syscalls!.rows.find((row) => row.name === 'getppid')!.calls).toBe(1000);
    }, 60_000);
  }
});
