import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleServers } from '../../src/capture/example-servers.js';
import { redisBenchmarkRequestsPerTest, runLoadCommand } from '../../src/capture/load-cmd.js';
import { waitForPort } from '../../src/capture/ready.js';
import { NetprobeError } from '../../src/model/errors.js';
import { fixture, IN_CI, toolAvailable } from '../helpers.js';
import { startServer, TEST_SERVER_CACHE, type RunningServer } from './server-process.js';

// `wrk --version` exits 1 even when wrk works, so probe for the binary instead.
const wrkPath = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
if (!wrkPath) {
  if (IN_CI) throw new Error('wrk is required under CI=true but is not installed (.ci/run must install it)');
  console.warn('SKIP: wrk not available on this machine');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether pid is still a live process (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** SIGKILL is asynchronous: give the kernel a moment to finish the process off. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe.runIf(wrkPath)('runLoadCommand with wrk', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const { built, skipped } = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE, only: ['node-http'] });
    expect(skipped).toEqual([]);
    server = await startServer(built[0]!.command);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reads wrk's request count, errors and latency percentiles", async () => {
    const r = await runLoadCommand(`${wrkPath} -t1 -c10 -d1s --latency http://127.0.0.1:${server.port}/`);
    expect(r.requestsKnown).toBe(true);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.errors).toBe(0);
    expect(r.durationSeconds).toBeGreaterThan(0.9);
    expect(r.requestsPerSecond).toBeGreaterThan(0);
    expect(r.latencyMs!.p50).toBeLessThanOrEqual(r.latencyMs!.p99);
    expect(r.generator).toContain('wrk');
    expect(r.output).toContain('requests in');
  });

  it("keeps wrk's partial summary when aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const started = Date.now();
    const r = await runLoadCommand(`${wrkPath} -t1 -c10 -d60s http://127.0.0.1:${server.port}/`, { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.requestsKnown).toBe(true);
    expect(r.requests).toBeGreaterThan(0);
  });
});

describe('runLoadCommand', () => {
  it('falls back to the given request count when the output does not tell, and leaves its errors unknown', async () => {
    const r = await runLoadCommand('echo some other tool', { requests: 42 });
    expect(r).toMatchObject({ requests: 42, requestsKnown: true, errors: null });
    expect(r.output).toBe('some other tool\n');
  });

  it('counts the requests of redis-benchmark -q from its -n and the tests it completed', async () => {
    // A stand-in replays the real output under the command line that produced it (fixtures/load/README.md).
    const bin = await mkdtemp(join(tmpdir(), 'netprobe-fake-redis-benchmark-'));
    await writeFile(join(bin, 'redis-benchmark'), `#!/bin/sh\ncat '${fixture('load', 'redis-benchmark-quiet.txt')}'\n`, { mode: 0o755 });
    const r = await runLoadCommand(`PATH='${bin}':$PATH redis-benchmark -h 127.0.0.1 -p 6379 -t ping -n 20000 -c 50 -q`).finally(() =>
      rm(bin, { recursive: true, force: true }),
    );
    // redis-benchmark counts no errors: unknown, never 0.
    expect(r).toMatchObject({ requests: 40000, requestsKnown: true, errors: null, durationSeconds: 0.846 });
    expect(r.requestsPerSecond).toBeCloseTo(r.requests / r.durationSeconds, 0);
  });

  it('says the count is unknown (never 0 requests at a real rate) when -q output comes from an unknown command line', async () => {
    const r = await runLoadCommand(`cat '${fixture('load', 'redis-benchmark-quiet.txt')}'`);
    expect(r).toMatchObject({ requests: 0, requestsKnown: false, requestsPerSecond: 47281.318 });
  });

  it('reports requests 0 and requestsKnown false, rate 0 and errors null (all unknown) when nothing tells the count', async () => {
    const r = await runLoadCommand('true');
    expect(r).toMatchObject({ requests: 0, requestsKnown: false, requestsPerSecond: 0, errors: null });
  });

  it('fails with the exit code and the last line of stderr', async () => {
    const err = await runLoadCommand('echo first >&2; echo "it broke" >&2; exit 3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).code).toBe('environment');
    expect((err as NetprobeError).message).toBe('load command failed (exit code 3): it broke');
  });

  it('says when the command does not exist', async () => {
    const err = await runLoadCommand('netprobe-no-such-load-tool -c 10').catch((e: unknown) => e);
    expect((err as NetprobeError).message).toMatch(/^load command not found: .*netprobe-no-such-load-tool/);
  });

  it('kills the whole process group on abort, background children included', async () => {
    const controller = new AbortController();
    let pids: number[] = [];
    setTimeout(() => controller.abort(), 500);
    const r = await runLoadCommand('sleep 60 & echo $!; sleep 60 & echo $!; wait', { signal: controller.signal });
    pids = r.output.trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });

  it('leaves nothing behind when the shell exits before its background children', async () => {
    const r = await runLoadCommand('sleep 60 >/dev/null 2>&1 & echo $!');
    const pid = Number(r.output.trim());
    expect(await gone(pid)).toBe(true);
  });
});

// .ci/run installs redis-server (with redis-benchmark): under CI its absence fails instead of skipping.
const redisReady = toolAvailable('redis-server', ['--version']) && toolAvailable('redis-benchmark', ['--version']);

describe.runIf(redisReady)('runLoadCommand with a live redis-benchmark -q', () => {
  let redis: ChildProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPort(port, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    if (redis && redis.exitCode === null) {
      const exited = new Promise((r) => redis!.once('exit', r));
      redis.kill('SIGTERM');
      await exited;
    }
  });

  it('reports the requests it made, with a rate that matches them', async () => {
    const r = await runLoadCommand(`redis-benchmark -h 127.0.0.1 -p ${port} -t ping -n 2000 -c 10 -q`);
    expect(r).toMatchObject({ requests: 4000, requestsKnown: true, errors: null });
    expect(r.requestsPerSecond).toBeCloseTo(r.requests / r.durationSeconds, -1);
  });
});

describe('redisBenchmarkRequestsPerTest', () => {
  it.each([
    ['redis-benchmark -h 127.0.0.1 -p 6379 -t ping -n 20000 -c 50 -q', 20000],
    ['/usr/bin/redis-benchmark -q -t set,get', 100000],
    ['redis-benchmark -q -n 500 | tee out.txt', 500],
    ['./bench.sh -n 500', null],
    ['redis-benchmark -q -n 10; redis-benchmark -q -n 20', null],
    ['redis-benchmark -q -n lots', null],
  ])('%s -> %s', (cmd, expected) => {
    expect(redisBenchmarkRequestsPerTest(cmd)).toBe(expected);
  });
});
