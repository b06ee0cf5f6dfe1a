// Every file netprobe writes goes through here: under a temporary name beside the target, then renamed into
// place, so an interrupted or failed write never leaves a partial file where a complete one is expected.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';

/** What a command writes: text, bytes, or bytes in chunks made as they are written (large outputs). */
export type OutputData = string | Uint8Array | Iterable<Uint8Array>;

/** Writes `data` to `path` atomically (temp file + rename); a failure removes the temp file and names `path`. */
export async function writeFileAtomic(path: string, data: OutputData): Promise<void> {
  // The temporary name only needs to be unlikely to be taken: it is created exclusively (`wx`), so a name that
  // exists, or a symlink planted under it, makes the write fail instead of following it. (node:crypto's
  // randomBytes cost every run ~2 ms to load.)
  const temp = join(dirname(path), `.${basename(path)}.${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true }).catch(() => {});
    const err = cause as NodeJS.ErrnoException;
    throw new NetprobeError(err.code === 'ENOSPC' || err.code === 'EACCES' || err.code === 'EROFS' ? 'environment' : 'input', `cannot write ${shownPath(path)}: ${err.message}`, { cause });
  }
}

/**
 * Appends `data` to `path` (created when missing) by rewriting it whole through writeFileAtomic: a reader sees
 * the old content or the new, never half an append. For small files such as GitHub's job summary.
 */
export async function appendFileAtomic(path: string, data: string): Promise<void> {
  const existing = await readFile(path, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return '';
    throw new NetprobeError(cause.code === 'EACCES' ? 'environment' : 'input', `cannot read ${shownPath(path)}: ${cause.message}`, { cause });
  });
  await writeFileAtomic(path, existing + data);
}
