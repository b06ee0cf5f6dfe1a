// Symbols after exit: a program that exits by itself is gone when bpftrace prints its stacks, so bpftrace leaves
// its user frames as bare addresses; netprobe names them from the mappings it recorded while the program ran.
// The programs are built with frame pointers (bpftrace's ustack follows them): -O0 keeps them, -O1 needs
// -fno-omit-frame-pointer. glibc has none, so a libc function that blocks or makes the syscall hides its direct
// caller (fixtures/bpftrace/README.md): `reader` calls read() itself and never appears, while `sleeper` reaches
// nanosleep through sleep_ms and does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackList, type Frame, type Profile } from '../../src/model/profile.js';
import { readInput } from '../../src/run/input.js';
import { fixture, runCli, toolAvailable } from '../helpers.js';
import { readRunJson } from './trace-support.js';

const usable = toolAvailable('bpftrace', ['-e', 'BEGIN { exit(); }']) && toolAvailable('gcc');
const work = { dir: '' };
beforeAll(() => void (work.dir = mkdtempSync(join(tmpdir(), 'netprobe-symbols-'))));
afterAll(() => rmSync(work.dir, { recursive: true, force: true }));

function build(source: string, name: string, flags: string[]): string {
  const out = join(work.dir, name);
  execFileSync('gcc', [...flags, '-pthread', '-o', out, fixture(source)], { stdio: 'pipe' });
  return out;
}

/** Folded lines as `stack -> value`, summed over lines whose stack matches. */
function sumOf(folded: string, stack: RegExp): number {
  return folded
    .trim()
    .split('\n')
    .filter((line) => stack.test(line.slice(0, line.lastIndexOf(' '))))
    .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The user frames (root first: those above the kernel's entry) of the stack where a thread spent most of its blocked time. */
function dominantUserFrames(profile: Profile, tid: number): Frame[] {
  const ns = profile.sampleTypes.findIndex((t) => t.type === 'offcpu');
  const top = stackList(profile).filter((s) => Number(s.labels?.thread) === tid).sort((a, b) => b.values[ns]! - a.values[ns]!)[0]!;
  const frames = top.frames.map((id) => profile.frames[id]!);
  return frames.slice(0, frames.findIndex((f) => f.name.startsWith('entry_SYSCALL')));
}

describe('symbols after exit', () => {
  it.skipIf(!usable)('trace --offcpu of waits.c (-O0): the threads\' waits are named, sleeper and main among them', async () => {
    const program = build('ground-truth/waits.c', 'waits-O0', ['-O0']);
    const out = join(work.dir, 'waits-run');
    const rolesFile = join(work.dir, 'roles.txt');
    const r = await runCli(['trace', '--offcpu', '-o', out, '--', program, rolesFile]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    // What bpftrace printed: addresses only, the program having exited.
    expect(readFileSync(join(out, 'raw', 'offcpu-bpftrace.txt'), 'utf8')).toMatch(/^\t[0-9a-f]+ 0x[0-9a-f]+ \(\[unknown\]\)$/m);

    const folded = (await runCli(['convert', out, '--profile', 'offcpu', '--format', 'folded', '--sample-type', 'offcpu'])).stdout;
    // 100 x 10 ms, 20 x 50 ms, and main's 500 ms before it unlocks the mutex.
    expect(sumOf(folded, /^start_thread;sleeper;clock_nanosleep;.*__x64_sys_clock_nanosleep/)).toBeGreaterThan(0.95e9);
    expect(sumOf(folded, /^start_thread;feeder;clock_nanosleep;.*__x64_sys_clock_nanosleep/)).toBeGreaterThan(0.95e9);
    expect(sumOf(folded, /^__libc_start_call_main;main;clock_nanosleep;.*__x64_sys_clock_nanosleep/)).toBeGreaterThan(0.45e9);

    const roles = Object.fromEntries(readFileSync(rolesFile, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([role, tid]) => [role!, Number(tid)]));
    const profile = (await readInput(out)).meta!.offcpuProfile!;
    // reader and locker call into libc directly, so their own frame is skipped; what is left is named, in libc.
    const reader = dominantUserFrames(profile, roles.reader!);
    expect(reader.map((f) => f.name)).toEqual(['start_thread', 'read']);
    const locker = dominantUserFrames(profile, roles.locker!);
    expect(locker[0]!.name).toBe('start_thread');
    for (const f of [...reader, ...locker]) expect({ name: f.name, module: f.module }).toEqual({ name: expect.stringMatching(/^[A-Za-z_]\w*$/), module: expect.stringMatching(/\/libc\.so\.6$/) });

    expect(readRunJson(out).capture.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^off-CPU stacks: named \d+ of \d+ user frames the tracer left unnamed/)]));
  }, 60_000);

  it.skipIf(!usable)('trace --syscall-stacks of syscalls.c (-O1 -fno-omit-frame-pointer): main\'s and the workers\' calls, none unnamed', async () => {
    // 100 ms before the work: on a busy machine (CI runs test files in parallel on 2 cores) the 5 ms program
    // could end before netprobe's first read of its mappings; that case is said in a note (test/run/symbolize).
    const program = build('ground-truth/syscalls.c', 'syscalls-fp', ['-O1', '-fno-omit-frame-pointer', '-DSTART_DELAY_MS=100']);
    const out = join(work.dir, 'syscalls-run');
    const r = await runCli(['trace', '--syscall-stacks', '--backend', 'bpftrace', '-o', out, '--', program]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const folded = (await runCli(['convert', out, '--format', 'folded'])).stdout;
    // glibc's syscall() hides work(), its caller: main's calls sit under main, the workers' under start_thread.
    expect(sumOf(folded, /^__libc_start_call_main;main;syscall;getppid$/)).toBe(250);
    expect(sumOf(folded, /^start_thread;syscall;getppid$/)).toBe(750);
    expect(sumOf(folded, /;dup$/)).toBe(80);
    expect(sumOf(folded, /^(?!.*0x[0-9a-f]+;).*;(getppid|sched_yield|getpgid|faccessat|dup)$/)).toBe(1000 + 400 + 300 + 160 + 80);
  }, 60_000);
});
