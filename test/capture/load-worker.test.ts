// The connection loop run in-process (load-http.test.ts runs it in its worker thread): responses that
// trickle in over many reads, informational responses first, trailers, and answers counted as errors.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LoadLoop, WORKER_KIND, type WorkerResult } from '../../src/capture/load-worker.js';

/** Answers every request on every connection with `response`, written a few bytes at a time. */
async function tricklingServer(response: string, pieceBytes: number) {
  let seen = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending = '';
    // Responses go out in pieces, one at a time; a chain keeps them in order across data events.
    let sending = Promise.resolve();
    socket.on('data', (data) => {
      sending = sending.then(() => respond(data));
    });
    const respond = async (data: Buffer) => {
      pending += data.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        seen++;
        for (let at = 0; at < response.length && !socket.destroyed; at += pieceBytes) {
          socket.write(response.slice(at, at + pieceBytes), 'latin1');
          await sleep(1);
        }
      }
    };
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen: () => seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

function runLoop(port: number, connections: number, requests: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const config = { kind: WORKER_KIND, host: '127.0.0.1', port, request, connections, durationMs: null, requests } as const;
    new LoadLoop(config, (m) => m.type === 'done' && resolve(m.result)).start();
  });
}

describe('LoadLoop', () => {
  it.each([
    ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world'],
    ['100 Continue, then chunks and trailers', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n'],
  ])('counts responses split over many reads (%s)', async (_what, response) => {
    const server = await tricklingServer(response, 3);
    try {
      const r = await runLoop(server.port, 2, 20);
      expect(r).toMatchObject({ requests: 20, errors: 0, neverConnected: null });
      expect(server.seen()).toBe(20);
    } finally {
      await server.close();
    }
  });

  it('counts an answer with a malformed status line as a non-2xx error', async () => {
    const server = await tricklingServer('garbage\r\nContent-Length: 2\r\n\r\nok', 100);
    try {
      const r = await runLoop(server.port, 1, 5);
      expect(r).toMatchObject({ requests: 5, errors: 5, non2xx: 5 });
    } finally {
      await server.close();
    }
  });

  it('says what the errors were: an HTTP status, a reset, a close before the response', async () => {
    // Request n on the server: 0 answered 200, 1 answered 503, 2 closed unanswered, 3 reset (RST); repeat.
    let n = 0;
    const server = createServer((socket) => {
      socket.on('data', () => {
        const kind = n++ % 4;
        if (kind === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else if (kind === 1) socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
        else if (kind === 2) socket.end();
        else socket.resetAndDestroy();
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await runLoop((server.address() as AddressInfo).port, 1, 20);
      expect(r).toMatchObject({ requests: 10, errors: 15, non2xx: 5, socketErrors: 10 });
      expect(r.errorKinds).toEqual({ 'HTTP 503': 5, 'closed before the response': 5, reset: 5 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('counts connects refused once the server stops listening', async () => {
    const server = createServer((socket) => {
      // At the first request: stop listening, then drop the connection; every reconnect is refused.
      socket.once('data', () => {
        server.close();
        socket.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const r = await new Promise<WorkerResult>((resolve) => {
      const config = { kind: WORKER_KIND, host: '127.0.0.1', port, request: Buffer.from('GET / HTTP/1.1\r\n\r\n'), connections: 1, durationMs: 600, requests: null } as const;
      new LoadLoop(config, (m) => m.type === 'done' && resolve(m.result)).start();
    });
    expect(r.errorKinds.reset).toBe(1);
    expect(r.errorKinds['connect refused']).toBeGreaterThanOrEqual(3);
    expect(Object.values(r.errorKinds).reduce((a, b) => a + b, 0)).toBe(r.errors);
  });
});
