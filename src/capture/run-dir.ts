// STUB: replaced by the run-directory reader/writer.
import type { ParseResult } from '../parse/types.js';

export async function loadRunDirectory(path: string): Promise<ParseResult> {
  throw new Error(`run directories are not supported yet: ${path}`);
}
