// run.json and baseline files: the one typed reader of netprobe's own JSON (DESIGN.md "Run directory").
// Written by export/run-json.ts (trace, sweep summaries, `check --update-baseline`); read here for every
// command that accepts a run directory, a run.json or a baseline file.
//   {"schemaVersion": 1, "name": "server", "syscalls": [{"name": "read", "calls": 20000, ...}], ...}
//   -> a SyscallTable (rows, totals, threads) plus the run facts (requests, capture length, backend)
import { NetprobeError } from '../model/errors.js';
import { RUN_SCHEMA_VERSION, type RunJson, type SweepLevel } from '../model/run.js';
import { tableFromRows, type SyscallRow, type SyscallTable } from '../model/syscalls.js';
import type { ParseResult } from './types.js';

/** Parses run.json-shaped text; throws an input error naming `file` when it is not one. */
export function parseRunJson(text: string, file: string): RunJson {
  let run: RunJson;
  try {
    run = JSON.parse(text) as RunJson;
  } catch (cause) {
    throw new NetprobeError('input', `${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const valid =
    typeof run === 'object' &&
    run !== null &&
    Array.isArray(run.syscalls) &&
    run.syscalls.every((r) => typeof r?.name === 'string' && typeof r.calls === 'number');
  if (!valid) {
    throw new NetprobeError('input', `${file}: expected a netprobe run.json or baseline file with a \`syscalls\` array of {name, calls, ...}`, {
      hint: 'run.json is written by `netprobe trace`; a baseline by `netprobe check --baseline <file> --update-baseline <input>`.',
    });
  }
  if (typeof run.schemaVersion === 'number' && run.schemaVersion > RUN_SCHEMA_VERSION) {
    throw new NetprobeError('input', `${file}: schemaVersion ${run.schemaVersion} is newer than this netprobe understands`, {
      hint: 'Upgrade netprobe.',
    });
  }
  if (Array.isArray(run.sweep)) run.sweep = run.sweep.filter(isSweepLevel);
  return run;
}

/** The syscall table a run.json holds (rows, totals, threads, calls in flight at the end). */
export function syscallTableOfRun(run: Pick<RunJson, 'syscalls' | 'threads' | 'inFlight'>): SyscallTable {
  const rows: SyscallRow[] = run.syscalls.map((r) => ({
    name: String(r.name),
    calls: Number(r.calls) || 0,
    errors: Number(r.errors) || 0,
    errnos: { ...(r.errnos ?? {}) },
    seconds: Number(r.seconds) || 0,
  }));
  const threads = typeof run.threads === 'number' ? run.threads : undefined;
  const table = tableFromRows(rows, rows.some((r) => r.seconds > 0), threads);
  const inFlight = inFlightOf(run.inFlight);
  return inFlight ? { ...table, inFlight } : table;
}

// Only non-negative integer counts: a hand-edited or foreign file must not put text into the table.
function inFlightOf(value: unknown): Record<string, number> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => Number.isInteger(e[1]) && (e[1] as number) > 0));
}

/** A run.json (or baseline) as a parse result: its syscall table and the facts other inputs lack. */
export function runJsonResult(run: RunJson): ParseResult {
  const syscalls = syscallTableOfRun(run);
  const meta = {
    name: run.name,
    requests: run.load?.requests,
    requestsPerSecond: run.load?.requestsPerSecond,
    // The capture window, not the whole run: with --port the target's startup is not in the counts.
    durationSeconds: run.capture?.seconds ?? run.durationSeconds,
    threads: syscalls.threads,
    backend: run.backend,
    run,
  };
  return { format: 'run', syscalls, meta };
}

function isSweepLevel(value: unknown): value is SweepLevel {
  const v = value as SweepLevel;
  return typeof v === 'object' && v !== null && typeof v.connections === 'number' && typeof v.perRequest === 'object';
}
