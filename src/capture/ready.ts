// Readiness (`--port`): the target is ready once it accepts TCP connections on the port.
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetprobeError } from '../model/errors.js';

export interface WaitForPortOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Aborting stops waiting with an `interrupted` error. */
  signal?: AbortSignal;
  /** Checked before every attempt; false means the target exited, so waiting longer is pointless. */
  isAlive?: () => boolean;
  /** Pause between refused attempts (default 50 ms). */
  intervalMs?: number;
}

/** Resolves once host:port accepts a connection; throws a NetprobeError saying why it never did. */
export async function waitForPort(port: number, opts: WaitForPortOptions = {}): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) {
      throw new NetprobeError('interrupted', `interrupted while waiting for ${host}:${port}`);
    }
    if (opts.isAlive && !opts.isAlive()) {
      throw new NetprobeError('environment', `target exited before accepting connections on ${host}:${port}`, {
        hint: 'Run the target by hand to see why it stops, and check that --port is the port it listens on.',
      });
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new NetprobeError('environment', `target did not accept connections on ${host}:${port} within ${formatSeconds(timeoutMs)}`, {
        hint: `Check that the target listens on ${host}:${port} (--port), or that it is not still starting up.`,
      });
    }
    if (await accepts(host, port, Math.min(left, 1000))) return;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), undefined, { signal: opts.signal }).catch(() => {});
  }
}

/** One connection attempt, bounded by attemptMs (a dropped SYN would otherwise wait for the kernel's retries). */
function accepts(host: string, port: number, attemptMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), attemptMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A port nobody listens on right now (the kernel's choice), for a server that needs its port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
