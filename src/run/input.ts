// The one input reader: opens whatever the user named (file, gzip, stdin, run directory), detects its format
// and streams it to a parser. Every command, the capture pipeline (tracer outputs) and the tests read through it.
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { NetprobeError, ParseError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';
import { formatBytes } from '../model/units.js';
import { detectTextFormat, FORMAT_NAMES, parserFor } from '../parse/detect.js';
import { looksLikePprof } from '../parse/pprof-wire.js';
import type { InputFormat, ParseOptions, ParseResult, ParseWarning } from '../parse/types.js';

const HEAD_LINES = 200;
/** No tool we read writes lines this long; without a bound, one newline-free gigabyte would be held whole. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** A pprof profile is decoded whole; real ones are megabytes: past this it is refused before it is all in memory. */
const MAX_PPROF_BYTES = 512 * 1024 * 1024;

/** Bounds on what one input may cost; `--max-input-size` raises the decompressed one. */
export interface InputLimits {
  /** Bytes a gzip input may decompress to (default 2 GiB: a gzip bomb is refused, not inflated). */
  maxDecompressedBytes: number;
}

const limits: InputLimits = { maxDecompressedBytes: 2 * 1024 * 1024 * 1024 };

/** Sets the input bounds for this process (the CLI's global `--max-input-size`). */
export function setInputLimits(next: Partial<InputLimits>): void {
  Object.assign(limits, next);
}
const SNIFF_BYTES = 64 * 1024;
// Large reads: the parsers' cost per chunk is small, the stream machinery's per chunk is not. Each read is a round
// trip through libuv's thread pool (a wake-up of a pool thread and of the main thread): reading 50 MB in 1 MiB
// reads cost ~7 ms less CPU than in 256 KiB ones (measured with perf stat -e task-clock).
const READ_CHUNK_BYTES = 1024 * 1024;
// Decoded pieces stay below V8's large-object size (128 KiB): larger strings each get fresh pages from the
// kernel, which made decoding ~6x slower.
const DECODE_BYTES = 64 * 1024;

export interface LoadedInput extends ParseResult {
  file: string;
  warnings: ParseWarning[];
}

export interface ReadInputOptions extends ParseOptions {
  /** Skip detection and use this format. */
  format?: InputFormat;
  /** Called for every warning as it happens (the CLI prints them on stderr). */
  onWarning?: (w: ParseWarning) => void;
  /** Name the input this way in errors and warnings (default: the path as given). */
  shownAs?: string;
  /**
   * What the caller will use: `syscalls` refuses, right after detection, a format that never holds syscall
   * counts (folded stacks, perf script), instead of reading a large file to the end first.
   */
  need?: 'syscalls';
}

/** Text formats that never carry syscall counts, in words for the refusal. */
const NO_SYSCALL_COUNTS: Partial<Record<InputFormat, string>> = {
  folded: 'folded stacks',
  'perf-script': 'a perf script CPU profile',
  'bpftrace-offcpu': 'an off-CPU profile',
};

/** Reads one input (a path, `-` for stdin, or a run directory) into the model. */
export async function readInput(path: string, options: ReadInputOptions = {}): Promise<LoadedInput> {
  const file = options.shownAs ?? (path === '-' ? '<stdin>' : path);
  const warnings: ParseWarning[] = [];
  const warn = (w: Omit<ParseWarning, 'file'>) => {
    const full = { ...w, file };
    warnings.push(full);
    options.onWarning?.(full);
  };

  if (path !== '-') {
    const info = await stat(path).catch((cause: NodeJS.ErrnoException) => {
      throw new NetprobeError('input', `${path}: ${cause.code === 'ENOENT' ? 'no such file or directory' : cause.message}`, { cause });
    });
    // Run directories, JSON, pprof and gzip are read with modules imported when met: most inputs are none of
    // these, and loading every module (pprof-format, node:zlib, node:crypto…) cost every run several ms.
    if (info.isDirectory()) {
      const run = await (await import('./run-dir.js')).loadRunDirectory(path);
      return { ...run, file, warnings };
    }
    // A run's own run.json stands for its directory (profiles included).
    if (basename(path) === 'run.json') return { ...(await (await import('./run-dir.js')).loadRunDirectory(dirname(path))), file, warnings };
  }

  const raw = path === '-' ? undefined : new FileChunks(path);
  try {
    return { ...(await parseStream(raw ?? process.stdin, file, options, warn, raw)), file, warnings };
  } catch (e) {
    if (!(e instanceof LongLineError)) throw e;
    // stdin cannot be read again: say where the line starts instead.
    if (path === '-') throw new ParseError(file, 0, LONG_LINE, `<a line of more than ${formatBytes(MAX_LINE_BYTES)}, from byte ${e.offset}>`);
    throw new ParseError(file, await lineAt(path, e.offset), LONG_LINE, `<a line of more than ${formatBytes(MAX_LINE_BYTES)}>`);
  } finally {
    // Errors leave the file half read; close it so a command reading many inputs does not leak descriptors.
    await raw?.close();
  }
}

/**
 * A file's bytes, read on demand in chunks (an fs ReadStream cost ~25 ms more CPU per 50 MB: a fresh buffer per
 * read, faulted in by the kernel, and the stream machinery). Once `reuse` is set, every further chunk is read into
 * one buffer, so whoever reads them must be done with a chunk before asking for the next: set only for the text
 * path, which decodes each chunk before it pulls the next (a gzip stream or the pprof reader keep chunks).
 */
class FileChunks implements AsyncIterable<Buffer> {
  reuse = false;
  private handle: FileHandle | undefined;
  private closed = false;
  private spare: Buffer | undefined;

  constructor(private readonly path: string) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const handle = await open(this.path, 'r');
    if (this.closed) {
      await handle.close();
      return;
    }
    this.handle = handle;
    // A gzip stream may still be reading ahead when the input is closed: it then ends here.
    while (!this.closed) {
      const buf = this.reuse ? (this.spare ??= Buffer.allocUnsafeSlow(READ_CHUNK_BYTES)) : Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }
}

/**
 * Reads a tracer's output file in its known format (no detection); errors and warnings name it by the path
 * the user can open (shownPath), never by a path inside the run directory.
 */
export async function readTracerOutput(path: string, format: InputFormat, options: ParseOptions = {}): Promise<LoadedInput> {
  return readInput(path, { ...options, format, shownAs: shownPath(path) });
}

async function parseStream(
  raw: AsyncIterable<Buffer>,
  file: string,
  options: ReadInputOptions,
  warn: (w: Omit<ParseWarning, 'file'>) => void,
  chunks?: FileChunks,
): Promise<ParseResult> {
  const opened = await openMaybeGzip(raw, file);
  // Binary input (pprof) has no lines: the line bound is switched off once it is recognised.
  const guard = { lines: true };
  const sniffed = await sniff(bounded(opened.stream, file, opened.gzip, guard), SNIFF_BYTES, file);
  const first = sniffed.head;
  if (first.length === 0) throw new ParseError(file, 1, FORMAT_NAMES, '<empty file>');

  if (options.format === 'pprof' || (options.format === undefined && looksLikePprof(first))) {
    guard.lines = false;
    const bytes = await readAll(sniffed.chunks(), file, MAX_PPROF_BYTES);
    return (await import('../parse/pprof.js')).parsePprof(bytes, file);
  }
  if (isBinary(first)) {
    throw new ParseError(file, 1, FORMAT_NAMES, '<binary data>');
  }

  // Text is decoded chunk by chunk as it is pulled: the file's chunks can share one buffer from here on.
  if (chunks && !opened.gzip) chunks.reuse = true;
  const { head, text } = await headLines(decodeUtf8(sniffed.chunks()), HEAD_LINES);
  const detected = options.format ? await parserFor(options.format) : await detectTextFormat(head)?.load();
  // Folded stacks' detector is the loosest: text opening with `{` is JSON (a run.json or baseline, maybe cut short).
  const looksJson = options.format === undefined && head.join('\n').trimStart().startsWith('{');
  const parser = looksJson && detected?.format === 'folded' ? null : detected;
  if (!parser) {
    // A run.json-shaped object under any name (baselines written by `check --update-baseline`); small, read whole.
    if (looksJson) {
      let json = '';
      for await (const piece of text) json += piece;
      const { parseRunJson, runJsonResult } = await import('../parse/run-json.js');
      return runJsonResult(parseRunJson(json, file));
    }
    const firstLine = head.find((l) => l.trim() !== '') ?? '';
    const lineNo = head.indexOf(firstLine) + 1;
    throw new ParseError(file, lineNo, FORMAT_NAMES, firstLine);
  }
  const without = options.need === 'syscalls' ? NO_SYSCALL_COUNTS[parser.format] : undefined;
  if (without) {
    throw new NetprobeError('input', `${file} has no syscall counts (it is ${without})`, { hint: `try \`netprobe flame ${file}\`` });
  }
  const ctx = { file, options, warn };
  return parser.parseText ? parser.parseText(text, ctx) : parser.parse(splitLines(text), ctx);
}

// Profiles are almost always plain ASCII: while every piece so far has been, a piece that is too is copied into a
// one-byte string as latin1 (the same characters; a native SIMD check and a copy), which costs a fraction of what the
// UTF-8 decoder does. From the first piece holding any other byte on, the decoder takes every piece: nothing it has
// not seen can be pending in it, since a multi-byte sequence cannot start in an all-ASCII piece.
async function* decodeUtf8(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let ascii = true;
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += DECODE_BYTES) {
      const piece = chunk.subarray(at, at + DECODE_BYTES);
      if (ascii && isAscii(piece)) {
        yield piece.toString('latin1');
        continue;
      }
      ascii = false;
      const text = decoder.write(piece);
      if (text !== '') yield text;
    }
  }
  const end = decoder.end();
  if (end !== '') yield end;
}

