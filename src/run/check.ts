// What `check` measures: any syscall input, a run just captured (in memory), or a baseline file; and the
// baseline file `--update-baseline` writes (through export/run-json.ts, the one run.json builder).
import { basename } from 'node:path';
import { buildBaselineJson } from '../export/run-json.js';
import type { RunJson } from '../model/run.js';
import type { ParseWarning } from '../parse/types.js';
import { renderCheckJunit } from '../render/check-junit.js';
import { renderCheckJson, renderCheckMarkdown } from '../render/check-table.js';
import { summariseRuns, type CheckMeasurement, type CheckResult } from '../report/check.js';
import { classifyNetworkModel } from '../report/classify.js';
import { countsPerRequest } from '../report/normalise.js';
import { backendOf } from './compare-input.js';
import { readInput } from './input.js';
import { syscallTableOf } from './profiles.js';
import type { Run } from './types.js';
import { appendFileAtomic, writeFileAtomic } from './write.js';

export interface LoadedMeasurement {
  measurement: CheckMeasurement;
  /** The input's format (`run` for run directories, run.json and baseline files). */
  format: string;
  /** The run.json (or baseline file) the measurement came from, when it did. */
  run?: RunJson;
}

/** Any syscall source, plus run.json-shaped files (written by --update-baseline) under any name. */
export async function readMeasurement(path: string, onWarning: (w: ParseWarning) => void): Promise<LoadedMeasurement> {
  const loaded = await readInput(path, { onWarning, need: 'syscalls' });
  const syscalls = syscallTableOf(loaded);
  const meta = loaded.meta ?? {};
  return {
    format: loaded.format,
    ...(meta.run ? { run: meta.run } : {}),
    measurement: {
      name: displayName(path),
      syscalls,
      ...(meta.requests ? { requests: meta.requests } : {}),
      ...(meta.durationSeconds ? { durationSeconds: meta.durationSeconds } : {}),
      ...(meta.threads ? { threads: meta.threads } : {}),
      ...(meta.run?.capture?.lost ? { lost: meta.run.capture.lost } : {}),
      ...(meta.run?.runs ? { runs: meta.run.runs } : {}),
      ...identity(backendOf(meta.backend ?? meta.run?.backend, loaded.format), meta.run?.command),
    },
  };
}

/** A run just captured, measured as readMeasurement would measure its directory. */
export function measurementOfRun(result: Run, shownDir: string): LoadedMeasurement {
  const { run, syscalls } = result;
  // The capture window, not the whole run: with --port the target's startup is not in the counts.
  const durationSeconds = run.capture?.seconds ?? run.durationSeconds;
  return {
    format: 'run',
    run,
    measurement: {
      name: displayName(shownDir),
      syscalls,
      ...(run.load?.requests ? { requests: run.load.requests } : {}),
      ...(durationSeconds ? { durationSeconds } : {}),
      ...(syscalls.threads ? { threads: syscalls.threads } : {}),
      ...(run.capture?.lost ? { lost: run.capture.lost } : {}),
      ...identity(run.backend, run.command),
    },
  };
}

// Which tracer and which program: a check across either compares something else than a change (notes say so).
function identity(backend: string | undefined, command: readonly string[] | null | undefined): { backend?: string; program?: string } {
  const program = programOf(command);
  return { ...(backend ? { backend } : {}), ...(program ? { program } : {}) };
}

const INTERPRETERS = /^(python[\d.]*|pypy[\d.]*|node|nodejs|bun|deno|ruby|perl|php|java|sh|bash|dash)$/;

/**
 * The program a command runs, as a reader names it: the executable's name, or for an interpreter the script or
 * module it runs (`python3 server.py 8080` -> `python3 server.py`). Arguments such as ports do not count.
 */
export function programOf(command: readonly string[] | null | undefined): string | undefined {
  if (!Array.isArray(command) || typeof command[0] !== 'string' || command[0] === '') return undefined;
  const exe = basename(command[0]);
  if (!INTERPRETERS.test(exe)) return exe;
  const script = command.slice(1).find((a) => typeof a === 'string' && !a.startsWith('-'));
  return script === undefined ? exe : `${exe} ${basename(script)}`;
}

/**
 * Writes the baseline file atomically; replacing it is the point of --update-baseline, so no --force. From
 * several runs (`--runs N`) it stores their median and range per check, and the run closest to the median
 * total as its syscall table, so other commands read it as one real run.
 */
export async function writeBaseline(path: string, runs: LoadedMeasurement | readonly LoadedMeasurement[], exporter: string): Promise<void> {
  const all: readonly LoadedMeasurement[] = Array.isArray(runs) ? runs : [runs as LoadedMeasurement];
  const current = all.length === 1 ? all[0]! : medianRun(all);
  const { measurement: m, run, format } = current;
  const json = buildBaselineJson({
    exporter,
    name: run?.name ?? basename(m.name),
    command: run?.command ?? null,
    // For a file input, what produced the counts (strace-summary, bpftrace, ...).
    backend: run?.backend ?? format,
    ...(run?.startedAt ? { startedAt: run.startedAt } : {}),
    // The capture window (as readInput reads it back), so that per-second checks read the same length back.
    durationSeconds: m.durationSeconds ?? 0,
    load: run?.load ?? null,
    syscalls: m.syscalls,
    perRequest: m.requests ? countsPerRequest(m.syscalls, m.requests) : null,
    model: classifyNetworkModel(m.syscalls, { ...(m.requests ? { requests: m.requests } : {}), ...(m.threads ? { threads: m.threads } : {}) }),
    // Carried so that a later check can gate on time as well as counts.
    ...(run?.latency ? { latency: run.latency } : {}),
    ...(run?.offcpu ? { offcpu: run.offcpu } : {}),
    ...(all.length > 1 ? { runs: summariseRuns(all.map((r) => r.measurement)) } : {}),
  });
  await writeFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`);
}

/** The run whose total calls (per request when every run knows its requests) is the median of all. */
function medianRun(runs: readonly LoadedMeasurement[]): LoadedMeasurement {
  const perRequest = runs.every((r) => (r.measurement.requests ?? 0) > 0);
  const total = (r: LoadedMeasurement) => r.measurement.syscalls.totals.calls / (perRequest ? r.measurement.requests! : 1);
  const sorted = [...runs].sort((a, b) => total(a) - total(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Where `check` writes its reports besides stdout; each is optional. */
export interface CheckReportFiles {
  /** JUnit XML, replaced. */
  junit?: string;
  /** Markdown, replaced. */
  markdown?: string;
  /** The result as JSON, replaced. */
  json?: string;
  /** GitHub's job summary file ($GITHUB_STEP_SUMMARY): the Markdown is appended. */
  stepSummary?: string;
}

/** Writes the check's report files, each atomically (the job summary by rewriting it whole with the table added). */
export async function writeCheckReports(result: CheckResult, files: CheckReportFiles): Promise<void> {
  if (files.junit !== undefined) await writeFileAtomic(files.junit, renderCheckJunit(result));
  if (files.markdown !== undefined) await writeFileAtomic(files.markdown, renderCheckMarkdown(result));
  if (files.json !== undefined) await writeFileAtomic(files.json, renderCheckJson(result));
  if (files.stepSummary !== undefined) await appendFileAtomic(files.stepSummary, `${renderCheckMarkdown(result)}\n`);
}

function displayName(path: string): string {
  return path === '-' ? 'stdin' : path.replace(/\/+$/, '');
}
