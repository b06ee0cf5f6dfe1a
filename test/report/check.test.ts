// checkAgainstBaseline on real captures (fixtures/models): verdicts, limits, small checks, units, the model.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { tableFromRows, type SyscallTable } from '../../src/model/syscalls.js';
import { checkAgainstBaseline, median, summariseRuns, type CheckMeasurement, type CheckResult } from '../../src/report/check.js';
import { fixture } from '../helpers.js';

// A capture with the request count wrk reported for the same window ("49094 requests in 3.00s").
async function capture(name: string, tracer: 'strace' | 'bpftrace'): Promise<CheckMeasurement> {
  const syscalls = (await readInput(fixture('models', `${name}.${tracer}.txt`))).syscalls!;
  const m = /(\d+) requests in/.exec(readFileSync(fixture('models', `${name}.${tracer}.load.txt`), 'utf8'));
  return { name, syscalls, requests: Number(m![1]) };
}

/** The same table with one syscall's calls (and errors) multiplied, as a code change would do. */
function scaled(run: CheckMeasurement, syscall: string, factor: number): CheckMeasurement {
  const rows = run.syscalls.rows.map((r) => (r.name === syscall ? { ...r, calls: Math.round(r.calls * factor), errors: Math.round(r.errors * factor) } : r));
  return { ...run, syscalls: tableFromRows(rows, run.syscalls.hasTime) };
}

function verdicts(result: CheckResult): Record<string, string> {
  return Object.fromEntries(result.checks.map((c) => [c.id, c.verdict]));
}

