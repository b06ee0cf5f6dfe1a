import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitForPort } from '../../src/capture/ready.js';
import { NetprobeError } from '../../src/model/errors.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function failure(p: Promise<void>): Promise<NetprobeError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(NetprobeError);
  return err as NetprobeError;
}

describe('waitForPort', () => {
  it('resolves once a server starts listening on the port', async () => {
    const port = await freePort();
    let server: Server | undefined;
    setTimeout(() => {
      server = createServer((c) => c.destroy()).listen(port, '127.0.0.1');
    }, 300);
    try {
      await waitForPort(port, { timeoutMs: 10_000 });
      expect(server?.listening).toBe(true);
    } finally {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    }
  });

  it('says which port it waited for, and for how long, when nothing ever listens', async () => {
    const port = await freePort();
    const err = await failure(waitForPort(port, { timeoutMs: 300 }));
    expect(err.code).toBe('environment');
    expect(err.message).toBe(`target did not accept connections on 127.0.0.1:${port} within 0.3 s`);
    expect(err.hint).toContain('--port');
  });

  it('gives up at once with a different error when the target has exited', async () => {
    const port = await freePort();
    let checks = 0;
    const err = await failure(waitForPort(port, { timeoutMs: 60_000, isAlive: () => ++checks < 3 }));
    expect(err.code).toBe('environment');
    expect(err.message).toBe(`target exited before accepting connections on 127.0.0.1:${port}`);
  });

  it('stops with an interrupted error when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(waitForPort(port, { timeoutMs: 60_000, signal: controller.signal }));
    expect(err.code).toBe('interrupted');
  });
});
