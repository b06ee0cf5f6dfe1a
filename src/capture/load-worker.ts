// The built-in load generator's client loop, run in a worker thread so netprobe's main thread stays free.
// HTTP/1.1 keep-alive over raw sockets, one request in flight per connection (no pipelining); each response
// is framed as it arrives by http-response.ts, so none is ever buffered whole, and its latency recorded in
// latency-histogram.ts. Started by load-http.ts; talks to it only through messages.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { HttpResponseParser } from './http-response.js';
import { LatencyHistogram } from './latency-histogram.js';

export const WORKER_KIND = 'netprobe-http-load';

export interface WorkerConfig {
  kind: typeof WORKER_KIND;
  /** Already-validated loopback address and port. */
  host: string;
  port: number;
  /** The complete request bytes, sent as they are for every request. */
  request: Uint8Array;
  connections: number;
  /** Stop after this long (ms); null when bounded by requests only. */
  durationMs: number | null;
  /** Stop after this many requests in total; null when bounded by duration only. */
  requests: number | null;
}

export type ParentMessage = { type: 'stop' };

export type WorkerMessage =
  | { type: 'progress'; requests: number; elapsedSeconds: number }
  | { type: 'done'; result: WorkerResult };

export interface WorkerResult {
  requests: number;
  errors: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** The errors by kind (`connect refused`, `reset`, `timeout`, `HTTP 503`, ...); sums to `errors`. */
  errorKinds: Record<string, number>;
  elapsedSeconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  /** Set when no connection was ever accepted: the message of the first connect error. */
  neverConnected: string | null;
}

/** Like wrk's default: a request without a complete response after this long counts as an error. */
const REQUEST_TIMEOUT_MS = 2000;
/** Waits this long before reconnecting after a failed connect, so a dead target does not spin a core. */
const RECONNECT_DELAY_MS = 100;
const PROGRESS_INTERVAL_MS = 1000;

/** One keep-alive connection and the response arriving on it. */
class Connection {
  socket: Socket | null = null;
  connecting = false;
  inFlight = false;
  sentAt = 0;
  /** Set while the run is closing this socket on purpose, so its close is not counted. */
  dropping = false;
  readonly response = new HttpResponseParser();
}

