// How a path is shown to the user in messages: from where they ran netprobe.
import { isAbsolute, relative } from 'node:path';

/**
 * A path as the user can open it from where they ran netprobe: relative to the working directory when it
 * lies below it, else absolute (never relative to the run directory, which the user is not in).
 */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** argv as a shell would need it typed: `./srv --save '' --appendonly`, `sh -c 'while :; do …; done'`. */
export function shellQuoted(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