// The first `n` lines (as splitLines gives them) for detection, and all the text again from the start. Reading
// stops once `n` newlines are in, so the last buffered piece is cut only past line `n`.
async function headLines(chunks: AsyncIterable<string>, n: number): Promise<{ head: string[]; text: AsyncIterable<string> }> {
  const it = chunks[Symbol.asyncIterator]();
  const buffered: string[] = [];
  let newlines = 0;
  let ended = false;
  while (newlines < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    buffered.push(r.value);
    for (let i = r.value.indexOf('\n'); i >= 0 && newlines < n; i = r.value.indexOf('\n', i + 1)) newlines++;
  }
  const head: string[] = [];
  for await (const line of splitLines(buffered)) {
    if (head.length >= n) break;
    head.push(line);
  }
  const text = (async function* () {
    yield* buffered;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })();
  return { head, text };
}

interface Sniffed {
  /** The first `n` bytes (fewer when the input is shorter). */
  head: Buffer;
  /** All chunks from the start, the sniffed ones included; can be consumed once. */
  chunks(): AsyncIterable<Buffer>;
}

// Reads the first `n` bytes without losing them: the returned iterable replays them before the rest.
async function sniff(stream: AsyncIterable<Buffer>, n: number, file: string): Promise<Sniffed> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const buffered: Buffer[] = [];
  let size = 0;
  let ended = false;
  try {
    while (size < n) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      buffered.push(r.value);
      size += r.value.length;
    }
  } catch (cause) {
    throw streamError(file, cause);
  }
  return {
    // A copy of only the bytes asked for: the first chunk alone is a 1 MiB read.
    head: Buffer.concat(buffered, Math.min(size, n)),
    chunks: () =>
      (async function* () {
        yield* buffered;
        if (ended) return;
        try {
          for (;;) {
            const r = await it.next();
            if (r.done) return;
            yield r.value;
          }
        } catch (cause) {
          throw streamError(file, cause);
        }
      })(),
  };
}

