// What compare (and demo) take from a loaded input or an in-memory run: one CompareRun per column, and for
// a sweep directory one column per level plus its curve.
import { basename, dirname, join } from 'node:path';
import { NetprobeError } from '../model/errors.js';
import type { LatencyTable, SyscallLatency } from '../model/latency.js';
import type { OffcpuSummary } from '../model/offcpu.js';
import type { RunJson, SweepLevel } from '../model/run.js';
import type { InputFormat, ParseWarning } from '../parse/types.js';
import type { CompareRun } from '../report/compare.js';
import { readInput, type LoadedInput } from './input.js';
import type { Run } from './types.js';

/** The columns one input contributes: one run, or for a sweep directory one run per level plus the sweep itself. */
export async function loadCompareInput(
  path: string,
  onWarning: (w: ParseWarning) => void,
): Promise<{ runs: CompareRun[]; sweep?: { name: string; levels: SweepLevel[] } }> {
  const run = compareRunFromInput(await readInput(path, { onWarning, need: 'syscalls' }), path);
  if (!run.sweep) return { runs: [run] };
  const sweep = { name: run.name.replace(/ \(sweep\)$/, ''), levels: run.sweep };
  const base = /(^|\/)run\.json$/.test(path) ? dirname(path) : path;
  const levels: CompareRun[] = [];
  for (const level of run.sweep) {
    const dir = join(base, level.dir);
    const loaded = await readInput(dir, { onWarning }).catch(() => undefined);
    // Level directories moved away: only the summary is left, and its counts are the last level's.
    if (!loaded?.syscalls) {
      const last = run.sweep[run.sweep.length - 1]!;
      const { sweep: _levels, ...summary } = run;
      return { runs: [{ ...summary, name: `${sweep.name} @ ${last.connections} connections (last sweep level)` }], sweep };
    }
    levels.push(compareRunFromInput(loaded, dir));
  }
  return { runs: levels, sweep };
}

/** What compare needs from any loaded input; run directories also bring requests, duration, threads and sweeps. */
export function compareRunFromInput(loaded: LoadedInput, path: string): CompareRun {
  if (!loaded.syscalls) {
    throw new NetprobeError('input', `${loaded.file} has no syscall counts to compare (it is a ${loaded.format} input)`, {
      hint: 'compare reads strace -c output, strace logs, bpftrace syscall counts, syscall pprof profiles and run directories.',
    });
  }
  const meta = loaded.meta ?? {};
  const run = meta.run;
  const requests = meta.requests ?? run?.load?.requests;
  const durationSeconds = meta.durationSeconds ?? run?.load?.durationSeconds ?? run?.durationSeconds;
  const requestsPerSecond = meta.requestsPerSecond ?? run?.load?.requestsPerSecond;
  const threads = meta.threads ?? run?.threads ?? undefined;
  const sweep = run?.sweep ?? [];
  const backend = backendOf(meta.backend ?? run?.backend, loaded.format);
  const sourceFormat = sourceFormatOf(loaded.format, run);
  return {
    name: meta.name ?? run?.name ?? displayName(path),
    syscalls: loaded.syscalls,
    source: path === '-' ? 'stdin' : path,
    ...(backend ? { backend } : {}),
    ...(sourceFormat ? { sourceFormat } : {}),
    ...(requests ? { requests } : {}),
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(requestsPerSecond ? { requestsPerSecond } : {}),
    ...(threads ? { threads } : {}),
    ...(sweep.length > 0 ? { sweep } : {}),
    ...(isOffcpuSummary(run?.offcpu) ? { offcpu: run.offcpu } : {}),
    ...(isLatencyTable(run?.latency) ? { latency: run.latency } : {}),
  };
}

// run.json is user input: a hand-edited or truncated `offcpu`/`latency` is left out rather than crashing the comparison.
function isOffcpuSummary(o: unknown): o is OffcpuSummary {
  const v = o as Partial<OffcpuSummary> | null | undefined;
  return typeof v?.seconds === 'number' && typeof v.byKind === 'object' && v.byKind !== null;
}

function isLatencyTable(t: unknown): t is LatencyTable {
  return (
    typeof t === 'object' &&
    t !== null &&
    Object.values(t).every((l: Partial<SyscallLatency> | null) => typeof l?.p50 === 'number' && Array.isArray(l.buckets) && l.buckets.every((b) => Array.isArray(b) && b.length === 3))
  );
}

const BACKEND_OF_FORMAT: Partial<Record<string, string>> = {
  'strace-summary': 'strace',
  'strace-log': 'strace',
  'perf-trace-summary': 'perf',
  bpftrace: 'bpftrace',
};

/**
 * The tracer behind an input: a run's backend, else the tool its format comes from. A baseline written from a
 * file input stores that file's format as its backend (`strace-summary`), which names the tool too.
 */
export function backendOf(backend: string | undefined, format: InputFormat): string | undefined {
  if (backend !== undefined && backend !== 'run') return BACKEND_OF_FORMAT[backend] ?? backend;
  return BACKEND_OF_FORMAT[format];
}

const FORMAT_WORDS: Partial<Record<InputFormat, string>> = {
  'strace-summary': 'strace -c',
  'strace-log': 'strace log',
  'perf-trace-summary': 'perf trace -s',
  bpftrace: 'bpftrace output',
  pprof: 'pprof profile',
};

// A run directory's counts come from the raw file its backend wrote.
const RAW_FILE_WORDS: [file: string, words: string][] = [
  ['raw/strace-summary.txt', 'strace -c'],
  ['raw/strace.log', 'strace log'],
  ['raw/perf-trace-summary.txt', 'perf trace -s'],
  ['raw/bpftrace.txt', 'bpftrace output'],
];

function sourceFormatOf(format: InputFormat, run: RunJson | undefined): string | undefined {
  if (format !== 'run') return FORMAT_WORDS[format];
  return runSourceFormat(run);
}

function runSourceFormat(run: RunJson | undefined): string | undefined {
  const files = Array.isArray(run?.files) ? run.files : [];
  return RAW_FILE_WORDS.find(([file]) => files.includes(file))?.[1] ?? (run?.backend ? `${run.backend} backend` : undefined);
}

/** A run just captured, as a compare column: no re-reading of the directory it was written to. */
export function compareRunOf(result: Run, name: string): CompareRun {
  const { run } = result;
  const sourceFormat = runSourceFormat(run);
  const durationSeconds = run.capture?.seconds ?? run.durationSeconds;
  const threads = result.syscalls.threads;
  return {
    name,
    syscalls: result.syscalls,
    source: result.dir,
    backend: run.backend,
    ...(sourceFormat ? { sourceFormat } : {}),
    ...(run.load?.requests ? { requests: run.load.requests } : {}),
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(run.load?.requestsPerSecond ? { requestsPerSecond: run.load.requestsPerSecond } : {}),
    ...(threads ? { threads } : {}),
    ...(run.offcpu ? { offcpu: run.offcpu } : {}),
    ...(run.latency ? { latency: run.latency } : {}),
  };
}

function displayName(path: string): string {
  if (path === '-') return 'stdin';
  return basename(trimmedPath(path));
}

function trimmedPath(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/run\.json$/, '');
}

