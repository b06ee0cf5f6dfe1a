// Every file netprobe writes goes through here: under a temporary name beside the target, then renamed into
// place, so an interrupted or failed write never leaves a partial file where a complete one is expected.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';

/** Writes `data` to `path` atomically (temp file + rename); a failure removes the temp file and names `path`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true }).catch(() => {});
    const err = cause as NodeJS.ErrnoException;
    throw new NetprobeError(err.code === 'ENOSPC' || err.code === 'EACCES' || err.code === 'EROFS' ? 'environment' : 'input', `cannot write ${shownPath(path)}: ${err.message}`, { cause });
  }
}
