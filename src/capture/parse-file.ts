// Streams a tracer's output file, line by line, into one of the text parsers (capture must not import cli).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ParseOptions, ParseResult, ParseWarning, TextParser } from '../parse/types.js';

export interface ParsedFile extends ParseResult {
  warnings: ParseWarning[];
}

/** Parses `path` with `parser`; `name` is what errors and warnings call the file (e.g. `raw/strace.log`). */
export async function parseFile(parser: TextParser, path: string, name: string, options: ParseOptions = {}): Promise<ParsedFile> {
  const warnings: ParseWarning[] = [];
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    const result = await parser.parse(rl, { file: name, options, warn: (w) => warnings.push({ ...w, file: name }) });
    return { ...result, warnings };
  } finally {
    rl.close();
  }
}