describe('checkAgainstBaseline', () => {
  it('passes a capture against itself, per request, with every change at 0', async () => {
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    const r = checkAgainstBaseline(go, go);
    expect(r.passed).toBe(true);
    expect(r.normalisation).toBe('per-request');
    expect(r.checks.every((c) => c.change === 0 || c.change === null)).toBe(true);
    expect(r.checks.map((c) => c.verdict)).not.toContain('fail');
    expect(r.model.verdict).toBe('pass');
    expect(r.model.current.label).toBe('goroutine-per-connection (netpoll)');
    // Work first, then timing; families neither run uses are left out.
    expect(r.checks.map((c) => c.id)).toEqual(['read', 'write', 'accept', 'epoll-ctl', 'other', 'futex', 'epoll-wait', 'sleep', 'sched-yield', 'signals', 'total', 'errors']);
    expect(r.checks.find((c) => c.id === 'poll-select')).toBeUndefined();
  });

  it('fails Go net/http against a C epoll baseline: futex and nanosleep appear, the model changes', async () => {
    const epoll = await capture('example-c-epoll-c1', 'bpftrace');
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    const r = checkAgainstBaseline(epoll, go);
    expect(r.passed).toBe(false);
    const v = verdicts(r);
    expect(v.futex).toBe('fail');
    expect(v.sleep).toBe('fail');
    // 2 failed calls in the baseline's 163,202 are none to speak of; Go's EAGAIN reads are 14% of its calls.
    expect(v.errors).toBe('fail');
    // Epoll waits were there before: their amount follows scheduling and is not gated by default.
    expect(v['epoll-wait']).toBe('pass');
    const futex = r.checks.find((c) => c.id === 'futex')!;
    expect(futex).toMatchObject({ kind: 'timing', baseline: 0, change: null, limit: { kind: 'appearance' } });
    expect(futex.current).toBeCloseTo(41768 / 49094, 9);
    // Reads count successful calls only: Go's EAGAIN reads (41,793) are scheduling, not work.
    const read = r.checks.find((c) => c.id === 'read')!;
    expect(read.current).toBeCloseTo((95220 - 41793) / 49094, 9);
    expect(read.baseline).toBeCloseTo(40798 / 40796, 9);
    expect(v.read).toBe('pass');
    // Go re-arms nothing per request; the C reactor calls epoll_ctl once per request.
    expect(v['epoll-ctl']).toBe('improved');
    expect(r.model).toMatchObject({
      verdict: 'fail',
      baseline: { label: 'event-loop reactor (epoll)' },
      current: { label: 'goroutine-per-connection (netpoll)' },
    });
  });

  it('limits: a default 10% on work, per-check percentages, absolute amounts, off', async () => {
    const base = await capture('example-c-epoll-c1', 'bpftrace');
    const moreWrites = scaled(base, 'write', 1.2);
    expect(verdicts(checkAgainstBaseline(base, moreWrites)).write).toBe('fail');
    expect(checkAgainstBaseline(base, moreWrites, { maxIncrease: 0.25 }).passed).toBe(true);
    expect(checkAgainstBaseline(base, moreWrites, { limits: { write: { kind: 'relative', fraction: 0.2 } } }).passed).toBe(true);
    // 0.2 more writes per request exceeds an absolute 0.1 per request, not 0.25.
    expect(checkAgainstBaseline(base, moreWrites, { limits: { write: { kind: 'absolute', amount: 0.1 } } }).passed).toBe(false);
    expect(checkAgainstBaseline(base, moreWrites, { limits: { write: { kind: 'absolute', amount: 0.25 } } }).passed).toBe(true);
    const off = checkAgainstBaseline(base, moreWrites, { limits: { write: { kind: 'off' } } });
    expect(off.passed).toBe(true);
    expect(verdicts(off).write).toBe('off');
    // Fewer writes than the limit allows more of: worth tightening the baseline.
    expect(verdicts(checkAgainstBaseline(base, scaled(base, 'write', 0.8))).write).toBe('improved');
  });

  it('timing checks fail only on appearance by default; maxTimingIncrease gates their amounts', async () => {
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    const moreFutex = scaled(go, 'futex', 2);
    const lenient = checkAgainstBaseline(go, moreFutex);
    expect(lenient.passed).toBe(true);
    expect(lenient.checks.find((c) => c.id === 'futex')).toMatchObject({ verdict: 'pass', change: 1 });
    // The total grew by 14% too (futex is 14% of the calls) but is a timing check as well.
    expect(verdicts(lenient).total).toBe('pass');
    const strict = checkAgainstBaseline(go, moreFutex, { maxTimingIncrease: 0.1 });
    expect(verdicts(strict).futex).toBe('fail');
    expect(verdicts(strict).total).toBe('fail');
    expect(strict.passed).toBe(false);
  });

  it('leaves checks under minShare of all calls out of the gate unless a limit names them', async () => {
    // Keep-alive load: 4 accept4 calls for 49,094 requests, far under 1% of the calls even when ten times more.
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    const moreAccepts = scaled(go, 'accept4', 10);
    const r = checkAgainstBaseline(go, moreAccepts);
    expect(r.checks.find((c) => c.id === 'accept')).toMatchObject({ verdict: 'small' });
    expect(r.passed).toBe(true);
    expect(verdicts(checkAgainstBaseline(go, moreAccepts, { limits: { accept: { kind: 'relative', fraction: 0.1 } } })).accept).toBe('fail');
    expect(verdicts(checkAgainstBaseline(go, moreAccepts, { minShare: 0 })).accept).toBe('fail');
  });

  it('compares per second when only durations are known, raw counts otherwise, and says why', async () => {
    const redis = (await readInput(fixture('models', 'redis-c50.strace.txt'))).syscalls!;
    const perSecond = checkAgainstBaseline({ name: 'a', syscalls: redis, durationSeconds: 3 }, { name: 'b', syscalls: redis, durationSeconds: 6 });
    expect(perSecond.normalisation).toBe('per-second');
    const total = perSecond.checks.find((c) => c.id === 'total')!;
    expect([total.baseline, total.current, total.change]).toEqual([redis.totals.calls / 3, redis.totals.calls / 6, -0.5]);
    // Half the calls per second: the work checks count as improved, nothing fails.
    expect(perSecond.passed).toBe(true);
    expect(perSecond.notes).toEqual([]);

    const raw = checkAgainstBaseline({ name: 'a', syscalls: redis, requests: 40000 }, { name: 'b', syscalls: redis });
    expect(raw.normalisation).toBe('raw');
    expect(raw.checks.find((c) => c.id === 'total')!.baseline).toBe(redis.totals.calls);
    expect(raw.notes).toEqual([
      'only the baseline knows its request count, so the runs are compared by raw counts',
      'raw counts are only comparable when both runs served the same load (same request count or duration)',
    ]);
  });

  it('notes a baseline of another program or backend, and what each backend counts as threads', async () => {
    const redis = (await readInput(fixture('models', 'redis-c50.strace.txt'))).syscalls!;
    const base: CheckMeasurement = { name: 'a', syscalls: redis, requests: 40000, backend: 'bpftrace', program: 'redis-server', threads: 2 };
    const r = checkAgainstBaseline(base, { ...base, name: 'b', backend: 'strace', program: 'nginx', threads: 5 });
    expect(r.notes).toEqual([
      'the baseline is another program (baseline: redis-server; this run: nginx): the check compares two programs, not two versions of one',
      expect.stringMatching(/^runs from different backends \(bpftrace: the baseline; strace: this run\): strace stops the target/),
      'thread counts differ in meaning: bpftrace counts the threads that made a syscall during the capture; strace counts every thread and process it attached to or followed, idle ones included',
    ]);
    expect([r.baseline.backend, r.baseline.program, r.current.backend, r.current.program]).toEqual(['bpftrace', 'redis-server', 'strace', 'nginx']);
    // Unknown on either side: nothing to say.
    const { program: _p, backend: _b, ...unknown } = base;
    expect(checkAgainstBaseline(unknown, { ...base, program: 'nginx', backend: 'strace' }).notes).toEqual([]);
  });

  it('accepts a model change when told to', async () => {
    const epoll = await capture('example-c-epoll-c1', 'strace');
    const go = await capture('example-go-nethttp-c1', 'strace');
    const r = checkAgainstBaseline(epoll, go, {
      allowModelChange: true,
      // Go makes more than twice the C reactor's calls per request: the total fails too unless it is let go.
      limits: { futex: { kind: 'off' }, sleep: { kind: 'off' }, errors: { kind: 'off' }, read: { kind: 'off' }, total: { kind: 'off' } },
    });
    expect(r.model.verdict).toBe('off');
    expect(r.checks.filter((c) => c.verdict === 'fail')).toEqual([]);
    expect(r.passed).toBe(true);
  });

  it('reports an empty capture against a real one without dividing by zero', async () => {
    const epoll = await capture('example-c-epoll-c1', 'bpftrace');
    const empty: CheckMeasurement = { name: 'empty', syscalls: tableFromRows([], false) as SyscallTable, requests: 1 };
    const r = checkAgainstBaseline(empty, epoll);
    expect(r.checks.filter((c) => c.kind === 'work').every((c) => c.change === null)).toBe(true);
    // Reads, writes and epoll_ctl are new work: a fail, not a silent pass.
    expect(verdicts(r).write).toBe('fail');
    expect(r.model.verdict).toBe('fail');
  });

  it('fails a total that more than doubles, whatever its parts did (timing checks included)', async () => {
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    // Futex and epoll waits up tenfold: each is a timing check that only fails on appearance, but the total doubled.
    const busier = scaled(scaled(go, 'futex', 10), 'epoll_pwait', 10);
    const r = checkAgainstBaseline(go, busier);
    const total = r.checks.find((c) => c.id === 'total')!;
    expect(total.limit).toEqual({ kind: 'relative', fraction: 1 });
    expect(total.change!).toBeGreaterThan(1);
    expect(verdicts(r)).toMatchObject({ total: 'fail', futex: 'pass', 'epoll-wait': 'pass' });
    // --max-timing-increase sets the total's limit with the other timing checks'; --limit total=... its own.
    expect(verdicts(checkAgainstBaseline(go, busier, { maxTimingIncrease: 10 })).total).toBe('pass');
    expect(verdicts(checkAgainstBaseline(go, busier, { limits: { total: { kind: 'off' } } })).total).toBe('off');
  });

  it('names the syscalls that made `other` grow, largest growth first', () => {
    const rows = (extra: [string, number][]) => tableFromRows([{ name: 'read', calls: 1000, errors: 0, errnos: {}, seconds: 0 }, ...extra.map(([name, calls]) => ({ name, calls, errors: 0, errnos: {}, seconds: 0 }))], false);
    const base: CheckMeasurement = { name: 'base', requests: 1000, syscalls: rows([['close', 4], ['getpid', 10]]) };
    const cur: CheckMeasurement = { name: 'new', requests: 1000, syscalls: rows([['close', 1004], ['setsockopt', 4000], ['getsockname', 1000], ['getpid', 10], ['madvise', 2]]) };
    const other = checkAgainstBaseline(base, cur).checks.find((c) => c.id === 'other')!;
    expect(other.verdict).toBe('fail');
    expect(other.contributors).toEqual([
      { name: 'setsockopt', baseline: 0, current: 4 },
      { name: 'close', baseline: 0.004, current: 1.004 },
      { name: 'getsockname', baseline: 0, current: 1 },
    ]);
  });

  it('compares the median of several runs per check and keeps their range', () => {
    const run = (name: string, writes: number, futex: number): CheckMeasurement => ({
      name,
      requests: 1000,
      syscalls: tableFromRows(
        [
          { name: 'read', calls: 1000, errors: 0, errnos: {}, seconds: 0 },
          { name: 'write', calls: writes, errors: 0, errnos: {}, seconds: 0 },
          { name: 'futex', calls: futex, errors: 0, errnos: {}, seconds: 0 },
        ],
        false,
      ),
    });
    const base = run('base', 1000, 300);
    // One run of three wrote 30% more (a noisy run): the median is the other two's.
    const r = checkAgainstBaseline(base, [run('a', 1000, 200), run('b', 1300, 900), run('c', 1010, 400)]);
    const write = r.checks.find((c) => c.id === 'write')!;
    expect(write).toMatchObject({ current: 1.01, currentRange: { min: 1, max: 1.3 }, verdict: 'pass' });
    expect(r.checks.find((c) => c.id === 'futex')).toMatchObject({ current: 0.4, currentRange: { min: 0.2, max: 0.9 } });
    expect(r.runs).toEqual({ baseline: 1, current: 3 });
    expect(r.passed).toBe(true);
    // The first run names the result; a single run has no range.
    expect(r.current.name).toBe('a');
    expect(checkAgainstBaseline(base, base).checks[0]!.currentRange).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('a baseline of several runs brings its medians and ranges (summariseRuns), used in the same unit only', () => {
    const run = (writes: number, requests = 1000): CheckMeasurement => ({
      name: 'base',
      requests,
      syscalls: tableFromRows([{ name: 'read', calls: requests, errors: 0, errnos: {}, seconds: 0 }, { name: 'write', calls: writes, errors: 0, errnos: {}, seconds: 0 }], false),
    });
    const summary = summariseRuns([run(1000), run(1200), run(1100)]);
    expect(summary).toEqual({
      count: 3,
      normalisation: 'per-request',
      checks: { read: { median: 1, min: 1, max: 1 }, write: { median: 1.1, min: 1, max: 1.2 }, total: { median: 2.1, min: 2, max: 2.2 } },
    });
    // The stored table is one run (1,000 writes); the stored median (1.1) decides: 1.2 is within +10% of it.
    const baseline = { ...run(1000), runs: summary };
    const r = checkAgainstBaseline(baseline, run(1200));
    expect(r.checks.find((c) => c.id === 'write')).toMatchObject({ baseline: 1.1, baselineRange: { min: 1, max: 1.2 }, verdict: 'pass' });
    expect(r.runs).toEqual({ baseline: 3, current: 1 });
    // Compared per second (the run has no request count), the per-request medians do not apply: the table does.
    const perSecond = checkAgainstBaseline({ ...baseline, durationSeconds: 1 }, { ...run(1200), requests: undefined, durationSeconds: 1 });
    expect(perSecond.normalisation).toBe('per-second');
    expect(perSecond.runs.baseline).toBe(1);
    expect(perSecond.checks.find((c) => c.id === 'write')).toMatchObject({ baseline: 1000, current: 1200, verdict: 'fail' });
  });

  it('a timing check appears only when its growth itself reaches --min-appearance of all calls', () => {
    const run = (name: string, yields: number, futex = 0): CheckMeasurement => ({
      name,
      requests: 1000,
      syscalls: tableFromRows(
        [
          { name: 'read', calls: 2000, errors: 0, errnos: {}, seconds: 0 },
          { name: 'write', calls: 1000, errors: 0, errnos: {}, seconds: 0 },
          { name: 'futex', calls: futex, errors: 0, errnos: {}, seconds: 0 },
          { name: 'sched_yield', calls: yields, errors: 0, errnos: {}, seconds: 0 },
        ],
        false,
      ),
    });
    // Go's sched_yield near the line: 0.9% of calls, then 1.6% (+0.7% of all calls): crossing is not appearing.
    expect(verdicts(checkAgainstBaseline(run('base', 27), run('new', 49)))['sched-yield']).toBe('pass');
    // As seen in CI: 0.9% then 1.9% of all calls, and 0.1% then 1.1%: growing by 1% of all calls is noise too.
    expect(verdicts(checkAgainstBaseline(run('base', 27), run('new', 58)))['sched-yield']).toBe('pass');
    expect(verdicts(checkAgainstBaseline(run('base', 3), run('new', 34)))['sched-yield']).toBe('pass');
    // A futex that was not there, now 6% of all calls, appeared; so did yields growing from 0.9% to 6%.
    expect(verdicts(checkAgainstBaseline(run('base', 27), run('new', 27, 195))).futex).toBe('fail');
    expect(verdicts(checkAgainstBaseline(run('base', 27), run('new', 195)))['sched-yield']).toBe('fail');
    // Just under 4% of all calls grown is not; --min-appearance moves the line.
    expect(verdicts(checkAgainstBaseline(run('base', 0), run('new', 0, 120))).futex).toBe('pass');
    expect(verdicts(checkAgainstBaseline(run('base', 0), run('new', 0, 120), { minAppearance: 0.02 })).futex).toBe('fail');
    // Even at 0% an unchanged check has not appeared (31 futex: 0.96% of calls, then 1.02% as the yields went); any
    // growth has.
    expect(verdicts(checkAgainstBaseline(run('base', 200, 31), run('new', 0, 31), { minAppearance: 0 })).futex).toBe('pass');
    expect(verdicts(checkAgainstBaseline(run('base', 200, 31), run('new', 0, 32), { minAppearance: 0 })).futex).toBe('fail');
  });

  it('marks a small check that grew past its limit (for a warning), without failing it', async () => {
    const go = await capture('example-go-nethttp-c1', 'bpftrace');
    const r = checkAgainstBaseline(go, scaled(go, 'accept4', 3));
    const accept = r.checks.find((c) => c.id === 'accept')!;
    expect(accept).toMatchObject({ verdict: 'small', grown: true });
    expect(r.passed).toBe(true);
    expect(checkAgainstBaseline(go, go).checks.some((c) => c.grown)).toBe(false);
  });
});
