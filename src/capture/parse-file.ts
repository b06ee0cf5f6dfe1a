// Streams a tracer's output file, line by line, into one of the text parsers (capture must not import cli).
import { createReadStream } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { ParseOptions, ParseResult, ParseWarning, TextParser } from '../parse/types.js';

export interface ParsedFile extends ParseResult {
  warnings: ParseWarning[];
}

/** Parses the file at `path` with `parser`; errors and warnings name it as shownPath() does. */
export async function parseFile(parser: TextParser, path: string, options: ParseOptions = {}): Promise<ParsedFile> {
  const name = shownPath(path);
  const warnings: ParseWarning[] = [];
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    const result = await parser.parse(rl, { file: name, options, warn: (w) => warnings.push({ ...w, file: name }) });
    return { ...result, warnings };
  } finally {
    rl.close();
  }
}

/**
 * A path as the user can open it from where they ran netprobe: relative to the working directory when it
 * lies below it, else absolute (never relative to the run directory, which the user is not in).
 */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
