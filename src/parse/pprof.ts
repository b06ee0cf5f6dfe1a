// STUB: replaced by the real pprof decoder.
import type { ParseResult } from './types.js';

/** True when the (decompressed) bytes look like a serialized profile.proto. */
export function looksLikePprof(_bytes: Uint8Array): boolean {
  return false;
}

export function parsePprof(_bytes: Uint8Array, _file: string): ParseResult {
  throw new Error('pprof parser not implemented yet');
}
