import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE_SERVERS, buildExampleServers } from '../../src/capture/example-servers.js';
import { NetprobeError } from '../../src/model/errors.js';

describe('buildExampleServers without compilers', () => {
  const savedPath = process.env.PATH;
  const cacheDir = mkdtempSync(join(tmpdir(), 'netprobe-servers-'));
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('skips what it cannot compile, saying how to fix it, and still offers the Node server', async () => {
    process.env.PATH = '/nonexistent';
    const progress: string[] = [];
    const { built, skipped } = await buildExampleServers({
      cacheDir,
      only: ['go-nethttp', 'c-epoll', 'node-http'],
      onProgress: (p) => progress.push(`${p.id} ${p.state}`),
    });
    expect(skipped).toEqual([
      { id: 'go-nethttp', reason: expect.stringMatching(/^go not found/), fix: 'apt-get install golang-go' },
      { id: 'c-epoll', reason: expect.stringMatching(/^gcc not found/), fix: 'apt-get install gcc' },
    ]);
    expect(built).toEqual([
      { id: 'node-http', title: 'Node.js http (libuv)', expectedModel: 'event-loop reactor (epoll)', command: [process.execPath, expect.stringMatching(/fixtures\/servers\/node-http\/server\.mjs$/)] },
    ]);
    expect(progress).toEqual(['go-nethttp skipped', 'c-epoll skipped', 'node-http cached']);
  });

  it('refuses unknown server ids', async () => {
    const err = await buildExampleServers({ cacheDir, only: ['c-epoll', 'rust-tokio'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).code).toBe('usage');
    expect((err as NetprobeError).message).toBe('unknown example server: rust-tokio');
  });

  it('has one server per network model label', () => {
    expect(new Set(EXAMPLE_SERVERS.map((s) => s.expectedModel))).toEqual(
      new Set(['goroutine-per-connection (netpoll)', 'event-loop reactor (epoll)', 'thread-per-connection (blocking)', 'poll/select loop']),
    );
  });
});
