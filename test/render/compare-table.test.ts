// The comparison as terminal text and as Markdown, from real captures.
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { renderCompareTable, renderSweep } from '../../src/render/compare-table.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { compareRuns, type CompareRun, type SweepLevel } from '../../src/report/compare.js';
import { fixture } from '../helpers.js';

async function table(file: string) {
  return (await readInput(fixture('models', file))).syscalls!;
}

// Real `--offcpu --latency` runs (fixtures/render/README.md, "waits/").
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

describe('renderCompareTable', () => {
  it('prints one column per run, family rows, facts and the full model of each run', async () => {
    const c = compareRuns([
      { name: 'go-nethttp', syscalls: await table('go-nethttp-c50.strace.txt'), requests: 32249, durationSeconds: 3, sourceFormat: 'strace -c' },
      { name: 'redis', syscalls: await table('redis-c50.strace.txt'), requests: 40000, durationSeconds: 3, sourceFormat: 'strace -c' },
    ]);
    const text = renderCompareTable(c, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Syscalls by family, calls per 1,000 requests.');
    expect(lines[1]).toMatch(/^\s+go-nethttp\s+redis$/);
    expect(text).toMatch(/\nfutex\s+[\d.,]+\s+[\d.,]+\n/);
    expect(text).toMatch(/\nepoll wait\s+[\d.,]+\s+[\d.,]+\n/);
    expect(text).toMatch(/\nrequests\/s\s+10,750\s+13,333\n/);
    expect(text).toMatch(/\nmodel\s+netpoll\s+reactor\n/);
    // Neither column says which tracer made it.
    expect(text).toMatch(/\nbackend\s+unknown\s+unknown\n/);
    expect(text).not.toContain('Note:');
    expect(text).toContain('  go-nethttp: goroutine-per-connection (netpoll) ');
    expect(text).toContain('  redis: event-loop reactor (epoll) ');
    expect(text).toContain('EAGAIN n/a: go-nethttp, redis have errors without errno names (strace -c); see the errors row.');
    expect(text).not.toContain('\u001b[');
  });

  it('marks a run classified against expectations', async () => {
    const c = compareRuns([
      { name: 'nginx', syscalls: await table('nginx-1worker-c50.strace.txt') },
      { name: 'ls', syscalls: await table('ls.strace.txt') },
    ]);
    const text = renderCompareTable(c, { color: false, expected: ['event-loop reactor (epoll)', 'poll/select loop'] });
    expect(text).toMatch(/\nas expected\s+yes\s+NO\n/);
    expect(text).toContain('  ls: unknown (expected poll/select loop)');
    expect(text).toContain('Syscalls by family, calls (raw counts).');
  });

  it('labels each column with its unit when units differ', async () => {
    const redis = await table('redis-c1.strace.txt');
    const c = compareRuns([
      { name: 'a', syscalls: redis, requests: 40000 },
      { name: 'b', syscalls: redis, durationSeconds: 2 },
    ]);
    const text = renderCompareTable(c, { color: false });
    expect(text).toMatch(/^Units differ per column/);
    expect(text).toMatch(/\n\s+a \(per 1k req\)\s+b \(per s\)\n/);
  });

  it('renders GitHub Markdown with escaped pipes', async () => {
    const c = compareRuns([{ name: 'a|b', syscalls: await table('node-http-c50.strace.txt'), requests: 1000 }]);
    const md = renderCompareTable(c, { markdown: true });
    const lines = md.split('\n');
    expect(lines[2]).toBe('|  | a\\|b |');
    expect(lines[3]).toBe('| --- | ---: |');
    expect(md).toMatch(/\n\| read\/recv \| [\d,.]+ \|\n/);
    expect(md).toContain('\n| model | reactor |\n');
    expect(md).toContain('\n- a|b: event-loop reactor (epoll) ');
  });
});

describe('renderCompareTable with off-CPU time and latency', () => {
  it('adds wait time by kind in ms per request and latency p50 / p99 by family under the counts', async () => {
    const c = compareRuns(await Promise.all(['go-nethttp', 'c-threads', 'c-epoll'].map((s) => waitsRun(s))));
    const text = renderCompareTable(c, { color: false });
    const [counts, waits, latency] = text.split('\n\n');
    expect(counts).toMatch(/^Syscalls by family, calls per 1,000 requests\./);
    expect(counts).toContain('  c-epoll: event-loop reactor (epoll) ');

    const w = waits!.split('\n');
    expect(w[0]).toBe('Off-CPU time by kind, ms per request (summed over threads: where they blocked and for how long).');
    expect(w[1]).toMatch(/^\s+go-nethttp\s+c-threads\s+c-epoll$/);
    expect(w.slice(3, 8).map((l) => l.replace(/\s{2,}.*/, ''))).toEqual(['futex', 'epoll/poll', 'blocking read/recv/accept', 'sleep', 'other']);
    // c-threads: 50 threads blocked in read, about 2 ms per request; c-epoll waits only in epoll_wait, well under 0.01 ms.
    expect(waits).toMatch(/\nblocking read\/recv\/accept\s+<0\.01\s+2\.08\s+0\n/);
    expect(waits).toMatch(/\nepoll\/poll\s+0\.06\s+0\s+<0\.01\n/);
    expect(waits).toMatch(/\ntotal\s+0\.62\s+2\.08\s+<0\.01\n/);
    expect(waits).toMatch(/\n {2}go-nethttp \(Go runtime\): 75% idle workers, 10% netpoller, 0\.\d% lock contention, 12% sysmon, 3% other$/);

    const l = latency!.split('\n');
    expect(l[0]).toBe('Latency by family (p50 / p99): time inside the syscall, upper bounds of log2 buckets.');
    // c-threads' threads block in read: milliseconds where the reactors' reads take microseconds.
    expect(latency).toMatch(/\nread\/recv p50\s+[\d.]+ µs\s+[\d.]+ ms\s+[\d.]+ µs\n/);
    expect(latency).toMatch(/\nread\/recv p99\s+[\d.]+ µs\s+[\d.]+ ms\s+[\d.]+ µs\n/);
    // Only Go sleeps: the other columns stay empty.
    expect(latency).toMatch(/\nnanosleep p50\s+[\d.]+ µs\n/);
    expect(text).not.toContain('not recorded');
  });

  it('says which columns were traced without --offcpu or --latency', async () => {
    const c = compareRuns([await waitsRun('c-threads'), { name: 'redis', syscalls: await table('redis-c50.strace.txt'), requests: 40000 }]);
    const text = renderCompareTable(c, { color: false });
    expect(text).toMatch(/\ntotal\s+2\.08\n/);
    expect(text).toContain('\n  not recorded: redis (traced without --offcpu)\n');
    expect(text).toContain('\n  not recorded: redis (traced without --latency)\n');
  });

  it('labels wait time per second of capture when requests are unknown', async () => {
    const c = compareRuns([await waitsRun('c-threads', false)]);
    const text = renderCompareTable(c, { color: false });
    expect(text).toContain('\nOff-CPU time by kind, ms per second of capture (summed over threads');
    const mixed = renderCompareTable(compareRuns([await waitsRun('c-threads', false), await waitsRun('c-epoll')]), { color: false });
    expect(mixed).toContain('\nOff-CPU time by kind, units differ per column: per req = ms per request, per s = ms per second of capture');
    expect(mixed).toMatch(/\n\s+c-threads \(per s\)\s+c-epoll \(per req\)\n/);
  });

  it('renders both blocks in Markdown', async () => {
    const c = compareRuns([await waitsRun('go-nethttp'), await waitsRun('c-threads')]);
    const md = renderCompareTable(c, { markdown: true });
    expect(md).toContain('\n\nOff-CPU time by kind, ms per request (summed over threads: where they blocked and for how long).\n\n|  | go-nethttp | c-threads |\n| --- | ---: | ---: |\n| futex | 0.50 | <0.01 |\n');
    expect(md).toMatch(/\n\| total \| 0\.62 \| 2\.08 \|\n- go-nethttp \(Go runtime\): 75% idle workers/);
    expect(md).toMatch(/\n\nLatency by family \(p50 \/ p99\): [^\n]*\n\n\|  \| go-nethttp \| c-threads \|\n\| --- \| ---: \| ---: \|\n\| futex p50 \| [\d.]+ µs \| [\d.]+ µs \|\n\| futex p99 \| [\d.]+ ms \| [\d.]+ µs \|\n/);
  });

  it('prints neither block when no column has the data', async () => {
    const c = compareRuns([{ name: 'go', syscalls: await table('go-nethttp-c50.strace.txt'), requests: 32249 }]);
    for (const text of [renderCompareTable(c, { color: false }), renderCompareTable(c, { markdown: true })]) {
      expect(text).not.toContain('Off-CPU');
      expect(text).not.toContain('Latency');
    }
  });
});

describe('renderSweep', () => {
  it('shows one row per level with the families that matter, RSS and memory per idle connection', async () => {
    const levels: SweepLevel[] = [];
    for (const [connections, file, requests] of [
      [1, 'go-nethttp-c1.strace.txt', 10000],
      [200, 'go-nethttp-c200.strace.txt', 30000],
    ] as const) {
      const t = await table(file);
      levels.push({
        connections,
        dir: `connections-${connections}`,
        requests,
        requestsPerSecond: requests / 3,
        threads: 6,
        rssBytes: 12 * 1024 * 1024,
        idleConnections: connections,
        idleBytesPerConnection: connections === 1 ? null : 9000,
        perRequest: perRequestByFamily(t, requests),
        model: { label: 'goroutine-per-connection (netpoll)', confidence: 0.9, evidence: [] },
      });
    }
    const text = renderSweep('go', levels, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Sweep go: cost per request as connections grow');
    expect(lines[1]).toMatch(/^connections\s+requests\/s\s+syscalls\/req\s+futex\/req\s+epoll wait\/req\s+read\/recv\/req\s+write\/send\/req\s+nanosleep\/req\s+threads\s+RSS after load\s+RSS\/idle conn\s+model$/);
    expect(lines[3]).toMatch(/^1\s+3,333\s.*\s6\s+12\.0 MiB\s+netpoll$/);
    expect(lines[4]).toMatch(/^200\s+10,000\s.*\s6\s+12\.0 MiB\s+8\.8 KiB\s+netpoll$/);
  });
});
