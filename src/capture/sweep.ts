// `trace --sweep connections=10,100,1000`: the same capture at several concurrency levels, to show how the
// cost per request and the memory per connection grow with connections.
//
// Layout: <sweep dir>/connections-<N>/ is each level's ordinary run directory; <sweep dir>/run.json is a
// summary whose `sweep` array holds one SweepLevel per level (compare and report.html draw curves from it)
// and whose other fields repeat the highest level's run, so every reader of run directories accepts it.
// The sweep directory is the parent of every returned result's `dir`.
import { readFile, rmdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetprobeError } from '../model/errors.js';
import type { RunJson } from '../model/run.js';
import { tableFromRows } from '../model/syscalls.js';
import { perRequestByFamily, type SweepLevel } from '../report/compare.js';
import { openIdleConnections } from './idle-connections.js';
import { waitForPort } from './ready.js';
import { createRunDirectory, RUN_JSON, runName } from './run-dir.js';
import { startTarget, treeResidentBytes } from './target.js';
import { runTrace } from './trace.js';
import type { TraceOptions, TraceResult } from './types.js';

export interface SweepOptions extends TraceOptions {
  /** Connection counts to sweep, e.g. [10, 100, 1000]. */
  connections: number[];
}

/** File descriptors kept free beside the connections: stdio, tracer pipes, run files, the listener. */
const FD_RESERVE = 128;
/** Time for the server to set up per-connection state before the second RSS reading. */
const IDLE_SETTLE_MS = 500;

export async function runSweep(options: SweepOptions): Promise<TraceResult[]> {
  if (!options.load) {
    throw new NetprobeError('usage', '--sweep needs the built-in load (--load URL): an external --load-cmd cannot be given a connection count', {
      hint: 'Use --load http://127.0.0.1:PORT/ with --sweep connections=10,100,1000.',
    });
  }
  const levels = [...new Set(options.connections)].sort((a, b) => a - b);
  if (levels.length === 0 || levels.some((c) => !Number.isInteger(c) || c <= 0)) {
    throw new NetprobeError('usage', `Expected \`--sweep\` to list positive connection counts like connections=10,100,1000, got \`${options.connections.join(',')}\``);
  }
  const say = (message: string) => options.onProgress?.({ phase: 'starting', elapsedSeconds: 0, message });

  const maxConnections = (await openFileLimit()) - FD_RESERVE;
  const reachable = levels.filter((c) => c <= maxConnections);
  for (const c of levels.filter((c) => c > maxConnections)) {
    say(`skipping connections=${c}: the open-file limit allows about ${maxConnections} (raise it with \`ulimit -n\` before running netprobe)`);
  }
  if (reachable.length === 0) {
    throw new NetprobeError('environment', `no sweep level fits the open-file limit (about ${maxConnections} connections)`, {
      hint: 'Raise the limit with `ulimit -n 65536` (up to the hard limit, `ulimit -Hn`) in the shell that runs netprobe.',
    });
  }

  const name = options.name ?? runName(options.command, options.pid);
  const sweepDir = await createRunDirectory(options.outDir, `${name}-sweep`);
  const port = options.port ?? portOf(options.load.url);
  const results: TraceResult[] = [];
  const summary: SweepLevel[] = [];
  for (const [i, connections] of reachable.entries()) {
    if (options.signal?.aborted) break;
    say(`sweep level ${i + 1}/${reachable.length}: ${connections} connections`);
    const result = await runTrace({
      ...options,
      name: `${name}-c${connections}`,
      outDir: join(sweepDir, `connections-${connections}`),
      load: { ...options.load, connections },
    }).catch((e: unknown) => {
      // Ctrl-C before this level's capture started: keep the levels already measured.
      if (e instanceof NetprobeError && e.code === 'interrupted' && results.length > 0) return undefined;
      throw e;
    });
    if (!result) break;
    results.push(result);
    let idle: { opened: number; bytesPerConnection: number | null } = { opened: 0, bytesPerConnection: null };
    if (!result.interrupted && !options.signal?.aborted && port !== undefined) {
      say(`measuring memory of ${connections} idle connections`);
      idle = await idleMemory(options, port, connections);
    }
    summary.push(levelOf(result, sweepDir, connections, idle));
    if (result.interrupted) break;
  }
  if (results.length > 0) await writeSummary(sweepDir, `${name} (sweep)`, results[results.length - 1]!.run, summary);
  return results;
}

function levelOf(result: TraceResult, sweepDir: string, connections: number, idle: { opened: number; bytesPerConnection: number | null }): SweepLevel {
  const { run } = result;
  const requests = run.load?.requests ?? 0;
  const table = tableFromRows(run.syscalls, run.syscalls.some((r) => r.seconds > 0));
  return {
    connections,
    dir: result.dir.startsWith(sweepDir) ? result.dir.slice(sweepDir.length + 1) : basename(result.dir),
    requests,
    requestsPerSecond: run.load?.requestsPerSecond ?? 0,
    threads: run.threads,
    rssBytes: result.rssBytes ?? null,
    idleConnections: idle.opened,
    idleBytesPerConnection: idle.bytesPerConnection,
    perRequest: requests > 0 ? perRequestByFamily(table, requests) : {},
    model: run.model,
  };
}

// Resident memory with N idle keep-alive connections minus without, per connection. A started command is run
// again untraced for this (the traced one is gone); an attached --pid is measured in place.
async function idleMemory(options: SweepOptions, port: number, count: number): Promise<{ opened: number; bytesPerConnection: number | null }> {
  const started = options.command ? await startTarget(options.command) : undefined;
  const pid = started?.process.pid ?? options.pid!;
  try {
    if (started) await waitForPort(port, { timeoutMs: 30_000, signal: options.signal, isAlive: () => !started.process.hasExited });
    const before = await treeResidentBytes(pid);
    const idle = await openIdleConnections({ port, count, path: pathOf(options.load!.url) });
    try {
      await sleep(IDLE_SETTLE_MS);
      const after = await treeResidentBytes(pid);
      const bytesPerConnection = before !== undefined && after !== undefined && idle.opened > 0 ? (after - before) / idle.opened : null;
      return { opened: idle.opened, bytesPerConnection };
    } finally {
      await idle.close();
    }
  } finally {
    await started?.process.stop();
  }
}

async function writeSummary(sweepDir: string, name: string, last: RunJson, levels: SweepLevel[]): Promise<void> {
  const run: RunJson = {
    ...last,
    name,
    sweep: levels,
    files: [RUN_JSON, ...levels.map((l) => join(l.dir, RUN_JSON))],
  };
  await writeFile(join(sweepDir, RUN_JSON), `${JSON.stringify(run, null, 2)}\n`);
  // createRunDirectory made raw/ for a run of its own; the levels keep their raw output in their own folders.
  await rmdir(join(sweepDir, 'raw')).catch(() => {});
}

/** The soft limit on open files of this process (the target inherits it), from /proc/self/limits. */
export async function openFileLimit(): Promise<number> {
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m) return 1024;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

function portOf(url: string): number | undefined {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : 80;
  } catch {
    return undefined;
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}
