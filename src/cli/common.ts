// Helpers every command shares: writing outputs safely, printing warnings, parsing option values.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { NetprobeError } from '../model/errors.js';
import type { ParseWarning } from '../run/types.js';

/** Writes data to a file (refusing to replace one unless forced) or to stdout for `-`/undefined. */
export async function writeOutput(
  out: string | undefined,
  data: string | Uint8Array,
  options: { force?: boolean; binary?: boolean } = {},
): Promise<void> {
  if (out === undefined || out === '-') {
    if (options.binary && process.stdout.isTTY) {
      throw new NetprobeError('usage', 'refusing to write binary output to a terminal', {
        hint: 'Use `-o <file>` or pipe the output.',
      });
    }
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(data, (err) => (err ? reject(err) : resolve()));
    });
    return;
  }
  if (!options.force && existsSync(out)) {
    throw new NetprobeError('usage', `${out} already exists; not overwriting it`, {
      hint: 'Pass --force to replace it, or choose another path with -o.',
    });
  }
  await writeFile(out, data).catch((cause: Error) => {
    throw new NetprobeError('input', `cannot write ${out}: ${cause.message}`, { cause });
  });
}

export function printWarnings(): (w: ParseWarning) => void {
  let shown = 0;
  return (w) => {
    shown++;
    if (shown <= 20) process.stderr.write(`warning: ${w.file}:${w.line}: ${w.message}\n`);
    else if (shown === 21) process.stderr.write('warning: more warnings suppressed\n');
  };
}

/** Parses `500ms`, `4s`, `2m` or bare seconds into seconds. */
export function parseDurationOption(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0)) {
    throw new NetprobeError('usage', `Expected \`${name}\` to be a positive duration like 500ms, 4s, 2m or 10, got \`${value}\``);
  }
  return seconds;
}

export function parsePositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new NetprobeError('usage', `Expected \`${name}\` to be a positive whole number, got \`${value}\``);
  }
  return n;
}
