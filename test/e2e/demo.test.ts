// `netprobe demo` end to end: builds and traces every example server, classifies each as its model, sweeps
// connections, and writes report.html into a fresh directory.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_SERVERS } from '../../src/capture/example-servers.js';
import { isRoot, runCli, toolAvailable } from '../helpers.js';

const ready = isRoot && toolAvailable('strace', ['-V']) && toolAvailable('go', ['version']) && toolAvailable('gcc');

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
    const r = await runCli(['demo', '--out', out, '--duration', '1s', '--sweep', '10,50', '--sweep-duration', '1s'], { timeoutMs: 180_000 });
    expect(r.stderr).toMatch(/\[1\/7\] tracing go-nethttp/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Syscalls by family, calls per 1,000 requests\./);
    for (const server of EXAMPLE_SERVERS) {
      expect(r.stdout).toContain(`\n  ${server.id}: ${server.expectedModel} `);
      expect(r.stdout).toMatch(new RegExp(`\\n  ${server.id}: [^\\n]* \\(as expected\\)\\n`));
    }
    expect(r.stdout).toMatch(/\nas expected(\s+yes){7}\n/);
    expect(r.stdout).toMatch(/\nSweep go-nethttp: cost per request as connections grow\n/);
    expect(r.stdout).toMatch(/\nSweep c-epoll: cost per request as connections grow\n/);

    const report = join(out, 'report.html');
    expect(r.stdout).toMatch(/\nreport: .*report\.html\n$/);
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('id="np-bars"');
    expect(html).toContain('id="np-sweep-calls"');
    expect(html.match(/<section class="np-flame"/g)).toHaveLength(7);
    for (const server of EXAMPLE_SERVERS) expect(existsSync(join(out, server.id, 'run.json'))).toBe(true);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep-go-nethttp', 'run.json'), 'utf8')) as { sweep: { connections: number }[] };
    expect(sweep.sweep.map((l) => l.connections)).toEqual([10, 50]);
  }, 200_000);

  it('refuses to overwrite an existing directory (exit 2)', async () => {
    const r = await runCli(['demo', '--out', dir, '--duration', '1s', '--no-sweep']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
  });
});
