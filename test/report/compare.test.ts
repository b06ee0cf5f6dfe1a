// compareRuns on real captures: family rows, per-request / per-second / raw normalisation, models, sweeps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import type { SyscallTable } from '../../src/model/syscalls.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { latencyByFamily } from '../../src/report/latency.js';
import { compareRuns, crossBackendNotes, type CompareRun, type SweepLevel } from '../../src/report/compare.js';
import { fixture } from '../helpers.js';

async function table(file: string): Promise<SyscallTable> {
  return (await readInput(fixture('models', file))).syscalls!;
}

// wrk's own count of the requests in the traced window, e.g. "124714 requests in 3.03s".
function wrkRequests(loadFile: string): number {
  const m = /(\d+) requests in/.exec(readFileSync(fixture('models', loadFile), 'utf8'));
  if (!m) throw new Error(`${loadFile}: no request count`);
  return Number(m[1]);
}

function expectClose(actual: (number | null)[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 9));
}

function row(comparison: ReturnType<typeof compareRuns>, id: string) {
  return comparison.rows.find((r) => r.id === id);
}

describe('compareRuns', () => {
  it('puts Go and nginx side by side per 1,000 requests, with their models', async () => {
    const go = await table('go-nethttp-c50.strace.txt');
    const nginx = await table('nginx-1worker-c50.strace.txt');
    const goRequests = wrkRequests('go-nethttp-c50.strace.load.txt');
    const nginxRequests = wrkRequests('nginx-1worker-c50.strace.load.txt');
    const c = compareRuns([
      { name: 'go', syscalls: go, requests: goRequests, durationSeconds: 3 },
      { name: 'nginx', syscalls: nginx, requests: nginxRequests, durationSeconds: 3 },
    ]);

    expect(c.columns.map((col) => [col.name, col.normalisation, col.model.label])).toEqual([
      ['go', 'per-request', 'goroutine-per-connection (netpoll)'],
      ['nginx', 'per-request', 'event-loop reactor (epoll)'],
    ]);
    const goRead = go.rows.filter((r) => ['read', 'recvfrom'].includes(r.name)).reduce((n, r) => n + r.calls, 0);
    const nginxRead = nginx.rows.filter((r) => ['read', 'recvfrom'].includes(r.name)).reduce((n, r) => n + r.calls, 0);
    expectClose(row(c, 'read')!.values, [(goRead * 1000) / goRequests, (nginxRead * 1000) / nginxRequests]);
    expectClose(row(c, 'total')!.values, [(go.totals.calls * 1000) / goRequests, (nginx.totals.calls * 1000) / nginxRequests]);
    // nginx writes with writev, Go with write: both land in one family.
    expect(row(c, 'write')!.values.every((v) => v! > 900 && v! < 1100)).toBe(true);
    // Only Go sleeps; nobody polls, so the poll/select row is left out.
    expect(row(c, 'sleep')!.values[0]).toBeGreaterThan(0);
    expect(row(c, 'sleep')!.values[1]).toBe(0);
    expect(row(c, 'poll-select')).toBeUndefined();
    // strace -c cannot tell EAGAIN from other errors.
    expect(row(c, 'eagain')!.values).toEqual([null, null]);
    expect(c.columns.every((col) => !col.errnoDetail)).toBe(true);
    // families + other = total
    const families = c.rows.filter((r) => !['total', 'errors', 'eagain'].includes(r.id));
    expect(families.reduce((n, r) => n + r.values[0]!, 0)).toBeCloseTo(row(c, 'total')!.values[0]!, 6);
    expect(c.columns[0]!.requestsPerSecond).toBeCloseTo(goRequests / 3, 6);
  });

  it('falls back to per second of capture, then to raw counts, column by column', async () => {
    const redis = await table('redis-c50.strace.txt');
    const c = compareRuns([
      { name: 'timed', syscalls: redis, durationSeconds: 4 },
      { name: 'bare', syscalls: redis },
    ]);
    expect(c.columns.map((col) => col.normalisation)).toEqual(['per-second', 'raw']);
    expect(row(c, 'total')!.values).toEqual([redis.totals.calls / 4, redis.totals.calls]);
    expect(c.columns[1]!.requestsPerSecond).toBeNull();
  });

  it('counts EAGAIN when the source names errnos (bpftrace)', async () => {
    const go = await table('go-nethttp-c50.bpftrace.txt');
    const c = compareRuns([{ name: 'go', syscalls: go }]);
    const eagain = go.rows.reduce((n, r) => n + (r.errnos.EAGAIN ?? 0), 0);
    expect(eagain).toBeGreaterThan(0);
    expect(row(c, 'eagain')!.values).toEqual([eagain]);
    expect(c.columns[0]!.errnoDetail).toBe(true);
  });

  it('counts EAGAIN as 0 for a table without errors, whatever its source: there is nothing to break down', async () => {
    const node = await table('node-http-c200.bpftrace.txt');
    expect(node.totals.errors).toBe(0);
    const c = compareRuns([{ name: 'node', syscalls: node, backend: 'bpftrace', source: 'node.txt', sourceFormat: 'bpftrace output' }]);
    expect(row(c, 'eagain')!.values).toEqual([0]);
    expect(c.columns[0]).toMatchObject({ errnoDetail: true, backend: 'bpftrace', source: 'node.txt', sourceFormat: 'bpftrace output' });
  });

  it('names the source format in the evidence when errors come without errnos', async () => {
    const c = compareRuns([{ name: 'go', syscalls: await table('go-nethttp-c50.strace.txt'), sourceFormat: 'strace -c' }]);
    expect(c.columns[0]!.model.evidence.join('\n')).toContain('EAGAIN or other errors: strace -c does not name errnos');
  });

  it('carries sweep levels through for the curves', async () => {
    const go = await table('go-nethttp-c1.strace.txt');
    const level: SweepLevel = {
      connections: 1,
      dir: 'connections-1',
      requests: 1000,
      requestsPerSecond: 333,
      threads: null,
      rssBytes: 10_000_000,
      idleConnections: 1,
      idleBytesPerConnection: 8192,
      perRequest: perRequestByFamily(go, 1000),
      model: { label: 'goroutine-per-connection (netpoll)', confidence: 0.9, evidence: [] },
    };
    const c = compareRuns([{ name: 'go sweep', syscalls: go, sweep: [level] }, { name: 'plain', syscalls: go }]);
    expect(c.sweeps).toEqual([{ name: 'go sweep', levels: [level] }]);
    expect(level.perRequest.total).toBe(go.totals.calls / 1000);
    expect(level.perRequest.futex).toBeGreaterThan(0);
    expect(level.perRequest['poll-select']).toBeUndefined();
  });
});

