// `netprobe demo` end to end: builds and traces every example server, classifies each as its model, sweeps
// connections, and writes report.html into a fresh directory; Ctrl-C leaves a partial report and exit 130.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWEEP_SERVERS } from '../../src/run/demo.js';
import { EXAMPLE_SERVERS } from '../../src/capture/example-servers.js';
import { BIN, isRoot, ROOT, runCli, toolAvailable } from '../helpers.js';

const ready = isRoot && toolAvailable('strace', ['-V']) && toolAvailable('go', ['version']) && toolAvailable('gcc');
// CPU flame graphs need perf sampling; without it the demo says so and draws none.
const perf = ready && toolAvailable('perf', ['--version']);
// Off-CPU time and syscall latency need bpftrace (root, which `ready` requires); without it the demo says so.
const bpftrace = ready && toolAvailable('bpftrace', ['--version']);
if (!isRoot) console.warn('SKIP: the demo e2e tests need root');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-demo-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('netprobe demo', () => {
  it('classifies every example server as its model and writes report.html', async () => {
    const out = join(dir, 'demo');
    const r = await runCli(['demo', '--out', out, '--duration', '1s', '--sweep', '10,50', '--sweep-duration', '1s'], { timeoutMs: 240_000 });
    expect(r.stderr).toMatch(/\[1\/7\] tracing go-nethttp/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Syscalls by family, calls per 1,000 requests\./);
    for (const server of EXAMPLE_SERVERS) {
      expect(r.stdout).toContain(`\n  ${server.id}: ${server.expectedModel} `);
      expect(r.stdout).toMatch(new RegExp(`\\n  ${server.id}: [^\\n]* \\(as expected\\)\\n`));
    }
    expect(r.stdout).toMatch(/\nas expected(\s+yes){7}\n/);
    // The thread-per-connection server is swept too: its cost per connection is what the model debate is about.
    expect(SWEEP_SERVERS).toEqual(expect.arrayContaining(['c-threads', 'go-nethttp', 'c-epoll']));
    for (const id of SWEEP_SERVERS) expect(r.stdout).toContain(`\nSweep ${id}: cost per request as connections grow\n`);
    expect(r.stdout).toContain('\nRSS after load: resident memory of the server when the load at that level ended.\n');

    const report = join(out, 'report.html');
    expect(r.stdout).toMatch(/\nreport: .*report\.html\n$/);
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('id="np-bars"');
    expect(html).toContain('id="np-sweep-calls"');
    // One CPU flame graph per server, with real stacks (not one flat level of syscall names).
    if (perf) {
      expect(html.match(/<section class="np-flame" id="flame-\d+"/g)).toHaveLength(EXAMPLE_SERVERS.length);
      expect(html).toContain('Where each server spends CPU during the load');
      expect(html).toContain('net/http.(*conn).serve');
      for (const server of EXAMPLE_SERVERS) expect(existsSync(join(out, server.id, 'cpu.pb.gz'))).toBe(true);
    }
    if (bpftrace) {
      // Wait time by kind and latency by family, one column per server, under the counts.
      const n = EXAMPLE_SERVERS.length;
      expect(r.stdout).toContain('\n\nOff-CPU time by kind, ms per request (summed over threads: where they blocked and for how long).\n');
      expect(r.stdout).toMatch(new RegExp(`\\ntotal(\\s+(<0\\.01|[\\d.,]+)){${n}}\\n`));
      expect(r.stdout).toMatch(/\n {2}go-nethttp \(Go runtime\): \d+% idle workers/);
      expect(r.stdout).toContain('\n\nLatency by family (p50 / p99): time inside the syscall, upper bounds of log2 buckets.\n');
      expect(r.stdout).toMatch(new RegExp(`\\nread/recv p50(\\s+[\\d.]+ [nµm]?s){${n}}\\n`));
      // The dominant wait of each model: Go's idle workers in futex, blocked reads per connection, the reactor's epoll_wait.
      const dominant = (id: string) => {
        const offcpu = (JSON.parse(readFileSync(join(out, id, 'run.json'), 'utf8')) as { offcpu: { byKind: Record<string, number> } }).offcpu;
        return Object.entries(offcpu.byKind).sort((a, b) => b[1] - a[1])[0]![0];
      };
      expect(['go-nethttp', 'c-threads', 'c-epoll'].map(dominant)).toEqual(['futex', 'blocking read/recv/accept', 'epoll/poll']);
      expect(html).toContain('id="np-waits"');
      expect(html).toContain('id="np-latency"');
      expect(html.match(/<section class="np-flame" id="offcpu-\d+"/g)).toHaveLength(n);
      for (const server of EXAMPLE_SERVERS) expect(existsSync(join(out, server.id, 'offcpu.pb.gz'))).toBe(true);
    }
    for (const server of EXAMPLE_SERVERS) expect(existsSync(join(out, server.id, 'run.json'))).toBe(true);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep-go-nethttp', 'run.json'), 'utf8')) as { sweep: { connections: number }[] };
    expect(sweep.sweep.map((l) => l.connections)).toEqual([10, 50]);
  }, 260_000);

  it('on Ctrl-C writes the report of the servers traced so far, says it is partial, and exits 130', async () => {
    const out = join(dir, 'interrupted');
    const child = execa('node', [BIN, 'demo', '--out', out, '--servers', 'go-nethttp,c-epoll', '--duration', '3s', '--no-sweep'], {
      cwd: ROOT,
      env: { NO_COLOR: '1' },
      reject: false,
      timeout: 120_000,
    });
    // Interrupt while the second server is under load: the first is complete, the second is cut short.
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/\[2\/2\] tracing c-epoll/.test(stderr)) resolve();
      });
      void child.then(() => resolve());
    });
    await new Promise((r) => setTimeout(r, 2000));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toMatch(/\n {2}go-nethttp: goroutine-per-connection \(netpoll\) /);
    expect(r.stdout).toMatch(/\nreport: .*report\.html \(partial\)\n?$/);
    expect(r.stderr).toMatch(/Interrupted \(Ctrl-C\): partial report of 2 servers \(go-nethttp, c-epoll\); c-epoll cut short/);
    expect(r.stderr).toMatch(/interrupted; partial report written to .*report\.html/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<title>netprobe demo: network models compared (partial: interrupted)</title>');
    expect(html).toContain('<li>Interrupted (Ctrl-C): partial report of 2 servers');
  }, 130_000);

  it('refuses to overwrite an existing directory (exit 2)', async () => {
    const r = await runCli(['demo', '--out', dir, '--duration', '1s', '--no-sweep']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
  });
});

describe('netprobe demo --help', () => {
  it('shows examples and what Ctrl-C does', async () => {
    const r = await runCli(['demo', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\nExamples:\n  $ netprobe demo\n');
    expect(r.stdout).toContain('--servers go-nethttp,c-threads,c-epoll --no-sweep');
    expect(r.stdout).toMatch(/Ctrl-C writes the report of the servers traced so far and\s+exits 130/);
  });
});
