// The built-in HTTP/1.1 keep-alive load generator (`--load URL`): validates the target, runs the client
// loop of load-worker.ts in a worker thread and turns its counts into a LoadResult.
import { existsSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { Worker } from 'node:worker_threads';
import { NetprobeError } from '../model/errors.js';
import type { LoadResult } from '../model/run.js';
import { WORKER_KIND, type ParentMessage, type WorkerConfig, type WorkerMessage, type WorkerResult } from './load-worker.js';

export interface HttpLoadOptions {
  /** http://127.0.0.1:PORT/path; only loopback hosts are accepted. */
  url: string;
  /** Keep-alive connections, each with one request in flight. */
  connections: number;
  /** Stop after this many seconds (default 5 when neither this nor `requests` is given). */
  durationSeconds?: number;
  /** Stop after exactly this many requests have been sent and answered (or failed). */
  requests?: number;
  /** Aborting stops the load promptly; the partial result is returned. */
  signal?: AbortSignal;
  /** About once a second; `requestsPerSecond` is the rate over the last interval. */
  onProgress?: (p: { requests: number; elapsedSeconds: number; requestsPerSecond: number }) => void;
}

const DEFAULT_DURATION_SECONDS = 5;

/** Drives HTTP load against a loopback URL and reports requests, errors, throughput and latency. */
export async function runHttpLoad(opts: HttpLoadOptions): Promise<LoadResult> {
  validateBounds(opts);
  const target = await loopbackTarget(opts.url);
  const bySeconds = opts.durationSeconds ?? (opts.requests === undefined ? DEFAULT_DURATION_SECONDS : undefined);
  const config: WorkerConfig = {
    kind: WORKER_KIND,
    host: target.address,
    port: target.port,
    request: Buffer.from(`GET ${target.path} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nUser-Agent: netprobe\r\nAccept: */*\r\n\r\n`, 'latin1'),
    connections: opts.connections,
    durationMs: bySeconds === undefined ? null : Math.round(bySeconds * 1000),
    requests: opts.requests ?? null,
  };
  if (opts.signal?.aborted) return toLoadResult(emptyResult(), opts.connections);
  const result = await runWorker(config, opts);
  if (result.neverConnected !== null) {
    throw new NetprobeError('environment', `nothing accepted connections on ${target.address}:${target.port} (${result.neverConnected})`, {
      hint: 'Start the server first, or pass --port so netprobe waits until it listens.',
    });
  }
  return toLoadResult(result, opts.connections);
}

function validateBounds(opts: HttpLoadOptions): void {
  if (!Number.isInteger(opts.connections) || opts.connections <= 0) {
    throw new NetprobeError('usage', `Expected \`--connections\` to be a positive whole number, got \`${opts.connections}\``);
  }
  if (opts.durationSeconds !== undefined && !(opts.durationSeconds > 0)) {
    throw new NetprobeError('usage', `Expected \`--duration\` to be a positive number of seconds, got \`${opts.durationSeconds}\``);
  }
  if (opts.requests !== undefined && (!Number.isInteger(opts.requests) || opts.requests <= 0)) {
    throw new NetprobeError('usage', `Expected \`--requests\` to be a positive whole number, got \`${opts.requests}\``);
  }
}

interface LoopbackTarget {
  /** The IP address connected to. */
  address: string;
  port: number;
  path: string;
  hostHeader: string;
}

/**
 * Refuses anything but this machine: netprobe generates load as fast as it can, which must never
 * reach someone else's server by a typo.
 */
export async function loopbackTarget(url: string): Promise<LoopbackTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NetprobeError('usage', `Expected \`--load\` to be a URL like http://127.0.0.1:8080/, got \`${url}\``);
  }
  if (parsed.protocol !== 'http:') {
    throw new NetprobeError('usage', `the built-in load generator speaks plain HTTP only, got \`${parsed.protocol}\` in \`${url}\``, {
      hint: 'Use an http:// URL, or drive TLS load with an external tool via --load-cmd.',
    });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const refuse = (why: string) =>
    new NetprobeError('usage', `refusing to load ${url}: ${why}`, {
      hint: 'The built-in load generator only targets this machine (127.0.0.0/8, localhost or ::1); use --load-cmd for anything else.',
    });
  let address: string;
  if (isIP(host) !== 0) {
    if (!isLoopback(host)) throw refuse(`${host} is not a loopback address`);
    address = host;
  } else if (host.toLowerCase() === 'localhost') {
    address = await resolveLocalhost(refuse);
  } else {
    throw refuse(`${host} is not a loopback address`);
  }
  return {
    address,
    port: parsed.port === '' ? 80 : Number(parsed.port),
    path: `${parsed.pathname}${parsed.search}`,
    hostHeader: parsed.host,
  };
}

function isLoopback(ip: string): boolean {
  return isIPv4(ip) ? ip.startsWith('127.') : ip === '::1';
}

// /etc/hosts decides what localhost is; resolve it once, keep it only if it is loopback, and prefer IPv4
// because servers usually bind 127.0.0.1 (all the example servers do).
async function resolveLocalhost(refuse: (why: string) => NetprobeError): Promise<string> {
  const addresses = await lookup('localhost', { all: true }).catch(() => [] as { address: string }[]);
  const loopback = addresses.map((a) => a.address).filter(isLoopback);
  if (loopback.length === 0) throw refuse('localhost does not resolve to a loopback address here');
  return loopback.find((a) => isIPv4(a)) ?? loopback[0]!;
}

function runWorker(config: WorkerConfig, opts: HttpLoadOptions): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl(), { workerData: config });
    let last = { requests: 0, elapsedSeconds: 0 };
    let settled = false;
    const stop = () => worker.postMessage({ type: 'stop' } satisfies ParentMessage);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', stop);
      void worker.terminate();
      fn();
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        const dt = m.elapsedSeconds - last.elapsedSeconds;
        opts.onProgress?.({
          requests: m.requests,
          elapsedSeconds: m.elapsedSeconds,
          requestsPerSecond: dt > 0 ? (m.requests - last.requests) / dt : 0,
        });
        last = m;
      } else {
        settle(() => resolve(m.result));
      }
    });
    worker.on('error', (cause) =>
      settle(() => reject(new NetprobeError('environment', `the built-in load generator failed: ${cause.message}`, { cause }))),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new NetprobeError('environment', `the built-in load generator stopped unexpectedly (exit code ${code})`))),
    );
  });
}

// Workers need compiled JavaScript. From dist/ the worker sits next to this module; when this module
// runs from src/ (vitest transpiles TypeScript on the fly) the compiled copy in dist/ is used instead.
function workerUrl(): URL {
  const sibling = new URL('./load-worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  const built = new URL('../../dist/capture/load-worker.js', import.meta.url);
  if (existsSync(built)) return built;
  throw new NetprobeError('environment', 'the load generator worker (load-worker.js) is missing', {
    hint: 'Build netprobe first: `npm run build`.',
  });
}

function emptyResult(): WorkerResult {
  return { requests: 0, errors: 0, non2xx: 0, socketErrors: 0, timeouts: 0, errorKinds: {}, elapsedSeconds: 0, latencyMs: null, neverConnected: null };
}

function toLoadResult(r: WorkerResult, connections: number): LoadResult {
  return {
    requests: r.requests,
    errors: r.errors,
    errorKinds: r.errorKinds,
    durationSeconds: r.elapsedSeconds,
    requestsPerSecond: r.elapsedSeconds > 0 ? r.requests / r.elapsedSeconds : 0,
    ...(r.latencyMs === null ? {} : { latencyMs: r.latencyMs }),
    generator: 'builtin',
    connections,
  };
}