async function readAll(chunks: AsyncIterable<Buffer>, file: string, maxBytes: number): Promise<Uint8Array> {
  const all: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > maxBytes) throw new NetprobeError('input', `${file}: a pprof profile larger than ${formatBytes(maxBytes)}; refusing to decode it`);
      all.push(chunk);
    }
  } catch (cause) {
    throw cause instanceof NetprobeError ? cause : streamError(file, cause);
  }
  return Buffer.concat(all);
}

// Splits text into lines (without terminators, CRLF tolerated); streaming, no whole-file string.
async function* splitLines(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

// The decompressed bytes when the input starts with the gzip magic, else the bytes as they are.
async function openMaybeGzip(raw: AsyncIterable<Buffer>, file: string): Promise<{ stream: AsyncIterable<Buffer>; gzip: boolean }> {
  const sniffed = await sniff(raw, 2, file);
  const head = sniffed.head;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const { createGunzip } = await import('node:zlib');
    const gunzip = createGunzip();
    pipeline(Readable.from(sniffed.chunks(), { objectMode: false }), gunzip, () => {});
    return { stream: gunzip, gzip: true };
  }
  return { stream: sniffed.chunks(), gzip: false };
}

// Passes the bytes through, refusing a line longer than MAX_LINE_BYTES and a gzip input that decompresses past
// the limit, so hostile input costs bounded time and memory. One native lastIndexOf per chunk, no per-line work:
// the line number of an overlong line is counted only when one is found (LongLineError, see readInput).
async function* bounded(stream: AsyncIterable<Buffer>, file: string, gzip: boolean, guard: { lines: boolean }): AsyncGenerator<Buffer> {
  let total = 0;
  let sinceNewline = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (gzip && total > limits.maxDecompressedBytes) {
      throw new NetprobeError('input', `${file}: decompresses to more than ${formatBytes(limits.maxDecompressedBytes)}; refusing to inflate it further`, {
        hint: 'If the input really is that large, raise the bound with `--max-input-size <bytes>` (e.g. 8G).',
      });
    }
    const last = chunk.lastIndexOf(10);
    sinceNewline = last < 0 ? sinceNewline + chunk.length : chunk.length - last - 1;
    if (guard.lines && sinceNewline > MAX_LINE_BYTES) throw new LongLineError(file, total - sinceNewline);
    yield chunk;
  }
}

