// Where one HTTP/1.1 response ends, found byte by byte as reads arrive, for the load generator: the status
// code, whether the server will close, and the body's framing (Content-Length, chunked, or until close).
// Nothing is buffered or allocated per response, and bodies are skipped unread. It never throws: the load
// generator counts what a server answers rather than judging it (a status line without a code at bytes
// 9..11 gives status 0, a non-2xx answer). Framing is RFC 9112's message body length, as far as answers to
// GET need it: https://www.rfc-editor.org/rfc/rfc9112#section-6.3
//
//   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"            -> complete, status 200
//   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
//     + "2\r\nok\r\n0\r\n\r\n"                                   -> complete, status 200
//   "HTTP/1.0 200 OK\r\n\r\nbody..."                              -> complete when the connection closes

// Parser states.
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

const HEADER_NAMES: readonly [bit: number, name: Buffer, which: number][] = [
  [0b001, CONTENT_LENGTH, NAME_CL],
  [0b010, TRANSFER_ENCODING, NAME_TE],
  [0b100, CONNECTION, NAME_CONN],
];

/** Incremental parser of one response at a time on a keep-alive connection; fields are plain numbers to stay monomorphic. */
export class HttpResponseParser {
  /** The status code of the response being parsed, or of the one `execute` just completed. */
  status = 0;
  /** The server will close after this response (`Connection: close`, or an HTTP/1.0 status line). */
  closeAfter = false;
  private state = HEAD;
  /** The last `execute` completed a response; the next one starts on a fresh response. */
  private done = false;
  // Head parsing.
  private lineLen = 0;
  private lineNo = 0;
  /** Which interesting header name the current line may still be (bit set), then which one it is. */
  private nameCandidates = 0;
  private valueOf = NAME_NONE;
  private valueMatch = 0;
  private contentLength = -1;
  private chunked = false;
  // Body parsing.
  private remaining = 0;
  private chunkSizeDigits = 0;
  private inChunkExt = false;

  /** Forgets any partial response: the next byte is the first of a status line. */
  reset(): void {
    this.state = HEAD;
    this.done = false;
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

  /** The response has neither a length nor chunks: it ends when the server closes the connection. */
  get endsAtClose(): boolean {
    return this.state === BODY_UNTIL_CLOSE;
  }

  /**
   * Reads buf[start, end). Returns the index just after the response's last byte when one completes there
   * (the rest belongs to the next response), or -1 when every byte was consumed and the response goes on.
   */
  execute(buf: Uint8Array, start: number, end: number): number {
    if (this.done) this.reset();
    let i = start;
    while (i < end) {
      switch (this.state) {
        case HEAD:
          i = this.parseHead(buf, i, end);
          break;
        case BODY_LENGTH: {
          const take = Math.min(this.remaining, end - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.done = true;
          break;
        }
        case CHUNK_SIZE:
          i = this.parseChunkSize(buf, i, end);
          break;
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, end - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.state = CHUNK_SIZE; // the CRLF after the data reads as an empty size line, skipped there
            this.chunkSizeDigits = -1;
          }
          break;
        }
        case TRAILERS:
          i = this.parseTrailers(buf, i, end);
          break;
        default: // BODY_UNTIL_CLOSE: everything up to the close is body
          i = end;
      }
      if (this.done) return i;
    }
    return -1;
  }

