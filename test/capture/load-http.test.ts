import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackTarget, runHttpLoad } from '../../src/capture/load-http.js';
import { NetprobeError } from '../../src/model/errors.js';

interface CountingServer {
  url: string;
  seen: () => number;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A real HTTP server in this process that counts the requests it receives and answers with `handle`. */
async function countingServer(handle: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<CountingServer> {
  let seen = 0;
  const server = createServer((req, res) => handle(++seen, req, res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen: () => seen };
}

const ok = (_n: number, _req: IncomingMessage, res: ServerResponse) => res.end('hello\n');

describe('runHttpLoad', () => {
  it('--requests N sends exactly N requests, and the server saw every one reported', async () => {
    const server = await countingServer(ok);
    const r = await runHttpLoad({ url: server.url, connections: 8, requests: 2000 });
    expect(r.requests).toBe(2000);
    expect(server.seen()).toBe(2000);
    expect(r.errors).toBe(0);
    expect(r.generator).toBe('builtin');
    expect(r.connections).toBe(8);
    expect(r.latencyMs!.p50).toBeGreaterThan(0);
    expect(r.latencyMs!.p50).toBeLessThanOrEqual(r.latencyMs!.p90);
    expect(r.latencyMs!.p90).toBeLessThanOrEqual(r.latencyMs!.p99);
    expect(r.latencyMs!.p99).toBeLessThanOrEqual(r.latencyMs!.max);
    expect(r.requestsPerSecond).toBeCloseTo(r.requests / r.durationSeconds, 6);
  });

  it('a duration-bounded run reports every answered request (at most one unanswered per connection is dropped)', async () => {
    const server = await countingServer(ok);
    const progress: number[] = [];
    const r = await runHttpLoad({ url: server.url, connections: 4, durationSeconds: 1.5, onProgress: (p) => progress.push(p.requests) });
    expect(r.requests).toBeGreaterThan(0);
    expect(server.seen()).toBeGreaterThanOrEqual(r.requests);
    expect(server.seen()).toBeLessThanOrEqual(r.requests + 4);
    expect(r.errors).toBe(0);
    expect(r.durationSeconds).toBeGreaterThanOrEqual(1.5);
    expect(progress.length).toBeGreaterThanOrEqual(1);
  });

  it('sends the path and query of the URL, with a Host header, over keep-alive connections', async () => {
    const paths = new Set<string>();
    const hosts = new Set<string>();
    const sockets = new Set<unknown>();
    const server = await countingServer((_n, req, res) => {
      paths.add(req.url!);
      hosts.add(req.headers.host!);
      sockets.add(req.socket);
      res.end('x');
    });
    const url = `${server.url}some/path?q=1`;
    const r = await runHttpLoad({ url, connections: 3, requests: 300 });
    expect(r.requests).toBe(300);
    expect([...paths]).toEqual(['/some/path?q=1']);
    expect([...hosts]).toEqual([new URL(url).host]);
    expect(sockets.size).toBe(3);
  });

  it('parses chunked responses', async () => {
    const server = await countingServer((n, _req, res) => {
      res.write('chunk one;');
      res.write(`chunk ${n}`);
      res.end();
    });
    const r = await runHttpLoad({ url: server.url, connections: 4, requests: 500 });
    expect(r).toMatchObject({ requests: 500, errors: 0 });
    expect(server.seen()).toBe(500);
  });

  it('reconnects when the server answers with Connection: close', async () => {
    const server = await countingServer((_n, _req, res) => {
      res.setHeader('Connection', 'close');
      res.end('bye');
    });
    const r = await runHttpLoad({ url: server.url, connections: 4, requests: 200 });
    expect(r).toMatchObject({ requests: 200, errors: 0 });
  });

  it.each([
    ['an HTTP/1.0 server that closes after each response', 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'],
    ['a body delimited by the end of the connection', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'],
  ])('handles %s', async (_what, response) => {
    let seen = 0;
    const tcp = createTcpServer((socket) => {
      socket.once('data', () => {
        seen++;
        socket.end(response);
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      const r = await runHttpLoad({ url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, connections: 3, requests: 100 });
      expect(r).toMatchObject({ requests: 100, errors: 0 });
      expect(seen).toBe(100);
    } finally {
      await new Promise((r) => tcp.close(r));
    }
  });

  it('counts non-2xx responses as errors, by status', async () => {
    const server = await countingServer((n, _req, res) => {
      res.statusCode = n % 4 === 0 ? 500 : 200;
      res.end('x');
    });
    const r = await runHttpLoad({ url: server.url, connections: 1, requests: 400 });
    expect(r.requests).toBe(400);
    expect(r.errors).toBe(100);
    expect(r.errorKinds).toEqual({ 'HTTP 500': 100 });
  });

  it('counts connections the server drops mid-request as errors, and reconnects', async () => {
    const server = await countingServer((n, req, res) => {
      if (n % 5 === 0) req.socket.destroy();
      else res.end('x');
    });
    const r = await runHttpLoad({ url: server.url, connections: 4, requests: 500 });
    expect(server.seen()).toBe(500);
    expect(r.errors).toBe(100);
    expect(r.requests).toBe(400);
    // A destroyed socket closes (FIN) or resets, depending on what was still unread: both are named.
    expect(Object.keys(r.errorKinds!).every((k) => k === 'closed before the response' || k === 'reset')).toBe(true);
    expect(Object.values(r.errorKinds!).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('counts a request without an answer within 2 s as a timeout error', async () => {
    const server = await countingServer((n, _req, res) => {
      if (n !== 2) res.end('x');
    });
    const r = await runHttpLoad({ url: server.url, connections: 1, requests: 5 });
    expect(r).toMatchObject({ requests: 4, errors: 1, errorKinds: { timeout: 1 } });
  });

  it('stops promptly on abort and returns the partial result', async () => {
    const server = await countingServer(ok);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const r = await runHttpLoad({ url: server.url, connections: 4, durationSeconds: 60, signal: controller.signal });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.durationSeconds).toBeLessThan(30);
    expect(server.seen()).toBeGreaterThanOrEqual(r.requests);
  });

  it('fails with an environment error when nothing listens on the port', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise((r) => tcp.close(r));
    const err = await runHttpLoad({ url: `http://127.0.0.1:${port}/`, connections: 2, durationSeconds: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).code).toBe('environment');
    expect((err as NetprobeError).message).toContain(`127.0.0.1:${port}`);
  });

  it.each([
    'http://10.1.2.3:8080/',
    'http://192.168.0.1/',
    'http://example.com/',
    'http://0.0.0.0:8080/',
    'http://[2001:db8::1]/',
    'https://127.0.0.1/',
    'not a url',
  ])('refuses %s with a usage error before sending anything', async (url) => {
    const err = await runHttpLoad({ url, connections: 1, requests: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).code).toBe('usage');
  });

  it('rejects bounds that are not positive', async () => {
    for (const bad of [{ connections: 0 }, { connections: 1, requests: 0 }, { connections: 1, durationSeconds: -1 }]) {
      const err = await runHttpLoad({ url: 'http://127.0.0.1:1/', ...bad }).catch((e: unknown) => e);
      expect((err as NetprobeError).code).toBe('usage');
    }
  });
});

describe('loopbackTarget', () => {
  it('accepts 127.0.0.0/8, ::1 and localhost, and keeps path and Host', async () => {
    expect(await loopbackTarget('http://127.1.2.3:81/a?b=c')).toEqual({ address: '127.1.2.3', port: 81, path: '/a?b=c', hostHeader: '127.1.2.3:81' });
    expect(await loopbackTarget('http://[::1]:8080/')).toMatchObject({ address: '::1', port: 8080, hostHeader: '[::1]:8080' });
    expect(await loopbackTarget('http://127.0.0.1/')).toMatchObject({ port: 80, path: '/' });
    const local = await loopbackTarget('http://localhost:9/');
    expect(['127.0.0.1', '::1']).toContain(local.address);
    expect(local.hostHeader).toBe('localhost:9');
  });
});
