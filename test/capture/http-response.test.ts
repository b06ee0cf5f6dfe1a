// Response framing as the load generator sees it: responses arrive in arbitrary reads, several may share a
// read, and whatever the split, the same responses must complete at the same bytes.
import { describe, expect, it } from 'vitest';
import { HttpResponseParser } from '../../src/capture/http-response.js';

interface Parsed {
  /** Each completed response: its status, whether the server will close, and the offset where it ended. */
  responses: { status: number; closeAfter: boolean; end: number }[];
  /** The last response is unfinished and ends only when the connection closes. */
  endsAtClose: boolean;
}

/** Feeds `reads` in order the way the load loop does, continuing after each completed response. */
function parse(reads: readonly string[]): Parsed {
  const parser = new HttpResponseParser();
  const responses: Parsed['responses'] = [];
  let offset = 0;
  for (const read of reads) {
    const buf = Buffer.from(read, 'latin1');
    let i = 0;
    while (i < buf.length) {
      const end = parser.execute(buf, i, buf.length);
      if (end < 0) break;
      responses.push({ status: parser.status, closeAfter: parser.closeAfter, end: offset + end });
      i = end;
    }
    offset += buf.length;
  }
  return { responses, endsAtClose: parser.endsAtClose };
}

/** Parses `wire` whole, byte by byte and split in two at every offset; all must agree. */
function parseAnySplit(wire: string): Parsed {
  const whole = parse([wire]);
  expect(parse([...wire])).toEqual(whole);
  for (let at = 1; at < wire.length; at++) expect(parse([wire.slice(0, at), wire.slice(at)])).toEqual(whole);
  return whole;
}

const statuses = (p: Parsed) => p.responses.map((r) => r.status);

describe('HttpResponseParser', () => {
  it('ends a Content-Length body after exactly that many bytes', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
    expect(parseAnySplit(wire)).toEqual({ responses: [{ status: 200, closeAfter: false, end: wire.length }], endsAtClose: false });
  });

  it('matches header names and values case-insensitively, with any spacing', () => {
    const wire = 'HTTP/1.1 200 OK\r\ncontent-LENGTH:   3\r\nCONNECTION: Close\r\n\r\nabc';
    expect(parseAnySplit(wire).responses).toEqual([{ status: 200, closeAfter: true, end: wire.length }]);
  });

  it('ends a response with Content-Length: 0 at the end of its head', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    expect(parseAnySplit(wire).responses).toEqual([{ status: 200, closeAfter: false, end: wire.length }]);
  });

  it('follows chunked bodies: hex sizes, chunk extensions, data that looks like framing, and the last chunk', () => {
    const data = 'HTTP/1.1 200 OK\r\n0\r\n\r\n12345678'; // 0x1A = 26 bytes
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1A;name=value\r\n${data}\r\n0\r\n\r\n`;
    expect(parseAnySplit(wire)).toEqual({ responses: [{ status: 200, closeAfter: false, end: wire.length }], endsAtClose: false });
  });

  it('reads trailer lines after the last chunk up to the empty line', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n';
    expect(parseAnySplit(wire).responses).toEqual([{ status: 200, closeAfter: false, end: wire.length }]);
  });

  it('separates pipelined responses in one read, whatever their framing', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const second = 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnot\r\n0\r\n\r\n';
    const third = 'HTTP/1.1 204 No Content\r\n\r\n';
    const fourth = 'HTTP/1.1 503 Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy';
    const parsed = parseAnySplit(first + second + third + fourth);
    expect(parsed.responses).toEqual([
      { status: 200, closeAfter: false, end: first.length },
      { status: 404, closeAfter: false, end: first.length + second.length },
      { status: 204, closeAfter: false, end: first.length + second.length + third.length },
      { status: 503, closeAfter: true, end: first.length + second.length + third.length + fourth.length },
    ]);
  });

  it('stops at the end of a response and leaves the next one to the next call', () => {
    const parser = new HttpResponseParser();
    const buf = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n');
    const end = parser.execute(buf, 0, buf.length);
    expect(buf.subarray(end).toString()).toMatch(/^HTTP\/1\.1 500/);
    expect(parser.status).toBe(200);
    expect(parser.execute(buf, end, buf.length)).toBe(buf.length);
    expect(parser.status).toBe(500);
  });

  it('has no body for 204 and 304, whatever Content-Length says', () => {
    const wire = 'HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n';
    expect(statuses(parseAnySplit(wire))).toEqual([304, 204]);
  });

  it('skips informational responses (100 Continue) and reports the final one', () => {
    const wire = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    expect(parseAnySplit(wire).responses).toEqual([{ status: 201, closeAfter: false, end: wire.length }]);
  });

  it('reads a body without length or chunks until the connection closes; HTTP/1.0 servers close', () => {
    const parsed = parseAnySplit('HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of this is body, even HTTP/1.1 200 OK\r\n\r\n');
    expect(parsed).toEqual({ responses: [], endsAtClose: true });
    const empty = 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n';
    expect(parseAnySplit(empty).responses).toEqual([{ status: 200, closeAfter: true, end: empty.length }]);
  });

  it('accepts lines ending in a lone LF', () => {
    expect(statuses(parseAnySplit('HTTP/1.1 200 OK\nContent-Length: 2\n\nokHTTP/1.1 202 Accepted\nContent-Length: 0\n\n'))).toEqual([200, 202]);
  });

  it('gives a malformed status line status 0 (a non-2xx answer) and still follows the framing', () => {
    const wire = 'garbage\r\nContent-Length: 2\r\n\r\nok';
    expect(parseAnySplit(wire).responses).toEqual([{ status: 0, closeAfter: false, end: wire.length }]);
    expect(parseAnySplit('HTTP/1.1 abc Broken\r\n\r\n')).toEqual({ responses: [], endsAtClose: true });
  });

  it('forgets a partial response on reset', () => {
    const parser = new HttpResponseParser();
    const partial = Buffer.from('HTTP/1.1 500 Oops\r\nContent-Length: 10\r\n\r\nabc');
    expect(parser.execute(partial, 0, partial.length)).toBe(-1);
    parser.reset();
    const next = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(parser.execute(next, 0, next.length)).toBe(next.length);
    expect(parser.status).toBe(200);
  });
});