// Real `--offcpu --latency` runs of three example servers (fixtures/render/README.md, "waits/").
async function waitsRun(server: string, withLoad = true): Promise<CompareRun> {
  const loaded = await readInput(fixture('render', 'waits', server));
  const run = loaded.meta!.run!;
  return {
    name: server,
    syscalls: loaded.syscalls!,
    ...(withLoad ? { requests: run.load!.requests } : {}),
    durationSeconds: run.durationSeconds,
    offcpu: run.offcpu!,
    latency: run.latency!,
  };
}

describe('compareRuns with off-CPU time and latency', () => {
  it('divides wait time by kind by each run\'s requests, and shows the dominant wait of each model', async () => {
    const runs = await Promise.all(['go-nethttp', 'c-threads', 'c-epoll'].map((s) => waitsRun(s)));
    const c = compareRuns(runs);
    runs.forEach((run, i) => {
      const o = c.columns[i]!.offcpu!;
      expect(o.unit).toBe('seconds per request');
      expect(o.total).toBeCloseTo(run.offcpu!.seconds / run.requests!, 12);
      expect(o.byKind.futex).toBeCloseTo(run.offcpu!.byKind.futex / run.requests!, 12);
    });
    const dominant = c.columns.map((col) => Object.entries(col.offcpu!.byKind).sort((a, b) => b[1] - a[1])[0]![0]);
    expect(dominant).toEqual(['futex', 'blocking read/recv/accept', 'epoll/poll']);
    // Go parks idle workers in futex: the runtime's reasons come along, divided the same way.
    expect(c.columns[0]!.offcpu!.go!['idle workers']).toBeCloseTo(runs[0]!.offcpu!.go!['idle workers'] / runs[0]!.requests!, 12);
    expect(c.columns[1]!.offcpu!.go).toBeNull();
    // 50 threads blocked in read for the whole load: about 2 ms of waiting per request.
    expect(c.columns[1]!.offcpu!.total).toBeGreaterThan(0.001);
  });

  it('falls back to wait time per second of capture, like the counts, when requests are unknown', async () => {
    const run = await waitsRun('c-threads', false);
    const c = compareRuns([run]);
    expect(c.columns[0]!.normalisation).toBe('per-second');
    expect(c.columns[0]!.offcpu!.unit).toBe('seconds per second of capture');
    // About 50 threads blocked at any moment.
    expect(c.columns[0]!.offcpu!.total).toBeCloseTo(run.offcpu!.seconds / run.durationSeconds!, 9);
  });

  it('carries latency by family (members merged, p50/p99 from the buckets)', async () => {
    const go = await waitsRun('go-nethttp');
    const c = compareRuns([go]);
    const latency = c.columns[0]!.latency!;
    expect(latency).toEqual(latencyByFamily(go.latency!));
    expect(Object.keys(latency)).toEqual(expect.arrayContaining(['futex', 'epoll-wait', 'read', 'write']));
    expect(latency['epoll-wait']!.calls).toBe(go.latency!.epoll_pwait!.calls);
    expect(latency.read!.p50).toBeLessThanOrEqual(latency.read!.p99);
  });

  it('leaves both out of a column whose run has neither, so its JSON is what it was', async () => {
    const c = compareRuns([await waitsRun('c-epoll'), { name: 'counts only', syscalls: await table('redis-c50.strace.txt'), requests: 40000 }]);
    expect(c.columns[0]!.offcpu).toBeDefined();
    expect(Object.keys(c.columns[1]!)).not.toContain('offcpu');
    expect(Object.keys(c.columns[1]!)).not.toContain('latency');
  });
});

