// Idle HTTP/1.1 keep-alive connections to a loopback server, for the memory-per-idle-connection measurement:
// each connection makes one request (so the server has set up its per-connection state: a goroutine, a
// thread, a buffer) and then stays open, silent, until close().
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForPort } from './ready.js';
import { startTarget, treeResidentBytes } from './target.js';

/** Time for the server to set up per-connection state before the second RSS reading. */
const IDLE_SETTLE_MS = 500;

export interface IdleConnectionsOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Path requested once on each connection (default `/`). */
  path?: string;
  count: number;
  /** Connections set up at the same time, so the listen backlog is not overrun (default 64). */
  batch?: number;
  /** Give up on one connection after this long (default 5000 ms). */
  timeoutMs?: number;
}

export interface IdleConnections {
  /** Connections that completed their request and are now idle. */
  opened: number;
  /** Connections that failed or timed out (counted, not fatal: the measurement divides by `opened`). */
  failed: number;
  close(): Promise<void>;
}

/** Opens `count` keep-alive connections that each made one request and now sit idle. */
export async function openIdleConnections(options: IdleConnectionsOptions): Promise<IdleConnections> {
  const host = options.host ?? '127.0.0.1';
  const batch = options.batch ?? 64;
  const request = `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${host}:${options.port}\r\nConnection: keep-alive\r\n\r\n`;
  const sockets: Socket[] = [];
  let failed = 0;
  for (let start = 0; start < options.count; start += batch) {
    const n = Math.min(batch, options.count - start);
    const results = await Promise.all(Array.from({ length: n }, () => oneIdle(host, options.port, request, options.timeoutMs ?? 5000)));
    for (const s of results) {
      if (s) sockets.push(s);
      else failed++;
    }
  }
  return {
    opened: sockets.length,
    failed,
    close: async () => {
      await Promise.all(
        sockets.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.destroyed) return resolve();
              s.once('close', () => resolve());
              s.destroy();
            }),
        ),
      );
    },
  };
}

// Resolves with the socket once the response head has arrived, or null on error/timeout (socket destroyed).
function oneIdle(host: string, port: number, request: string, timeoutMs: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = '';
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('error');
      // Late errors (the server closing idle connections) must not crash the process.
      socket.on('error', () => {});
      if (!ok) socket.destroy();
      resolve(ok ? socket : null);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

export interface IdleMemory {
  /** Idle connections held open for the measurement (0 = not measured). */
  opened: number;
  /** (RSS with the idle connections - RSS before) / opened, in bytes; null when unknown. */
  bytesPerConnection: number | null;
}

export interface IdleMemoryOptions {
  /** A command to start afresh, untraced, for the measurement; or the running process to measure in place. */
  command?: string[];
  pid?: number;
  port: number;
  count: number;
  path: string;
  signal?: AbortSignal;
}

/**
 * Resident memory with N idle keep-alive connections minus without, per connection. A command is started
 * again untraced for this (the traced one is gone); an attached pid is measured in place.
 */
export async function measureIdleMemory(options: IdleMemoryOptions): Promise<IdleMemory> {
  const started = options.command ? await startTarget(options.command) : undefined;
  const pid = started?.process.pid ?? options.pid!;
  try {
    if (started) await waitForPort(options.port, { timeoutMs: 30_000, signal: options.signal, isAlive: () => !started.process.hasExited });
    const before = await treeResidentBytes(pid);
    const idle = await openIdleConnections({ port: options.port, count: options.count, path: options.path });
    try {
      await sleep(IDLE_SETTLE_MS);
      const after = await treeResidentBytes(pid);
      const bytesPerConnection = before !== undefined && after !== undefined && idle.opened > 0 ? (after - before) / idle.opened : null;
      return { opened: idle.opened, bytesPerConnection };
    } finally {
      await idle.close();
    }
  } finally {
    await started?.process.stop();
  }
}

/** The soft limit on open files of this process (the target inherits it), from /proc/self/limits. */
export async function openFileLimit(): Promise<number> {
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m) return 1024;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}