  /** Byte-level head parser; returns the index after what it consumed. */
  private parseHead(buf: Uint8Array, start: number, end: number): number {
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === 13) continue; // lines end in CRLF; a lone LF is accepted too
      if (b === 10) {
        if (this.lineLen === 0 && this.lineNo > 0) {
          this.headDone();
          return i + 1;
        }
        this.lineNo++;
        this.lineLen = 0;
        this.nameCandidates = 0b111;
        this.valueOf = NAME_NONE;
        this.valueMatch = 0;
        continue;
      }
      const pos = this.lineLen++;
      if (this.lineNo === 0) {
        // "HTTP/1.1 200 OK": the status code is bytes 9..11. An HTTP/1.0 server closes after each response.
        if (pos >= 9 && pos <= 11 && b >= 48 && b <= 57) this.status = this.status * 10 + (b - 48);
        else if (pos === 7 && b === 48) this.closeAfter = true;
        continue;
      }
      if (this.valueOf !== NAME_NONE) {
        this.headerValueByte(b);
        continue;
      }
      if (this.nameCandidates === 0) continue;
      const lower = b >= 65 && b <= 90 ? b | 0x20 : b;
      const matched = this.matchHeaderNames(pos, lower);
      if (matched !== NAME_NONE) {
        this.valueOf = matched;
        if (matched === NAME_CL) this.contentLength = 0;
      }
    }
    return end;
  }

  /** Advances the case-insensitive match of the line start against the names we act on; returns a full match. */
  private matchHeaderNames(pos: number, lower: number): number {
    for (const [bit, name, which] of HEADER_NAMES) {
      if ((this.nameCandidates & bit) === 0) continue;
      if (name[pos] !== lower) {
        this.nameCandidates &= ~bit;
      } else if (pos === name.length - 1) {
        this.nameCandidates = 0;
        return which;
      }
    }
    return NAME_NONE;
  }

  private headerValueByte(b: number): void {
    const lower = b >= 65 && b <= 90 ? b | 0x20 : b;
    if (this.valueOf === NAME_CL) {
      if (b >= 48 && b <= 57) this.contentLength = this.contentLength * 10 + (b - 48);
      return;
    }
    const word = this.valueOf === NAME_TE ? CHUNKED : CLOSE;
    if (this.valueMatch === word.length) return;
    if (lower === word[this.valueMatch]) this.valueMatch++;
    else this.valueMatch = lower === word[0] ? 1 : 0;
    if (this.valueMatch === word.length) {
      if (this.valueOf === NAME_TE) this.chunked = true;
      else this.closeAfter = true;
    }
  }

  private headDone(): void {
    const status = this.status;
    if (status >= 100 && status < 200) {
      this.reset(); // informational (100 Continue): the real response follows
      return;
    }
    if (status === 204 || status === 304) {
      this.done = true;
    } else if (this.chunked) {
      this.state = CHUNK_SIZE;
      this.remaining = 0;
      this.chunkSizeDigits = 0;
      this.inChunkExt = false;
    } else if (this.contentLength >= 0) {
      if (this.contentLength === 0) this.done = true;
      else {
        this.state = BODY_LENGTH;
        this.remaining = this.contentLength;
      }
    } else {
      this.state = BODY_UNTIL_CLOSE;
    }
  }

  /**
   * Reads a chunk-size line ("1a;ext\r\n"). chunkSizeDigits = -1 means the CRLF that ends the previous
   * chunk's data comes first.
   */
  private parseChunkSize(buf: Uint8Array, start: number, end: number): number {
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === 10) {
        if (this.chunkSizeDigits === -1) {
          this.chunkSizeDigits = 0;
          continue;
        }
        if (this.remaining === 0) {
          this.state = TRAILERS;
          this.lineLen = 0;
        } else {
          this.state = CHUNK_DATA;
        }
        this.chunkSizeDigits = 0;
        this.inChunkExt = false;
        return i + 1;
      }
      if (this.chunkSizeDigits === -1 || this.inChunkExt || b === 13) continue;
      if (b === 59 /* ; */) {
        this.inChunkExt = true;
        continue;
      }
      const d = hexDigit(b);
      if (d >= 0) {
        this.remaining = this.remaining * 16 + d;
        this.chunkSizeDigits++;
      }
    }
    return end;
  }

  /** After the last chunk: trailer lines until an empty one. */
  private parseTrailers(buf: Uint8Array, start: number, end: number): number {
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === 13) continue;
      if (b === 10) {
        if (this.lineLen === 0) {
          this.done = true;
          return i + 1;
        }
        this.lineLen = 0;
      } else {
        this.lineLen++;
      }
    }
    return end;
  }
}

function hexDigit(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
