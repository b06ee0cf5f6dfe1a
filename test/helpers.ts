// Shared test helpers: run the built CLI, find fixtures and conformance data, require real tools.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ParseOptions, ParseResult, ParseWarning, TextParser } from '../src/parse/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');
export const CONFORMANCE = join(ROOT, '..', 'shared', 'conformance');
export const BIN = join(ROOT, 'bin', 'netprobe.js');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs the built `netprobe` binary with colour off. Run `npm run build` (npm test does) first. */
export async function runCli(args: string[], options: { input?: string | Buffer; cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await execa('node', [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    env: { NO_COLOR: '1', ...options.env },
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  return { stdout: r.stdout as string, stderr: r.stderr as string, exitCode: r.exitCode ?? -1 };
}

/** Whether the conformance suites are present; tests skip with a visible message when not. */
export function conformanceAvailable(): boolean {
  const ok = existsSync(CONFORMANCE);
  if (!ok) console.warn(`SKIP: conformance data not found at ${CONFORMANCE}`);
  return ok;
}

/**
 * Whether a system tool can be used. On a user's machine a missing tool skips with a visible reason;
 * under CI every tool must be installed, so a missing one fails the test instead of skipping.
 */
export function toolAvailable(name: string, probeArgs: string[] = ['--version']): boolean {
  let ok = true;
  try {
    execFileSync(name, probeArgs, { stdio: 'ignore', timeout: 20_000 });
  } catch {
    ok = false;
  }
  if (!ok) {
    if (IN_CI) throw new Error(`${name} is required under CI=true but is not usable here (.ci/run must install it)`);
    console.warn(`SKIP: ${name} not available on this machine`);
  }
  return ok;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export interface FixtureParse {
  result: ParseResult;
  warnings: Omit<ParseWarning, 'file'>[];
  /** The first 200 lines, what format detection sees. */
  head: string[];
}

/** Streams a fixture file line by line through `parser`, as the CLI does, keeping its warnings and its head. */
export async function parseFixtureFile(parser: TextParser, file: string, options: ParseOptions = {}): Promise<FixtureParse> {
  const head: string[] = [];
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const lines = (async function* () {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (head.length < 200) head.push(line);
      yield line;
    }
  })();
  const result = await parser.parse(lines, { file, options, warn: (w) => warnings.push(w) });
  return { result, warnings, head };
}