const LONG_LINE = `text lines (none of the formats netprobe reads has lines over ${formatBytes(MAX_LINE_BYTES)})`;

/** An overlong line starting at byte `offset`; readInput turns it into a ParseError naming its line. */
class LongLineError extends ParseError {
  constructor(
    file: string,
    readonly offset: number,
  ) {
    super(file, 0, LONG_LINE, `<a line of more than ${formatBytes(MAX_LINE_BYTES)}, from byte ${offset}>`);
  }
}

// The line number of byte `offset` of a file (decompressed when gzip), counted again from the start: the error
// path only, so reading the normal way never counts lines.
async function lineAt(path: string, offset: number): Promise<number> {
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  try {
    const { stream } = await openMaybeGzip(raw, path);
    let seen = 0;
    let line = 1;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const part = chunk.subarray(0, Math.max(0, offset - seen));
      for (let i = part.indexOf(10); i >= 0; i = part.indexOf(10, i + 1)) line++;
      seen += chunk.length;
      if (seen >= offset) break;
    }
    return line;
  } finally {
    raw.destroy();
  }
}

function isBinary(buf: Buffer): boolean {
  const sample = buf.subarray(0, 4096);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  return control > sample.length / 20;
}

function streamError(file: string, cause: unknown): NetprobeError {
  // Our own refusals (an overlong line, a gzip bomb) pass through as they are.
  if (cause instanceof NetprobeError) return cause;
  const err = cause as NodeJS.ErrnoException;
  if (err?.code === 'Z_BUF_ERROR' || err?.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(String(err?.message))) {
    return new NetprobeError('input', `${file}: truncated or corrupt gzip data (${err.message})`, { cause });
  }
  if (err?.code === 'EISDIR') return new NetprobeError('input', `${file}: is a directory`, { cause });
  return new NetprobeError('input', `${file}: cannot read (${err?.message ?? String(cause)})`, { cause });
}
