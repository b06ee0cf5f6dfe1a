// The built-in load generator's client loop, run in a worker thread so netprobe's main thread stays free.
// HTTP/1.1 keep-alive over raw sockets, one request in flight per connection (no pipelining), responses
// parsed byte by byte as they arrive (status line, Content-Length, chunked, or body-until-close) so no
// response is ever buffered whole, latencies recorded in latency-histogram.ts. Started by load-http.ts;
// talks to it only through messages.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
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

// Response parser states.
const HEAD = 0;
const BODY_LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const TRAILERS = 4;
const BODY_UNTIL_CLOSE = 5;

// Header names we act on, lower case, with the colon.
const CONTENT_LENGTH = Buffer.from('content-length:');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding:');
const CONNECTION = Buffer.from('connection:');
const CHUNKED = Buffer.from('chunked');
const CLOSE = Buffer.from('close');

const NAME_NONE = 0;
const NAME_CL = 1;
const NAME_TE = 2;
const NAME_CONN = 3;

/** One keep-alive connection and its incremental response parser; fields are plain numbers to stay monomorphic. */
class Connection {
  socket: Socket | null = null;
  connecting = false;
  inFlight = false;
  sentAt = 0;
  /** Set while the run is closing this socket on purpose, so its close is not counted. */
  dropping = false;
  state = HEAD;
  // Head parsing.
  lineLen = 0;
  lineNo = 0;
  status = 0;
  /** Which interesting header name the current line may still be (bit set), then which one it is. */
  nameCandidates = 0;
  valueOf = NAME_NONE;
  valueMatch = 0;
  contentLength = -1;
  chunked = false;
  closeAfter = false;
  // Body parsing.
  remaining = 0;
  chunkSizeDigits = 0;
  inChunkExt = false;

  resetHead(): void {
    this.state = HEAD;
    this.lineLen = 0;
    this.lineNo = 0;
    this.status = 0;
    this.nameCandidates = 0;
    this.valueOf = NAME_NONE;
    this.valueMatch = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.closeAfter = false;
  }
}

