// compareRuns on real captures: family rows, per-request / per-second / raw normalisation, models, sweeps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import type { SyscallTable } from '../../src/model/syscalls.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { compareRuns, crossBackendNotes, type SweepLevel } from '../../src/report/compare.js';
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
