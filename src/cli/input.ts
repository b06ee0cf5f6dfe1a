// Opens whatever the user named (file, gzip, stdin, run directory), detects its format and streams it to a parser.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { loadRunDirectory } from '../capture/run-dir.js';
import { NetprobeError, ParseError } from '../model/errors.js';
import { detectTextFormat, FORMAT_NAMES, parserFor } from '../parse/detect.js';
import { looksLikePprof, parsePprof } from '../parse/pprof.js';
import type { InputFormat, ParseOptions, ParseResult, ParseWarning } from '../parse/types.js';

const HEAD_LINES = 200;
const SNIFF_BYTES = 64 * 1024;

export interface LoadedInput extends ParseResult {
  file: string;
  warnings: ParseWarning[];
}

export interface ReadInputOptions extends ParseOptions {
  /** Skip detection and use this format. */
  format?: InputFormat;
  /** Called for every warning as it happens (the CLI prints them on stderr). */
  onWarning?: (w: ParseWarning) => void;
}

/** Reads one input (a path, `-` for stdin, or a run directory) into the model. */
export async function readInput(path: string, options: ReadInputOptions = {}): Promise<LoadedInput> {
  const file = path === '-' ? '<stdin>' : path;
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
    if (info.isDirectory()) {
      const run = await loadRunDirectory(path);
      return { ...run, file, warnings };
    }
  }

  const raw: Readable = path === '-' ? process.stdin : createReadStream(path);
  const bytes = await openMaybeGzip(raw, file);
  const first = await peek(bytes, SNIFF_BYTES, file);
  if (first.length === 0) throw new ParseError(file, 1, FORMAT_NAMES, '<empty file>');

  if (options.format === 'pprof' || (options.format === undefined && looksLikePprof(first))) {
    const all = await readAll(bytes, first, file);
    return { ...parsePprof(all, file), file, warnings };
  }
  if (isBinary(first)) {
    throw new ParseError(file, 1, FORMAT_NAMES, '<binary data>');
  }

  const lines = lineIterator(bytes, first, file);
  const head: string[] = [];
  for (;;) {
    if (head.length >= HEAD_LINES) break;
    const next = await lines.next();
    if (next.done) break;
    head.push(next.value);
  }
  const parser = options.format ? parserFor(options.format) : detectTextFormat(head);
  if (!parser) {
    const firstLine = head.find((l) => l.trim() !== '') ?? '';
    const lineNo = head.indexOf(firstLine) + 1;
    throw new ParseError(file, lineNo, FORMAT_NAMES, firstLine);
  }
  const replay = (async function* () {
    yield* head;
    for (;;) {
      const next = await lines.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  const result = await parser.parse(replay, { file, options, warn });
  return { ...result, file, warnings };
}

// Returns a stream of the decompressed bytes when the input starts with the gzip magic.
async function openMaybeGzip(raw: Readable, file: string): Promise<Readable> {
  const first = await peek(raw, 2, file);
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
    const gunzip = createGunzip();
    raw.pipe(gunzip);
    raw.on('error', (e) => gunzip.destroy(e));
    return gunzip.on('error', () => {});
  }
  return raw;
}

// Reads at least `n` bytes (or to the end) and pushes them back so the stream can be read from the start.
async function peek(stream: Readable, n: number, file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < n) {
      const chunk = await readChunk(stream);
      if (chunk === null) break;
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (cause) {
    throw streamError(file, cause);
  }
  const buf = Buffer.concat(chunks);
  if (buf.length > 0) stream.unshift(buf);
  return buf.subarray(0, Math.min(n, buf.length));
}

function readChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) {
        cleanup();
        resolve(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (e: unknown) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    if (stream.readableEnded) return resolve(null);
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
    onReadable();
  });
}

async function readAll(stream: Readable, _first: Buffer, file: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (cause) {
    throw streamError(file, cause);
  }
  return Buffer.concat(chunks);
}

function lineIterator(stream: Readable, _first: Buffer, file: string): AsyncIterator<string> {
  stream.setEncoding('utf8');
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let failure: unknown;
  stream.on('error', (e) => {
    failure = e;
    rl.close();
  });
  const it = rl[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await it.next();
      if (failure) throw streamError(file, failure);
      return r;
    },
  };
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
  const err = cause as NodeJS.ErrnoException;
  if (err?.code === 'Z_BUF_ERROR' || err?.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(String(err?.message))) {
    return new NetprobeError('input', `${file}: truncated or corrupt gzip data (${err.message})`, { cause });
  }
  if (err?.code === 'EISDIR') return new NetprobeError('input', `${file}: is a directory`, { cause });
  return new NetprobeError('input', `${file}: cannot read (${err?.message ?? String(cause)})`, { cause });
}