class LoadLoop {
  private readonly conns: Connection[] = [];
  private readonly histogram = new LatencyHistogram();
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly request: Buffer;
  private completed = 0;
  private issued = 0;
  private non2xx = 0;
  private socketErrors = 0;
  private timeouts = 0;
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
    c.resetHead();
    // onread reuses one buffer for every read: no allocation per chunk, and each chunk is parsed synchronously.
    const socket = connect({
      host: this.config.host,
      port: this.config.port,
      noDelay: true,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (c.socket === socket) this.onData(c, buf as Buffer, n);
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
      if (c.connecting || c.inFlight) this.socketErrors++;
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
      if (c.state === BODY_UNTIL_CLOSE) this.complete(c);
      else this.socketErrors++;
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
    c.resetHead();
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
    if (c.status < 200 || c.status > 299) this.non2xx++;
    c.inFlight = false;
  }

  /** Parses buf[0, n) for connection c; sends the next request when a response completes. */
  private onData(c: Connection, buf: Buffer, n: number): void {
    if (!c.inFlight) return; // bytes nobody asked for (e.g. after a timeout); the socket is going away
    let i = 0;
    while (i < n) {
      switch (c.state) {
        case HEAD:
          i = this.parseHead(c, buf, i, n);
          break;
        case BODY_LENGTH: {
          const take = Math.min(c.remaining, n - i);
          c.remaining -= take;
          i += take;
          if (c.remaining === 0) {
            this.responseDone(c);
            if (!c.inFlight) return;
          }
          break;
        }
        case CHUNK_SIZE:
          i = this.parseChunkSize(c, buf, i, n);
          break;
        case CHUNK_DATA: {
          const take = Math.min(c.remaining, n - i);
          c.remaining -= take;
          i += take;
          if (c.remaining === 0) {
            c.state = CHUNK_SIZE; // the CRLF after the data reads as an empty size line, skipped there
            c.chunkSizeDigits = -1;
          }
          break;
        }
        case TRAILERS:
          i = this.parseTrailers(c, buf, i, n);
          if (!c.inFlight) return;
          break;
        default: // BODY_UNTIL_CLOSE: everything up to the close is body
          i = n;
      }
      if (!c.inFlight) return;
    }
  }

  /** Byte-level head parser; returns the index after what it consumed. */
  private parseHead(c: Connection, buf: Buffer, start: number, n: number): number {
    for (let i = start; i < n; i++) {
      const b = buf[i]!;
      if (b === 13) continue; // lines end in CRLF; a lone LF is accepted too
      if (b === 10) {
        if (c.lineLen === 0 && c.lineNo > 0) {
          this.headDone(c);
          return i + 1;
        }
        c.lineNo++;
        c.lineLen = 0;
        c.nameCandidates = 0b111;
        c.valueOf = NAME_NONE;
        c.valueMatch = 0;
        continue;
      }
      const pos = c.lineLen++;
      if (c.lineNo === 0) {
        // "HTTP/1.1 200 OK": the status code is bytes 9..11. An HTTP/1.0 server closes after each response.
        if (pos >= 9 && pos <= 11 && b >= 48 && b <= 57) c.status = c.status * 10 + (b - 48);
        else if (pos === 7 && b === 48) c.closeAfter = true;
        continue;
      }
      if (c.valueOf !== NAME_NONE) {
        this.headerValueByte(c, b);
        continue;
      }
      if (c.nameCandidates === 0) continue;
      const lower = b >= 65 && b <= 90 ? b | 0x20 : b;
      const matched = matchHeaderNames(c, pos, lower);
      if (matched !== NAME_NONE) {
        c.valueOf = matched;
        if (matched === NAME_CL) c.contentLength = 0;
      }
    }
    return n;
  }

  private headerValueByte(c: Connection, b: number): void {
    const lower = b >= 65 && b <= 90 ? b | 0x20 : b;
    if (c.valueOf === NAME_CL) {
      if (b >= 48 && b <= 57) c.contentLength = c.contentLength * 10 + (b - 48);
      return;
    }
    const word = c.valueOf === NAME_TE ? CHUNKED : CLOSE;
    if (c.valueMatch === word.length) return;
    if (lower === word[c.valueMatch]) c.valueMatch++;
    else c.valueMatch = lower === word[0] ? 1 : 0;
    if (c.valueMatch === word.length) {
      if (c.valueOf === NAME_TE) c.chunked = true;
      else c.closeAfter = true;
    }
  }

  private headDone(c: Connection): void {
    const status = c.status;
    if (status >= 100 && status < 200) {
      c.resetHead(); // informational (100 Continue): the real response follows
      return;
    }
    if (status === 204 || status === 304) {
      this.responseDone(c);
    } else if (c.chunked) {
      c.state = CHUNK_SIZE;
      c.remaining = 0;
      c.chunkSizeDigits = 0;
      c.inChunkExt = false;
    } else if (c.contentLength >= 0) {
      if (c.contentLength === 0) this.responseDone(c);
      else {
        c.state = BODY_LENGTH;
        c.remaining = c.contentLength;
      }
    } else {
      c.state = BODY_UNTIL_CLOSE;
    }
  }

  /**
   * Reads a chunk-size line ("1a;ext\r\n"). chunkSizeDigits = -1 means the CRLF that ends the previous
   * chunk's data comes first.
   */
  private parseChunkSize(c: Connection, buf: Buffer, start: number, n: number): number {
    for (let i = start; i < n; i++) {
      const b = buf[i]!;
      if (b === 10) {
        if (c.chunkSizeDigits === -1) {
          c.chunkSizeDigits = 0;
          continue;
        }
        if (c.remaining === 0) {
          c.state = TRAILERS;
          c.lineLen = 0;
        } else {
          c.state = CHUNK_DATA;
        }
        c.chunkSizeDigits = 0;
        c.inChunkExt = false;
        return i + 1;
      }
      if (c.chunkSizeDigits === -1 || c.inChunkExt || b === 13) continue;
      if (b === 59 /* ; */) {
        c.inChunkExt = true;
        continue;
      }
      const d = hexDigit(b);
      if (d >= 0) {
        c.remaining = c.remaining * 16 + d;
        c.chunkSizeDigits++;
      }
    }
    return n;
  }

  /** After the last chunk: trailer lines until an empty one. */
  private parseTrailers(c: Connection, buf: Buffer, start: number, n: number): number {
    for (let i = start; i < n; i++) {
      const b = buf[i]!;
      if (b === 13) continue;
      if (b === 10) {
        if (c.lineLen === 0) {
          this.responseDone(c);
          return i + 1;
        }
        c.lineLen = 0;
      } else {
        c.lineLen++;
      }
    }
    return n;
  }

  private responseDone(c: Connection): void {
    const closing = c.closeAfter;
    this.complete(c);
    c.resetHead();
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

const HEADER_NAMES: readonly [bit: number, name: Buffer, which: number][] = [
  [0b001, CONTENT_LENGTH, NAME_CL],
  [0b010, TRANSFER_ENCODING, NAME_TE],
  [0b100, CONNECTION, NAME_CONN],
];

/** Advances the case-insensitive match of the line start against the names we act on; returns a full match. */
function matchHeaderNames(c: Connection, pos: number, lower: number): number {
  for (const [bit, name, which] of HEADER_NAMES) {
    if ((c.nameCandidates & bit) === 0) continue;
    if (name[pos] !== lower) {
      c.nameCandidates &= ~bit;
    } else if (pos === name.length - 1) {
      c.nameCandidates = 0;
      return which;
    }
  }
  return NAME_NONE;
}

function hexDigit(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

if (parentPort !== null && (workerData as WorkerConfig | undefined)?.kind === WORKER_KIND) {
  const port = parentPort;
  const loop = new LoadLoop(workerData as WorkerConfig, (m) => port.postMessage(m));
  port.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') loop.finish();
  });
  loop.start();
}
