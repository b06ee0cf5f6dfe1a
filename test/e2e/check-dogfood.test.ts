// Dogfood: netprobe gates one of its own example servers in its own CI (.ci/run runs npm test). The bundled C
// epoll reactor, built from fixtures/servers/c-epoll, is checked with --runs 3 against the baseline committed in
// fixtures/baselines/ (how it was recorded: fixtures/README.md). A change to the server, to the built-in load
// or to how netprobe counts that moves its syscalls per request fails here first.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildExampleServers } from '../../src/capture/example-servers.js';
import { TEST_SERVER_CACHE } from '../capture/server-process.js';
import { fixture, runCli, toolAvailable } from '../helpers.js';
import { freePort, usableBackends } from './trace-support.js';

const BASELINE = fixture('baselines', 'c-epoll.bpftrace.json');
const usable = usableBackends();
const haveGcc = toolAvailable('gcc', ['--version']);

describe.skipIf(!usable.bpftrace || !haveGcc)('dogfood: the C epoll example against its committed baseline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-dogfood-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes with --runs 3 (the median of three captures against the median of three)', async () => {
    const { built, skipped } = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE, only: ['c-epoll'] });
    expect(skipped).toEqual([]);
    const port = await freePort();
    const junit = join(dir, 'dogfood.xml');
    const r = await runCli([
      'check', '--baseline', BASELINE, '--runs', '3', '--junit', junit,
      '--backend', 'bpftrace', '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-n', '5000', '-o', join(dir, 'runs'),
      '--', built[0]!.command[0]!, String(port),
    ]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      `netprobe check: ${join(dir, 'runs', 'run-1')} against baseline ${BASELINE}, calls per request (median of 3 runs, baseline the median of 3 runs)`,
    );
    expect(r.stdout).toMatch(/\nwrite\/send +1\.00 +1\.00 +1\.00–1\.00 +\S+ +\+10% +ok\n/);
    expect(r.stdout).toContain('\nnetwork model: event-loop reactor (epoll)  ok\n');
    expect(readFileSync(junit, 'utf8')).toContain('failures="0"');
  }, 180_000);
});
