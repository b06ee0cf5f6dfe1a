// The run.json object (DESIGN.md "Run directory"): its only builder, so trace, sweep summaries and check's
// baselines write the same shape.
import { RUN_SCHEMA_VERSION, type LoadResult, type ModelVerdict, type RunCapture, type RunJson, type RunsSummary, type SweepLevel } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';
import { syscallsJson } from './json.js';

/** run.json as netprobe writes it: the shared fields plus `inFlight`, `capture` and `interrupted`. */
export type NetprobeRunJson = RunJson & { inFlight: Record<string, number> | null; capture: RunCapture; interrupted: boolean };
export type { RunCapture };

export interface RunJsonInput {
  exporter: string;
  name: string;
  command: string[] | null;
  backend: string;
  startedAt: Date;
  durationSeconds: number;
  target: RunJson['target'];
  load: LoadResult | null;
  syscalls: SyscallTable;
  /** Calls per request by syscall, when the request count is known. */
  perRequest: Record<string, number> | null;
  model: ModelVerdict;
  overhead: RunJson['overhead'];
  capture: RunCapture;
  interrupted: boolean;
  /** Paths relative to the run directory. */
  files: string[];
  /** With --offcpu: where threads waited. */
  offcpu?: RunJson['offcpu'];
  /** With --latency: per-syscall latency distributions. */
  latency?: RunJson['latency'];
}

export function buildRunJson(input: RunJsonInput): NetprobeRunJson {
  const table = syscallsJson(input.syscalls);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    exporter: input.exporter,
    name: input.name,
    command: input.command,
    backend: input.backend,
    startedAt: input.startedAt.toISOString(),
    durationSeconds: roundMillis(input.durationSeconds),
    target: input.target,
    load: input.load,
    syscalls: table.syscalls,
    totals: table.totals,
    inFlight: table.inFlight ?? null,
    perRequest: input.perRequest,
    threads: table.threads,
    model: input.model,
    overhead: input.overhead,
    capture: { ...input.capture, seconds: roundMillis(input.capture.seconds) },
    interrupted: input.interrupted,
    ...(input.offcpu ? { offcpu: input.offcpu } : {}),
    ...(input.latency ? { latency: input.latency } : {}),
    files: [...input.files].sort(),
  };
}

export interface BaselineJsonInput {
  exporter: string;
  name: string;
  command: string[] | null;
  backend: string;
  startedAt?: string;
  /** The capture window's length, so per-second checks read the same length back. */
  durationSeconds: number;
  load: LoadResult | null;
  syscalls: SyscallTable;
  perRequest: Record<string, number> | null;
  model: ModelVerdict;
  /** Latency distributions of the run (`--latency`), so a later check can gate on them. */
  latency?: RunJson['latency'];
  /** Wait time of the run (`--offcpu`). */
  offcpu?: RunJson['offcpu'];
  /** Written from several runs (`--runs N`): the median and range per check; the rest is the median run. */
  runs?: RunsSummary;
}

/**
 * A baseline file (`check --update-baseline`): the run.json fields a check reads (syscalls, totals, load,
 * capture length, threads) plus name, command, backend and model for the reader. No `files`: nothing else
 * travels with a baseline.
 */
export function buildBaselineJson(input: BaselineJsonInput): Omit<RunJson, 'files' | 'target' | 'overhead' | 'startedAt'> & { startedAt?: string } {
  const table = syscallsJson(input.syscalls);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    exporter: input.exporter,
    name: input.name,
    command: input.command,
    backend: input.backend,
    ...(input.startedAt ? { startedAt: input.startedAt } : {}),
    durationSeconds: input.durationSeconds,
    load: input.load,
    syscalls: table.syscalls,
    totals: table.totals,
    perRequest: input.perRequest,
    threads: table.threads,
    model: input.model,
    ...(input.latency ? { latency: input.latency } : {}),
    ...(input.offcpu ? { offcpu: input.offcpu } : {}),
    ...(input.runs ? { runs: input.runs } : {}),
  };
}

/**
 * A sweep directory's run.json: the levels in `sweep`, every other field the highest level's run, so every
 * reader of run directories accepts it; `files` lists the levels' run.json files.
 */
export function buildSweepRunJson(name: string, last: RunJson, levels: SweepLevel[]): RunJson {
  return { ...last, name, sweep: levels, files: ['run.json', ...levels.map((l) => `${l.dir}/run.json`)] };
}

/** traced/untraced throughput, or null when either is unknown. */
export function overheadRatio(tracedRps: number | undefined, untracedRps: number | undefined): RunJson['overhead'] {
  if (!(tracedRps! > 0) || !(untracedRps! > 0)) return null;
  return { tracedRps: roundMillis(tracedRps!), untracedRps: roundMillis(untracedRps!), ratio: Math.round((tracedRps! / untracedRps!) * 1000) / 1000 };
}

function roundMillis(n: number): number {
  return Math.round(n * 1000) / 1000;
}