describe('crossBackendNotes', () => {
  it('says nothing when every run comes from one backend, or the backends are unknown', () => {
    expect(crossBackendNotes([{ name: 'a', backend: 'strace' }, { name: 'b', backend: 'strace' }], 'column')).toEqual([]);
    expect(crossBackendNotes([{ name: 'a', backend: 'strace' }, { name: 'b' }, { name: 'c', backend: 'pprof' }], 'column')).toEqual([]);
  });

  it('names the backends and, when thread counts meet, what each counts (redis: 2 threads under bpftrace, 5 under strace)', () => {
    const notes = crossBackendNotes(
      [
        { name: 'the baseline', backend: 'bpftrace', threads: 2 },
        { name: 'this run', backend: 'strace', threads: 5 },
      ],
      'run',
    );
    expect(notes).toEqual([
      'runs from different backends (bpftrace: the baseline; strace: this run): strace stops the target at every syscall, which slows it several times over and shifts its syscall mix (futex, epoll waits, EAGAIN reads per request); compare captures of one backend',
      'thread counts differ in meaning: bpftrace counts the threads that made a syscall during the capture; strace counts every thread and process it attached to or followed, idle ones included',
    ]);
  });

  it('does not blame strace when it is not involved, nor explain threads that mean the same', () => {
    const notes = crossBackendNotes([{ name: 'a', backend: 'bpftrace', threads: 8 }, { name: 'b', backend: 'perf', threads: 8 }], 'column');
    expect(notes).toEqual(['columns from different backends (bpftrace: a; perf: b): each probes the target differently (overhead, lost events); compare captures of one backend']);
  });
});
