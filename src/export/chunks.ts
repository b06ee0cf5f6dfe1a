// Large outputs are written as they are made: text pieces gathered into UTF-8 chunks of about CHUNK_BYTES, so a
// writer holds one chunk at a time, never the whole text (a million folded stacks are 50 MB of it).

const CHUNK_BYTES = 1 << 20;

/** The pieces as UTF-8, in chunks of about 1 MiB (a piece is never split; a longer one is a chunk of its own). */
export function* utf8Chunks(pieces: Iterable<string>): Generator<Uint8Array> {
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let at = 0;
  for (const piece of pieces) {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const most = 3 * piece.length;
    if (at + most > buffer.length) {
      if (at > 0) yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, most));
      at = 0;
    }
    at += buffer.write(piece, at, 'utf8');
  }
  if (at > 0) yield buffer.subarray(0, at);
}
