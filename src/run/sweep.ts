// `trace --sweep connections=10,100,1000`: the same capture at several concurrency levels, to show how the
// cost per request and the memory per connection grow with connections.
//
// Layout: <sweep dir>/connections-<N>/ is each level's ordinary run directory; <sweep dir>/run.json is a
// summary whose `sweep` array holds one SweepLevel per level (compare and report.html draw curves from it)
// and whose other fields repeat the highest level's run, so every reader of run directories accepts it.
import { rmdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { measureIdleMemory, openFileLimit, type IdleMemory } from '../capture/idle-connections.js';
import type { TraceOptions } from '../capture/types.js';
import { buildSweepRunJson } from '../export/run-json.js';
import { processName } from '../capture/target.js';
import { NetprobeError } from '../model/errors.js';
import type { SweepLevel } from '../model/run.js';
import { perRequestByFamily } from '../report/normalise.js';
import { createRunDirectory, runName, writeRunJson } from './run-dir.js';
import { runTrace } from './trace.js';
import type { Run } from './types.js';

export interface SweepOptions extends TraceOptions {
  /** Connection counts to sweep, e.g. [10, 100, 1000]. */
  connections: number[];
}

/** File descriptors kept free beside the connections: stdio, tracer pipes, run files, the listener. */
const FD_RESERVE = 128;

export interface SweepResult {
  /** The sweep directory (its run.json holds the `sweep` levels). */
  dir: string;
  /** Each level's run, lowest connection count first. */
  runs: Run[];
  levels: SweepLevel[];
}

/** Runs every level (each an ordinary run directory) and writes the sweep summary. */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
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

  const name = options.name ?? runName(options.command, options.pid, options.pid !== undefined ? await processName(options.pid) : undefined);
  const sweepDir = await createRunDirectory(options.outDir, `${name}-sweep`);
  const port = options.port ?? portOf(options.load.url);
  const results: Run[] = [];
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
    let idle: IdleMemory = { opened: 0, bytesPerConnection: null };
    if (!result.interrupted && !options.signal?.aborted && port !== undefined) {
      say(`measuring memory of ${connections} idle connections`);
      idle = await measureIdleMemory({
        ...(options.command ? { command: options.command } : { pid: options.pid! }),
        port,
        count: connections,
        path: pathOf(options.load.url),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
    summary.push(levelOf(result, sweepDir, connections, idle));
    if (result.interrupted) break;
  }
  if (results.length > 0) {
    await writeRunJson(sweepDir, buildSweepRunJson(`${name} (sweep)`, results[results.length - 1]!.run, summary));
    // createRunDirectory made raw/ for a run of its own; the levels keep their raw output in their own folders.
    await rmdir(join(sweepDir, 'raw')).catch(() => {});
  }
  return { dir: sweepDir, runs: results, levels: summary };
}

function levelOf(result: Run, sweepDir: string, connections: number, idle: IdleMemory): SweepLevel {
  const { run } = result;
  const requests = run.load?.requests ?? 0;
  return {
    connections,
    dir: result.dir.startsWith(sweepDir) ? result.dir.slice(sweepDir.length + 1) : basename(result.dir),
    requests,
    requestsPerSecond: run.load?.requestsPerSecond ?? 0,
    threads: run.threads,
    rssBytes: result.rssBytes ?? null,
    idleConnections: idle.opened,
    idleBytesPerConnection: idle.bytesPerConnection,
    perRequest: requests > 0 ? perRequestByFamily(result.syscalls, requests) : {},
    model: run.model,
  };
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
