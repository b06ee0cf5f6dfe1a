// Runs netprobe's bpftrace program for real (root + bpftrace) on fixtures/bpftrace/src/ground-truth.c and checks
// the parsed counts against what the program is known to do: per worker thread 1000 getppid, 50 openat -> ENOENT,
// 20 close -> EBADF; 3 worker threads, plus one more worker in a forked child with the `fork` argument.
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPFTRACE_COUNT_READY_LINE, bpftraceSyscallScript, type BpftraceScriptOptions } from '../../src/capture/bpftrace-script.js';
import { NETPROBE_READY_PREFIX } from '../../src/parse/bpftrace-markers.js';
import { blockedThreads, inFlightLines } from '../../src/capture/in-flight.js';
import { stackList } from '../../src/model/profile.js';
import { bpftraceParser } from '../../src/parse/bpftrace.js';
import type { ParseResult } from '../../src/parse/types.js';
import { fixture, isRoot, toolAvailable } from '../helpers.js';

describe('bpftraceSyscallScript text', () => {
  it('filters on the tgid without children and on @track with them', () => {
    const plain = bpftraceSyscallScript({ pid: 42, followChildren: false, stacks: false });
    expect(plain).toContain('tracepoint:raw_syscalls:sys_exit /pid == 42 && !@end/ {');
    expect(plain).not.toContain('@track');
    expect(plain).not.toContain('ustack');
    expect(plain).toContain('tracepoint:sched:sched_process_exit /pid == 42 && tid == 42/ { exit(); }');
    const follow = bpftraceSyscallScript({ pid: 42, followChildren: true, stacks: true });
    expect(follow).toContain(`BEGIN { @tracer = pid; @track[42] = 1; printf("${BPFTRACE_COUNT_READY_LINE}\\n"); }`);
    expect(follow).toContain('tracepoint:raw_syscalls:sys_exit /@track[pid] && !@end/ {');
    expect(follow).toContain('    @stacks[ustack(perf), args->id] = count();');
    expect(follow).toContain('tracepoint:syscalls:sys_enter_exit_group /@track[pid] && !@end/ { @calls[args->__syscall_nr] = count(); @stacks[ustack(perf), args->__syscall_nr] = count(); }');
    expect(follow).toContain('END { clear(@tracer); clear(@end); clear(@track); }');
  });

  it('counts each call once, when it returns, by errno, with no sys_enter probe; exits when made; freezes every map at the stop signal', () => {
    const script = bpftraceSyscallScript({ pid: 42, followChildren: false, stacks: false, arch: 'x86_64' });
    expect(script).toContain(
      [
        'tracepoint:raw_syscalls:sys_exit /pid == 42 && !@end/ {',
        '  $ret = args->ret;',
        '  $thread = @threads[tid];',
        '  if ($thread != 1) { @threads[tid] = 1; }',
        // A thread's first return from the call it was blocked in before the capture, and a new thread's or
        // child's return from clone, clone3, fork or vfork, are not calls.
        '  if ($thread != args->id + 1000 && !($ret == 0 && (args->id == 56 || args->id == 435 || args->id == 57 || args->id == 58))) {',
        '    @returns[args->id, $ret < 0 && $ret >= -4095 ? -$ret : 0] = count();',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(script).not.toContain('sys_enter /');
    expect(script).toContain('tracepoint:syscalls:sys_enter_exit /pid == 42 && !@end/ { @calls[args->__syscall_nr] = count(); }');
    expect(script).toContain('tracepoint:syscalls:sys_enter_exit_group /pid == 42 && !@end/ { @calls[args->__syscall_nr] = count(); }');
    // No per-call time: no start times, no sums, nothing deleted per call.
    expect(script).not.toMatch(/nsecs|@start|@ns\b|@inflight\[|delete\(@(start|inflight)/);
    // SIGINT or SIGTERM sent to bpftrace itself (its pid, taken in BEGIN) ends the capture.
    expect(script).toContain('tracepoint:signal:signal_generate /(args->sig == 2 || args->sig == 15) && (uint64)args->pid == @tracer/ { @end = 1; }');
    expect(BPFTRACE_COUNT_READY_LINE.startsWith(NETPROBE_READY_PREFIX)).toBe(true);
    // aarch64 has no fork or vfork.
    expect(bpftraceSyscallScript({ pid: 42, followChildren: false, stacks: false, arch: 'aarch64' })).toContain('(args->id == 220 || args->id == 435)');
  });

  it('seeds existing descendants (pre-forked workers) into @track before announcing it is attached', () => {
    const script = bpftraceSyscallScript({ pid: 42, followChildren: true, descendants: [43, 44], stacks: false });
    expect(script).toContain(`BEGIN { @tracer = pid; @track[42] = 1; @track[43] = 1; @track[44] = 1; printf("${BPFTRACE_COUNT_READY_LINE}\\n"); }`);
    // The capture still ends with the target itself, not with a worker.
    expect(script).toContain('tracepoint:sched:sched_process_exit /pid == 42 && tid == 42/ { exit(); }');
    expect(() => bpftraceSyscallScript({ pid: 42, followChildren: false, descendants: [43], stacks: false })).toThrow(RangeError);
  });

  it('seeds the threads blocked before the attach as 1000 + the syscall they are in', () => {
    const script = bpftraceSyscallScript({ pid: 42, followChildren: false, stacks: false, blocked: [[42, 0], [43, 202]] });
    expect(script).toContain(`BEGIN { @tracer = pid; @threads[42] = 1000; @threads[43] = 1202; printf(`);
    expect(() => bpftraceSyscallScript({ pid: 42, followChildren: false, stacks: false, blocked: [[43, -1]] })).toThrow(RangeError);
  });

  it('rejects a pid that is not a positive integer', () => {
    expect(() => bpftraceSyscallScript({ pid: 0, followChildren: false, stacks: false })).toThrow(RangeError);
    expect(() => bpftraceSyscallScript({ pid: 1, followChildren: true, descendants: [-1], stacks: false })).toThrow(RangeError);
  });
});

const canRun = isRoot && toolAvailable('bpftrace') && toolAvailable('gcc');
if (!isRoot) console.warn('SKIP: the bpftrace capture test needs root');

describe.skipIf(!canRun)('bpftraceSyscallScript under bpftrace (root)', () => {
  let dir: string;
  let program: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-bpftrace-test-'));
    program = join(dir, 'ground-truth');
    await execa('gcc', ['-O1', '-g', '-fno-omit-frame-pointer', '-pthread', '-o', program, fixture('bpftrace', 'src', 'ground-truth.c')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the program, attaches the script, lets the program run, then stops bpftrace as `stop` says. */
  async function capture(args: string[], options: Omit<BpftraceScriptOptions, 'pid'>, stop: 'sigint' | 'target-exit'): Promise<ParseResult> {
    const target = execa(program, args, { stdin: 'pipe', reject: false });
    const script = join(dir, `script-${target.pid}.bt`);
    // As the capture does: the threads blocked before the attach (main, once it is inside its read of stdin).
    const blocked = await blockedIn(target.pid!, 0);
    writeFileSync(script, bpftraceSyscallScript({ pid: target.pid!, ...options, blocked }));
    const tracer = execa('bpftrace', [script], { reject: false });
    try {
      await waitForLine(tracer, BPFTRACE_COUNT_READY_LINE);
      target.stdin!.write('go\n');
      await waitForLine(target, 'done');
      // main reads stdin right after printing `done`; on a loaded machine it may not be inside read yet.
      if (stop === 'sigint') await sleep(200);
      // As the capture does: the calls in flight are read right after the stop signal, and follow the maps.
      let inFlight: string[] = [];
      if (stop === 'sigint') {
        tracer.kill('SIGINT');
        inFlight = await inFlightLines([target.pid!]);
      } else target.stdin!.end();
      const out = await tracer;
      expect(out.exitCode).toBe(0);
      if (stop === 'target-exit') inFlight = await inFlightLines([target.pid!]);
      const lines = [...(out.stdout as string).split('\n'), ...inFlight];
      return await bpftraceParser.parse(
        (async function* () {
          yield* lines;
        })(),
        { file: 'bpftrace-stdout', options: {}, warn: (w) => expect.fail(`unexpected warning ${JSON.stringify(w)}`) },
      );
    } finally {
      tracer.kill('SIGKILL');
      target.stdin!.end();
      target.kill('SIGKILL');
      await Promise.all([tracer, target]);
    }
  }

  it('counts calls, errnos and threads of every thread, and stacks per syscall (stopped by SIGINT); no time', async () => {
    const r = await capture(['fork'], { followChildren: false, stacks: true }, 'sigint');
    const row = (name: string) => r.syscalls!.rows.find((x) => x.name === name)!;
    // The forked child's worker is not followed.
    expect(row('getppid')).toMatchObject({ calls: 3000, errors: 0 });
    expect(row('openat')).toMatchObject({ calls: 150, errors: 150, errnos: { ENOENT: 150 } });
    expect(row('close')).toMatchObject({ calls: 60, errors: 60, errnos: { EBADF: 60 } });
    expect(row('getppid').seconds).toBe(0);
    expect(r.syscalls!.hasTime).toBe(false);
    expect(r.meta?.threads).toBe(4);
    const profile = r.profile!;
    const getppid = stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === 'getppid');
    expect(getppid.reduce((n, s) => n + s.values[0]!, 0)).toBe(3000);
    // The workers ended in exit (counted when made); main was reading stdin when bpftrace got SIGINT. Its read
    // blocked before the attach is not counted; each new thread's return from clone3 is no call.
    expect(row('exit')).toMatchObject({ calls: 3, errors: 0 });
    expect(row('clone3')).toMatchObject({ calls: 3, errors: 0 });
    expect(row('read')).toMatchObject({ calls: 1, errors: 0 });
    expect(r.syscalls!.inFlight).toEqual({ read: 1 });
  }, 60_000);

  it('follows forked children and exits by itself when the target exits', async () => {
    const r = await capture(['fork'], { followChildren: true, stacks: false }, 'target-exit');
    const row = (name: string) => r.syscalls!.rows.find((x) => x.name === name)!;
    expect(row('getppid').calls).toBe(4000);
    expect(row('openat').errnos).toEqual({ ENOENT: 200 });
    expect(row('close').errnos).toEqual({ EBADF: 80 });
    // main thread, 3 workers, the child's single thread
    expect(r.meta?.threads).toBe(5);
    // 3 workers end in exit; the child and then the target end in exit_group. Nothing is left in flight.
    expect(row('exit')).toMatchObject({ calls: 3, errors: 0 });
    expect(row('exit_group')).toMatchObject({ calls: 2, errors: 0 });
    // The fork, counted once: in the parent.
    expect(row('clone')).toMatchObject({ calls: 1, errors: 0 });
    expect(r.syscalls!.inFlight).toEqual({});
    expect(r.profile).toBeUndefined();
  }, 60_000);
});

/** The process's blocked threads once its main thread is inside syscall `nr` (up to 2 s). */
async function blockedIn(pid: number, nr: number): Promise<[number, number][]> {
  for (let i = 0; ; i++) {
    const { blocked } = await blockedThreads([pid]);
    if (blocked.some(([tid, n]) => tid === pid && n === nr) || i >= 200) return blocked;
    await sleep(10);
  }
}

async function waitForLine(child: ResultPromise, wanted: string): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(wanted)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`exited before printing ${wanted}; got ${seen}`)));
  });
}
