// Helpers every command shares: writing outputs safely, printing warnings, parsing option values.
import { lstat } from 'node:fs/promises';
import { NetprobeError } from '../model/errors.js';
import type { ParseWarning } from '../run/types.js';
import { writeFileAtomic, type OutputData } from '../run/write.js';

/**
 * Writes data to a file or to stdout for `-`/undefined. The file is written whole under a temporary name and
 * renamed into place (an interrupted write leaves nothing half-written); an existing file or a symbolic link
 * (even a dangling one, whose target would be created) is replaced only with `--force`, and then the link
 * itself is replaced, never the file it points to.
 */
export async function writeOutput(
  out: string | undefined,
  data: OutputData,
  options: { force?: boolean; binary?: boolean } = {},
): Promise<void> {
  if (out === undefined || out === '-') {
    if (options.binary && process.stdout.isTTY) {
      throw new NetprobeError('usage', 'refusing to write binary output to a terminal', {
        hint: 'Use `-o <file>` or pipe the output.',
      });
    }
    for (const chunk of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) {
      await new Promise<void>((resolve, reject) => {
        process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    }
    return;
  }
  const existing = await lstat(out).catch(() => undefined);
  if (!options.force && existing) {
    const what = existing.isSymbolicLink() ? 'is a symbolic link; not writing through it' : 'already exists; not overwriting it';
    throw new NetprobeError('usage', `${out} ${what}`, {
      hint: 'Pass --force to replace it, or choose another path with -o.',
    });
  }
  await writeFileAtomic(out, data);
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

/** The signals that mean "stop": Ctrl-C, kill, a closed terminal (SIGHUP) and Ctrl-\\ (SIGQUIT). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Calls `onStop` for every stop signal until the returned function is called. */
export function onStopSignals(onStop: () => void): () => void {
  for (const sig of STOP_SIGNALS) process.on(sig, onStop);
  return () => {
    for (const sig of STOP_SIGNALS) process.off(sig, onStop);
  };
}

/** Standard input can be read once: refuses `-` named more than once (e.g. `compare - -`). */
export function assertStdinOnce(inputs: readonly string[]): void {
  if (inputs.filter((i) => i === '-').length > 1) {
    throw new NetprobeError('usage', 'standard input (-) can be read only once, but it is named more than once', {
      hint: 'Save one of the inputs to a file and name the file instead.',
    });
  }
}
