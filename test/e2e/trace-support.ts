// Shared by the trace e2e tests: build C programs at test time, pick free ports, find leftover processes.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';

/** Compiles a C file from fixtures/ into `dir`, returning the binary's path. */
export function buildC(source: string, dir: string, name: string): string {
  const out = join(dir, name);
  execFileSync('gcc', ['-O1', '-pthread', '-o', out, join(FIXTURES, source)], { stdio: 'pipe' });
  return out;
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
