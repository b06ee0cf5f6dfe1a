// `netprobe compare` on real captures: the table, --markdown, --json, and its usage/input errors.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distinguishNames } from '../../src/report/compare.js';
import { tableFromRows } from '../../src/model/syscalls.js';
import { fixture, runCli } from '../helpers.js';

const GO = fixture('models', 'go-nethttp-c50.strace.txt');
const NGINX = fixture('models', 'nginx-1worker-c50.strace.txt');
const PYTHON = fixture('models', 'python-httpserver-c1.strace.txt');
const PERF = fixture('render', 'dd-bs512.perf');
// One Go server traced three times, once per backend, and a sweep of the C thread-per-connection server.
const RUNS = ['strace', 'perf', 'bpftrace'].map((b) => fixture('models', 'runs', `go-nethttp-${b}`));
const SWEEP = fixture('models', 'runs', 'c-threads-sweep');
// Three example servers traced with --offcpu --latency (fixtures/render/README.md, "waits/").
const WAITS = ['go-nethttp', 'c-threads', 'c-epoll'].map((s) => fixture('render', 'waits', s));

describe('netprobe compare', () => {
  it('prints the runs side by side with their network models', async () => {
    const r = await runCli(['compare', GO, NGINX, PYTHON]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Syscalls by family, calls (raw counts).');
    expect(lines[1]).toMatch(/^\s+go-nethttp-c50\.strace\.txt\s+nginx-1worker-c50\.strace\.txt\s+python-httpserver-c1\.strace\.txt$/);
    expect(r.stdout).toMatch(/\nread\/recv\s+33,948\s+46,456\s+5,332\n/);
    expect(r.stdout).toMatch(/\nmodel\s+netpoll\s+reactor\s+poll loop\n/);
    expect(r.stdout).toContain('  go-nethttp-c50.strace.txt: goroutine-per-connection (netpoll) ');
    expect(r.stdout).toContain('  nginx-1worker-c50.strace.txt: event-loop reactor (epoll) ');
    expect(r.stdout).toContain('  python-httpserver-c1.strace.txt: poll/select loop ');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--markdown prints a GitHub table', async () => {
    const r = await runCli(['compare', GO, NGINX, '--markdown']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\n|  | go-nethttp-c50.strace.txt | nginx-1worker-c50.strace.txt |\n| --- | ---: | ---: |\n');
    expect(r.stdout).toContain('\n| model | netpoll | reactor |\n');
  });

  it('--json prints the comparison with evidence', async () => {
    const r = await runCli(['compare', GO, NGINX, '--json']);
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      columns: { name: string; normalisation: string; model: { label: string; evidence: string[] } }[];
      rows: { id: string; values: (number | null)[] }[];
      sweeps: unknown[];
    };
    expect(json.columns.map((c) => [c.name, c.normalisation, c.model.label])).toEqual([
      ['go-nethttp-c50.strace.txt', 'raw', 'goroutine-per-connection (netpoll)'],
      ['nginx-1worker-c50.strace.txt', 'raw', 'event-loop reactor (epoll)'],
    ]);
    expect(json.columns[0]!.model.evidence.join('\n')).toMatch(/nanosleep per read\/write/);
    // Raw counts straight from the strace tables: Go's epoll_pwait and nginx's epoll_wait in one family.
    expect(json.rows.find((r) => r.id === 'epoll-wait')!.values).toEqual([312, 1265]);
    expect(json.rows.map((r) => r.id)).toEqual(expect.arrayContaining(['futex', 'epoll-wait', 'read', 'write', 'accept', 'total', 'errors', 'eagain']));
    expect(json.sweeps).toEqual([]);
  });

  it('exits 2 with a hint for an input without syscall counts', async () => {
    const r = await runCli(['compare', GO, PERF]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/dd-bs512\.perf has no syscall counts \(it is a perf script CPU profile\)/);
    expect(r.stderr).toMatch(/^hint: try `netprobe flame .*dd-bs512\.perf`/m);
  });

  it('exits 2 on a missing file and on --markdown with --json', async () => {
    const missing = await runCli(['compare', GO, fixture('models', 'nope.txt')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.txt: no such file or directory/);
    const both = await runCli(['compare', GO, '--markdown', '--json']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('Expected at most one of `--markdown` and `--json`');
  });

  it('tells runs of one server apart by backend, and names the source format of missing errnos', async () => {
    const r = await runCli(['compare', ...RUNS]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^\s+go-nethttp \[strace\]\s+go-nethttp \[perf\]\s+go-nethttp \[bpftrace\]$/);
    expect(r.stdout).toContain('\nEAGAIN n/a: go-nethttp [strace] has errors without errno names (strace -c); see the errors row.\n');
    // A backend row, and a note that counts from strace and bpftrace/perf are not alike.
    expect(r.stdout).toMatch(/\nbackend\s+strace\s+perf\s+bpftrace\n/);
    expect(r.stdout).toContain(
      '\nNote: columns from different backends (strace: go-nethttp [strace]; perf: go-nethttp [perf]; bpftrace: go-nethttp [bpftrace]): strace stops the target at every syscall',
    );
    const md = (await runCli(['compare', ...RUNS, '--markdown'])).stdout;
    expect(md).toContain('| backend | strace | perf | bpftrace |');
    expect(md).toContain('Note: columns from different backends');
    const json = JSON.parse((await runCli(['compare', ...RUNS, '--json'])).stdout) as {
      columns: { name: string; backend: string; source: string; sourceFormat: string; errnoDetail: boolean }[];
      notes: string[];
    };
    expect(json.notes[0]).toMatch(/^columns from different backends \(strace: go-nethttp \[strace\]; perf: /);
    expect(json.columns.map((c) => [c.name, c.backend, c.source, c.sourceFormat, c.errnoDetail])).toEqual([
      ['go-nethttp [strace]', 'strace', RUNS[0], 'strace -c', false],
      ['go-nethttp [perf]', 'perf', RUNS[1], 'perf trace -s', true],
      ['go-nethttp [bpftrace]', 'bpftrace', RUNS[2], 'bpftrace output', true],
    ]);
  });

  it('does not claim a missing errno breakdown for a run without errors', async () => {
    const r = await runCli(['compare', fixture('models', 'node-http-c200.bpftrace.txt'), GO]);
    expect(r.stdout).toMatch(/\nEAGAIN\s+0\s+n\/a\n/);
    expect(r.stdout).toContain('EAGAIN n/a: go-nethttp-c50.strace.txt has errors without errno names (strace -c)');
    expect(r.stdout).not.toContain('node-http-c200.bpftrace.txt has errors');
  });

  it('shows a sweep directory as one column per level, with the sweep table', async () => {
    const r = await runCli(['compare', SWEEP]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^\s+c-threads-c10\s+c-threads-c50$/);
    expect(r.stdout).toMatch(/\nmodel\s+thread\/conn\s+thread\/conn\n/);
    expect(r.stdout).toContain('\nSweep c-threads: cost per request as connections grow\n');
    expect(r.stdout).toMatch(/\n10\s+[\d,]+\s+2\.00\s/);
    expect(r.stdout).toMatch(/\n50\s+[\d,]+\s+2\.02\s/);
    expect(r.stdout).toMatch(/\s+threads\s+RSS after load\s+RSS\/idle conn\s+model\n/);
    expect(r.stdout).toContain('\nRSS after load: resident memory of the server when the load at that level ended.\n');
    expect(r.stdout).toContain('kernel socket buffers and thread kernel stacks are not in RSS');
  });

  it('shows wait time by kind per request and latency by family for runs traced with --offcpu --latency', async () => {
    const r = await runCli(['compare', ...WAITS, GO]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\n\nOff-CPU time by kind, ms per request (summed over threads: where they blocked and for how long).\n');
    expect(r.stdout).toMatch(/\nblocking read\/recv\/accept\s+<0\.01\s+2\.08\s+0\n/);
    expect(r.stdout).toContain('\n  go-nethttp (Go runtime): 75% idle workers,');
    expect(r.stdout).toContain('\n  not recorded: go-nethttp-c50.strace.txt (traced without --offcpu)\n');
    expect(r.stdout).toContain('\n\nLatency by family (p50 / p99): time inside the syscall, upper bounds of log2 buckets.\n');
    expect(r.stdout).toMatch(/\nepoll wait p50\s+[\d.]+ µs\s+[\d.]+ µs\n/);

    const json = JSON.parse((await runCli(['compare', ...WAITS, GO, '--json'])).stdout) as {
      columns: { name: string; offcpu?: { unit: string; total: number; byKind: Record<string, number> }; latency?: Record<string, { p50: number; p99: number; buckets: number[][] }> }[];
    };
    expect(json.columns.map((c) => [c.name, c.offcpu?.unit])).toEqual([
      ['go-nethttp', 'seconds per request'],
      ['c-threads', 'seconds per request'],
      ['c-epoll', 'seconds per request'],
      ['go-nethttp-c50.strace.txt', undefined],
    ]);
    expect(json.columns[1]!.offcpu!.byKind['blocking read/recv/accept']).toBeCloseTo(0.00208, 5);
    expect(json.columns[2]!.latency!['epoll-wait']!.p50).toBeGreaterThan(0);
    expect(json.columns[2]!.latency!['epoll-wait']!.buckets.length).toBeGreaterThan(0);
    expect(json.columns[3]!.latency).toBeUndefined();

    const md = (await runCli(['compare', ...WAITS, '--markdown'])).stdout;
    expect(md).toContain('\n\nOff-CPU time by kind, ms per request (summed over threads: where they blocked and for how long).\n\n|  | go-nethttp | c-threads | c-epoll |\n');
    expect(md).toMatch(/\n\| read\/recv p99 \| [\d.]+ µs \| [\d.]+ ms \| [\d.]+ µs \|\n/);
  });

  it('leaves a run.json with a malformed offcpu or latency out of those blocks instead of failing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netprobe-compare-waits-'));
    try {
      const run = JSON.parse(await readFile(join(WAITS[1]!, 'run.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(dir, 'run.json'), JSON.stringify({ ...run, offcpu: { seconds: 'lots' }, latency: { read: { p50: 1 } } }));
      const r = await runCli(['compare', join(dir, 'run.json')]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain('Off-CPU');
      expect(r.stdout).not.toContain('Latency');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the level a sweep summary stands for when its level directories are gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netprobe-compare-sweep-'));
    try {
      await mkdir(join(dir, 'c-threads-sweep'));
      await copyFile(join(SWEEP, 'run.json'), join(dir, 'c-threads-sweep', 'run.json'));
      const r = await runCli(['compare', join(dir, 'c-threads-sweep')]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n')[1]).toMatch(/^\s+c-threads @ 50 connections \(last sweep level\)$/);
      expect(r.stdout).toContain('\nSweep c-threads: cost per request as connections grow\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('distinguishNames', () => {
  const syscalls = tableFromRows([], false);
  const names = (runs: { name: string; backend?: string; source?: string }[]) =>
    distinguishNames(runs.map((r) => ({ ...r, syscalls }))).map((r) => r.name);

  it('adds the backend when runs of one name differ in backend', () => {
    expect(names([{ name: 'go', backend: 'strace' }, { name: 'go', backend: 'bpftrace' }, { name: 'nginx', backend: 'strace' }])).toEqual([
      'go [strace]',
      'go [bpftrace]',
      'nginx',
    ]);
  });

  it('uses the shortest end of the path that differs otherwise', () => {
    expect(
      names([
        { name: 'go', backend: 'bpftrace', source: 'netprobe-out/go-20261122-085800/' },
        { name: 'go', backend: 'bpftrace', source: 'netprobe-out/go-20261122-090000/run.json' },
        { name: 'run', source: 'before/run.json' },
        { name: 'run', source: 'after/run.json' },
      ]),
    ).toEqual(['go-20261122-085800', 'go-20261122-090000', 'run (before)', 'run (after)']);
    expect(names([{ name: 'go.txt', source: 'before/go.txt' }, { name: 'go.txt', source: 'after/go.txt' }])).toEqual(['before/go.txt', 'after/go.txt']);
  });

  it('numbers the same input given twice', () => {
    expect(names([{ name: 'a', source: 'a.txt' }, { name: 'a', source: 'a.txt' }])).toEqual(['a (1)', 'a (2)']);
  });
});
