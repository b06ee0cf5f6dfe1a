// `trace --latency` on fixtures/ground-truth/sleeps.c (see its README): 500 sleeps of 1 ms (glibc's nanosleep is the
// clock_nanosleep syscall) and 1000 getppid, counted exactly, with the median sleep in the log2 bucket that holds 1 ms.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SyscallLatency } from '../../src/model/latency.js';
import { runCli } from '../helpers.js';
import { readRunJson, usableBackends, useBuiltProgram, type RunJsonLike } from './trace-support.js';

// hist() buckets are powers of two of nanoseconds: 1 ms lies in [2^19, 2^20) ns = [0.524288, 1.048576) ms.
const ONE_MS_BUCKET = [524_288e-9, 1_048_576e-9] as const;

const work = useBuiltProgram('netprobe-latency-', 'ground-truth/sleeps.c', 'sleeps');
const usable = usableBackends();

describe('trace --latency', () => {
  it.skipIf(!usable.bpftrace)('run.json latency: exact counts, the median 1 ms sleep in the bucket holding 1 ms', async () => {
    const out = join(work.dir, 'run');
    const r = await runCli(['trace', '--latency', '-o', out, '--', work.program]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    const run = readRunJson(out) as RunJsonLike & { latency: Record<string, SyscallLatency> | null };
    expect(run.target.exitCode).toBe(0);

    const sleep = run.latency!.clock_nanosleep!;
    expect(run.latency!.nanosleep).toBeUndefined();
    expect(sleep.calls).toBe(500);
    expect(sleep.p50).toBeGreaterThan(ONE_MS_BUCKET[0]);
    expect(sleep.p50).toBeLessThanOrEqual(ONE_MS_BUCKET[1]);
    expect(sleep.p50).toBeLessThanOrEqual(sleep.p90);
    expect(sleep.p90).toBeLessThanOrEqual(sleep.p99);
    expect(sleep.p99).toBeLessThanOrEqual(sleep.max);
    // A 1 ms sleep never returns early: nothing below the bucket holding 1 ms.
    expect(sleep.buckets[0]!.slice(0, 2)).toEqual([...ONE_MS_BUCKET]);
    expect(sleep.buckets.reduce((n, b) => n + b[2], 0)).toBe(500);
    expect(sleep.max).toBeGreaterThanOrEqual(0.001);
    expect(run.latency!.getppid!.calls).toBe(1000);

    // The same calls in the syscall counts, and the tracer's own output kept under raw/.
    expect(run.syscalls.find((s) => s.name === 'clock_nanosleep')?.calls).toBe(500);
    expect(run.files).toEqual(expect.arrayContaining(['raw/latency.bt', 'raw/latency-bpftrace.txt']));
    expect(existsSync(join(out, 'raw', 'latency-bpftrace.txt'))).toBe(true);
    // The terminal table has the p50 and p99 columns.
    expect(r.stdout).toMatch(/^syscall .* p50 +p99$/m);
  }, 60_000);
});
