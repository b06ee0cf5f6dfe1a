// Shared by the trace e2e tests: build C programs at test time, run netprobe trace under load, pick free
// ports, find leftover processes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { FIXTURES, runCli, toolAvailable, type CliResult } from '../helpers.js';

/** Each syscall backend with the command that shows it works on this machine (perf and bpftrace need tracefs). */
export const BACKENDS: [string, string[]][] = [
  ['strace', ['-V']],
  ['perf', ['stat', '-e', 'raw_syscalls:sys_enter', 'true']],
  ['bpftrace', ['-e', 'BEGIN { exit(); }']],
];

/**
 * Which of BACKENDS work here, for `it.skipIf(!usable[backend])`. Call it at module level: under CI a missing
 * backend then fails the test file (toolAvailable throws), elsewhere each one missing prints a SKIP line.
 */
export function usableBackends(): Record<string, boolean> {
  return Object.fromEntries(BACKENDS.map(([name, probe]) => [name, toolAvailable(name, probe)]));
}

/** Compiles a C file from fixtures/ into `dir`, returning the binary's path. */
export function buildC(source: string, dir: string, name: string): string {
  const out = join(dir, name);
  execFileSync('gcc', ['-O1', '-pthread', '-o', out, join(FIXTURES, source)], { stdio: 'pipe' });
  return out;
}

/**
 * A temporary directory for the test file's runs, with `source` built into it as `name`: made before the
 * file's tests, removed after them. The fields are filled in once the tests start.
 */
export function useBuiltProgram(prefix: string, source: string, name: string): { dir: string; program: string } {
  const work = { dir: '', program: '' };
  beforeAll(() => {
    work.dir = mkdtempSync(join(tmpdir(), prefix));
    work.program = buildC(source, work.dir, name);
  });
  afterAll(() => rmSync(work.dir, { recursive: true, force: true }));
  return work;
}

/**
 * `netprobe trace OPTIONS --load http://127.0.0.1:PORT/ -c 4 -d 1s -o OUT -- COMMAND`, which must exit 0 without
 * an internal error; returns its result and the run.json it wrote.
 */
export async function traceUnderLoad(options: string[], port: number, out: string, command: string[]): Promise<{ r: CliResult; run: RunJsonLike }> {
  const r = await runCli(['trace', ...options, '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-d', '1s', '-o', out, '--', ...command]);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.exitCode).toBe(0);
  return { r, run: readRunJson(out) };
}

/** A port that was free a moment ago (the servers under test need a fixed --port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Processes (other than zombies) whose command line mentions `needle`, e.g. a temp dir or run dir. */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmdline.includes(needle) && state !== 'Z') found.push(`${entry} ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export interface RunJsonLike {
  backend: string;
  syscalls: { name: string; calls: number; errors: number; errnos: Record<string, number>; seconds: number }[];
  totals: { calls: number; errors: number; seconds: number };
  threads: number | null;
  load: { requests: number; requestsPerSecond: number } | null;
  perRequest: Record<string, number> | null;
  interrupted: boolean;
  capture: { window: string; backendReason: string; notes: string[] };
  target: { pid: number | null; exitCode: number | null; signal: string | null };
  overhead: { tracedRps: number; untracedRps: number; ratio: number } | null;
  files: string[];
}

export function readRunJson(dir: string): RunJsonLike {
  return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJsonLike;
}
