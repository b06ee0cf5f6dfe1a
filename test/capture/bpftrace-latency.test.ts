// Runs netprobe's latency program for real (root + bpftrace) on fixtures/ground-truth/sleeps.c and checks the parsed
// distributions against what the program is known to do: one thread sleeps 1 ms 500 times (glibc's nanosleep is
// the clock_nanosleep syscall), the main thread makes 1000 getppid calls meanwhile.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpftraceLatencyScript } from '../../src/capture/bpftrace-latency-script.js';
import { BPFTRACE_READY_LINE } from '../../src/capture/bpftrace-script.js';
import { startTarget } from '../../src/capture/target.js';
import { bpftraceLatencyParser } from '../../src/parse/bpftrace-latency.js';
import type { ParseResult } from '../../src/parse/types.js';
import { buildC } from '../e2e/trace-support.js';
import { isRoot, toolAvailable } from '../helpers.js';

// hist() buckets are powers of two of nanoseconds: 1 ms lies in [2^19, 2^20) ns = [0.524288, 1.048576) ms.
const ONE_MS_BUCKET = [524_288e-9, 1_048_576e-9] as const;

describe('bpftraceLatencyScript text', () => {
  it('times every call of the target\'s threads by thread id, keyed by syscall number, and ends with the target', () => {
    const plain = bpftraceLatencyScript({ pid: 42, followChildren: false });
    expect(plain).toContain(`BEGIN { printf("${BPFTRACE_READY_LINE}\\n"); }`);
    expect(plain).toContain('tracepoint:raw_syscalls:sys_enter /pid == 42/ { @start[tid] = nsecs; }');
    expect(plain).toContain('@lat[args->id] = hist($ns); @latmax[args->id] = max($ns);');
    expect(plain).toContain('delete(@start[tid]);');
    expect(plain).toContain('tracepoint:sched:sched_process_exit /pid == 42 && tid == 42/ { exit(); }');
    expect(plain).toContain('END { clear(@start); }');
    expect(plain).not.toContain('@track');
    // Nothing per call beyond the start time, the histogram and the maximum: no counts, no stacks.
    // (The shared ready line in BEGIN names the counting script's maps; the probes are what matter.)
    expect(plain.split('\n').filter((l) => !l.startsWith('BEGIN')).join('\n')).not.toMatch(/count\(\)|ustack|@calls|@ns\b/);
  });

  it('follows forks and seeds existing descendants into @track before announcing it is attached', () => {
    const follow = bpftraceLatencyScript({ pid: 42, followChildren: true, descendants: [43, 44] });
    expect(follow).toContain(`BEGIN { @track[42] = 1; @track[43] = 1; @track[44] = 1; printf("${BPFTRACE_READY_LINE}\\n"); }`);
    expect(follow).toContain('tracepoint:sched:sched_process_fork /@track[pid]/ { @track[args->child_pid] = 1; }');
    expect(follow).toContain('tracepoint:raw_syscalls:sys_enter /@track[pid]/ { @start[tid] = nsecs; }');
    expect(follow).toContain('tracepoint:sched:sched_process_exit /pid == 42 && tid == 42/ { exit(); }');
    expect(follow).toContain('END { clear(@start); clear(@track); }');
  });

  it('rejects a pid that is not a positive integer, and descendants without following children', () => {
    expect(() => bpftraceLatencyScript({ pid: 0, followChildren: false })).toThrow(RangeError);
    expect(() => bpftraceLatencyScript({ pid: 1, followChildren: true, descendants: [1.5] })).toThrow(RangeError);
    expect(() => bpftraceLatencyScript({ pid: 1, followChildren: false, descendants: [2] })).toThrow(RangeError);
  });
});

const canRun = isRoot && toolAvailable('bpftrace', ['-e', 'BEGIN { exit(); }']) && toolAvailable('gcc');
if (!isRoot) console.warn('SKIP: the bpftrace latency capture test needs root');

describe.skipIf(!canRun)('bpftraceLatencyScript under bpftrace (root)', () => {
  let dir = '';
  let program = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-latency-test-'));
    program = buildC('ground-truth/sleeps.c', dir, 'sleeps');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Holds the program before exec, attaches the script, lets it run; bpftrace exits by itself with the target. */
  async function capture(followChildren: boolean): Promise<ParseResult> {
    const target = await startTarget([program], { held: true });
    const script = join(dir, `latency-${target.process.pid}.bt`);
    writeFileSync(script, bpftraceLatencyScript({ pid: target.process.pid, followChildren }));
    const tracer = execa('bpftrace', [script], { reject: false });
    try {
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        tracer.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.split('\n').includes(BPFTRACE_READY_LINE)) resolve();
        });
        tracer.once('exit', () => reject(new Error(`bpftrace exited before attaching: ${seen}`)));
      });
      target.resume();
      const out = await tracer;
      expect(out.exitCode).toBe(0);
      const lines = (out.stdout as string).split('\n');
      return await bpftraceLatencyParser.parse(
        (async function* () {
          yield* lines;
        })(),
        { file: 'bpftrace-stdout', options: {}, warn: (w) => expect.fail(`unexpected warning ${JSON.stringify(w)}`) },
      );
    } finally {
      tracer.kill('SIGKILL');
      await tracer;
      await target.process.stop();
    }
  }

  it.each([false, true])('500 clock_nanosleep calls with the median in the bucket holding 1 ms, 1000 getppid (followChildren %s)', async (followChildren) => {
    const { latency } = await capture(followChildren);
    const sleep = latency!.clock_nanosleep!;
    expect(latency!.nanosleep).toBeUndefined();
    expect(sleep.calls).toBe(500);
    // The median is the upper bound of its bucket (or the exact max, when that is lower): within [0.52, 1.05] ms.
    expect(sleep.p50).toBeGreaterThan(ONE_MS_BUCKET[0]);
    expect(sleep.p50).toBeLessThanOrEqual(ONE_MS_BUCKET[1]);
    const oneMs = sleep.buckets.find(([low]) => low === ONE_MS_BUCKET[0]);
    expect(oneMs?.[1]).toBe(ONE_MS_BUCKET[1]);
    expect(oneMs![2]).toBeGreaterThanOrEqual(250);
    // A 1 ms sleep never returns early; the exact max comes from @latmax.
    expect(sleep.buckets[0]![0]).toBe(ONE_MS_BUCKET[0]);
    expect(sleep.max).toBeGreaterThanOrEqual(0.001);
    expect(sleep.max).toBeLessThan(0.05);
    expect(sleep.buckets.reduce((n, b) => n + b[2], 0)).toBe(500);

    const getppid = latency!.getppid!;
    expect(getppid.calls).toBe(1000);
    expect(getppid.p50).toBeLessThan(20e-6);
  }, 60_000);
});