/** The connection loop; exported so tests can run it in-process. */
export class LoadLoop {
  private readonly conns: Connection[] = [];
  private readonly histogram = new LatencyHistogram();
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly request: Buffer;
  private completed = 0;
  private issued = 0;
  private non2xx = 0;
  private socketErrors = 0;
  private timeouts = 0;
  private readonly errorKinds = new Map<string, number>();
  private startedAt = 0;
  private finished = false;
  private everConnected = false;
  private firstConnectError: string | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly config: WorkerConfig, private readonly post: (m: WorkerMessage) => void) {
    this.request = Buffer.from(config.request);
  }

  start(): void {
    this.startedAt = performance.now();
    for (let i = 0; i < this.config.connections; i++) {
      const c = new Connection();
      this.conns.push(c);
      this.open(c);
    }
    if (this.config.durationMs !== null) this.timers.push(setTimeout(() => this.finish(), this.config.durationMs));
    this.timers.push(setInterval(() => this.checkTimeouts(), 100));
    this.timers.push(
      setInterval(() => {
        this.post({ type: 'progress', requests: this.completed, elapsedSeconds: this.elapsedSeconds() });
      }, PROGRESS_INTERVAL_MS),
    );
  }

  private elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  private open(c: Connection): void {
    c.connecting = true;
    c.dropping = false;
    c.inFlight = false;
    c.response.reset();
    // onread reuses one buffer for every read: no allocation per chunk, and each chunk is parsed synchronously.
    const socket = connect({
      host: this.config.host,
      port: this.config.port,
      noDelay: true,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (c.socket === socket) this.onData(c, buf, n);
          return true;
        },
      },
    });
    c.socket = socket;
    socket.on('connect', () => {
      c.connecting = false;
      this.everConnected = true;
      this.send(c);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (c.socket !== socket || c.dropping || this.finished) return;
      if (c.connecting && !this.everConnected && this.firstConnectError === null) {
        this.firstConnectError = err.message;
      }
      if (c.connecting || c.inFlight) {
        this.socketErrors++;
        this.countError(socketErrorKind(err, c.connecting));
      }
      c.inFlight = false;
    });
    socket.on('close', () => this.onClose(c, socket));
  }

  private onClose(c: Connection, socket: Socket): void {
    if (c.socket !== socket) return;
    c.socket = null;
    if (this.finished || c.dropping) return;
    const failedConnect = c.connecting;
    if (c.inFlight) {
      if (c.response.endsAtClose) this.complete(c);
      else {
        this.socketErrors++;
        this.countError('closed before the response');
      }
      c.inFlight = false;
    }
    if (failedConnect && !this.everConnected) {
      // Connection refused before anything ever accepted: nothing listens there; stop rather than spin.
      this.finish();
      return;
    }
    if (!this.canSend()) {
      this.maybeFinishByCount();
      return;
    }
    if (failedConnect) {
      const t = setTimeout(() => {
        if (!this.finished) this.open(c);
      }, RECONNECT_DELAY_MS);
      this.timers.push(t);
    } else {
      this.open(c);
    }
  }

  private canSend(): boolean {
    return !this.finished && (this.config.requests === null || this.issued < this.config.requests);
  }

  private send(c: Connection): void {
    if (!this.canSend() || c.socket === null) {
      this.maybeFinishByCount();
      return;
    }
    this.issued++;
    c.inFlight = true;
    c.response.reset();
    c.sentAt = performance.now();
    c.socket.write(this.request);
  }

  private maybeFinishByCount(): void {
    if (this.finished || this.config.requests === null || this.issued < this.config.requests) return;
    for (const c of this.conns) if (c.inFlight) return;
    this.finish();
  }

  private checkTimeouts(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.inFlight && now - c.sentAt > REQUEST_TIMEOUT_MS && c.socket !== null) {
        this.timeouts++;
        this.countError('timeout');
        c.inFlight = false;
        const s = c.socket;
        c.dropping = true;
        c.socket = null;
        s.destroy();
        if (this.canSend()) this.open(c);
        else this.maybeFinishByCount();
      }
    }
  }

  private complete(c: Connection): void {
    this.histogram.record((performance.now() - c.sentAt) * 1000);
    this.completed++;
    const status = c.response.status;
    if (status < 200 || status > 299) {
      this.non2xx++;
      this.countError(status === 0 ? 'unreadable status line' : `HTTP ${status}`);
    }
    c.inFlight = false;
  }

  private countError(kind: string): void {
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  /** Parses buf[0, n) for connection c; sends the next request when a response completes. */
  private onData(c: Connection, buf: Uint8Array, n: number): void {
    let i = 0;
    // Once nothing is in flight, the rest are bytes nobody asked for (e.g. after a timeout): the socket is going away.
    while (i < n && c.inFlight) {
      const end = c.response.execute(buf, i, n);
      if (end < 0) return;
      i = end;
      this.responseDone(c);
    }
  }

  private responseDone(c: Connection): void {
    const closing = c.response.closeAfter;
    this.complete(c);
    c.response.reset();
    if (closing) {
      // The server said it will close: reconnect now rather than send into a closing socket.
      const s = c.socket;
      if (s !== null) {
        c.dropping = true;
        c.socket = null;
        s.destroy();
      }
      if (this.canSend()) this.open(c);
      else this.maybeFinishByCount();
      return;
    }
    this.send(c);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const elapsedSeconds = this.elapsedSeconds();
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.conns) {
      const s = c.socket;
      c.dropping = true;
      c.socket = null;
      s?.destroy();
    }
    const h = this.histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    this.post({
      type: 'done',
      result: {
        requests: this.completed,
        errors: this.non2xx + this.socketErrors + this.timeouts,
        non2xx: this.non2xx,
        socketErrors: this.socketErrors,
        timeouts: this.timeouts,
        errorKinds: Object.fromEntries(this.errorKinds),
        elapsedSeconds,
        latencyMs:
          h.count === 0
            ? null
            : { p50: ms(h.quantileUs(0.5)), p90: ms(h.quantileUs(0.9)), p99: ms(h.quantileUs(0.99)), max: ms(h.maxMicroseconds) },
        neverConnected: this.everConnected ? null : (this.firstConnectError ?? 'no connection was accepted'),
      },
    });
  }
}

// Node's error codes in the words a reader of the summary expects; anything else keeps its code.
const SOCKET_ERROR_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connect refused',
  ECONNRESET: 'reset',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'TCP timeout',
  EADDRNOTAVAIL: 'no local port free',
};

function socketErrorKind(err: NodeJS.ErrnoException, connecting: boolean): string {
  const words = err.code === undefined ? undefined : SOCKET_ERROR_WORDS[err.code];
  if (words) return words;
  return `${connecting ? 'connect failed' : 'socket error'} (${err.code ?? err.message})`;
}

if (parentPort !== null && (workerData as WorkerConfig | undefined)?.kind === WORKER_KIND) {
  const port = parentPort;
  const loop = new LoadLoop(workerData as WorkerConfig, (m) => port.postMessage(m));
  port.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') loop.finish();
  });
  loop.start();
}
