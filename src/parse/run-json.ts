// run.json and baseline files: the one typed reader of netprobe's own JSON (DESIGN.md "Run directory").
// Written by export/run-json.ts (trace, sweep summaries, `check --update-baseline`); read here for every
// command that accepts a run directory, a run.json or a baseline file.
//   {"schemaVersion": 1, "name": "server", "syscalls": [{"name": "read", "calls": 20000, ...}], ...}
//   -> a SyscallTable (rows, totals, threads) plus the run facts (requests, capture length, backend)
import { NetprobeError } from '../model/errors.js';
import { RUN_SCHEMA_VERSION, type RunJson, type RunsSummary, type SweepLevel } from '../model/run.js';
import { tableFromRows, type SyscallRow, type SyscallTable } from '../model/syscalls.js';
import type { ParseResult } from './types.js';

/** Parses run.json-shaped text; throws an input error naming `file` when it is not one. */
export function parseRunJson(text: string, file: string): RunJson {
  let run: RunJson;
  try {
    run = JSON.parse(text) as RunJson;
  } catch (cause) {
    const message = (cause as Error).message.replace(/\n/g, '\\n');
    throw new NetprobeError('input', `${file}:${jsonErrorLine(text, cause as Error)}: not valid JSON (${message})`, { cause });
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
  checkCounts(run, file);
  if (typeof run.schemaVersion === 'number' && run.schemaVersion > RUN_SCHEMA_VERSION) {
    throw new NetprobeError('input', `${file}: schemaVersion ${run.schemaVersion} is newer than this netprobe understands`, {
      hint: 'Upgrade netprobe.',
    });
  }
  if (Array.isArray(run.sweep)) run.sweep = run.sweep.filter(isSweepLevel);
  if (run.runs !== undefined) {
    const runs = runsSummaryOf(run.runs);
    if (runs) run.runs = runs;
    else delete run.runs;
  }
  return run;
}

// JSON.parse names a position (`... in JSON at position 1234`) or quotes the text around the error (V8: up to 10
// characters either side, `...` where it cut); people look for lines.
function jsonErrorLine(text: string, cause: Error): number {
  const at = /position (\d+)/.exec(cause.message);
  let position = at ? Number(at[1]) : -1;
  const quoted = /^Unexpected token '(.+?)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(cause.message);
  if (position < 0 && quoted) {
    const start = text.indexOf(quoted[3]!);
    if (start >= 0) position = start + (quoted[2] ? 10 : Math.max(0, quoted[3]!.indexOf(quoted[1]!)));
  }
  if (position < 0) return 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < position; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Whole non-negative counts, finite non-negative seconds: -1, 1e308 or "∞" calls are refused, not printed. */
function checkCounts(run: RunJson, file: string): void {
  const count = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
  const seconds = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e9);
  run.syscalls.forEach((r, i) => {
    const bad =
      !count(r.calls) ? ['calls', r.calls] : !count(r.errors) ? ['errors', r.errors] : !seconds(r.seconds) ? ['seconds', r.seconds] : Object.entries(r.errnos ?? {}).find(([, n]) => !count(n));
    if (bad) {
      throw new NetprobeError('input', `${file}: syscalls[${i}] (${r.name}): expected ${bad[0]} to be a whole number of at least 0${bad[0] === 'seconds' ? ' (seconds: a finite duration)' : ''}, got ${JSON.stringify(bad[1]) ?? String(bad[1])}`, {
        hint: 'run.json files are written by netprobe; this one was edited or damaged.',
      });
    }
  });
  if (run.load && run.load.requests !== undefined && run.load.requests !== null && !count(run.load.requests)) {
    throw new NetprobeError('input', `${file}: expected load.requests to be a whole number of at least 0, got ${JSON.stringify(run.load.requests)}`);
  }
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

// A baseline's medians decide a gate: only a well-formed summary counts, numbers only; anything else is dropped
// and the check falls back to the baseline's syscall table.
function runsSummaryOf(value: unknown): RunsSummary | undefined {
  const v = value as RunsSummary;
  if (typeof v !== 'object' || v === null || !Number.isInteger(v.count) || v.count < 1) return undefined;
  if (v.normalisation !== 'per-request' && v.normalisation !== 'per-second' && v.normalisation !== 'raw') return undefined;
  if (typeof v.checks !== 'object' || v.checks === null) return undefined;
  const checks: RunsSummary['checks'] = {};
  for (const [id, s] of Object.entries(v.checks)) {
    const ok = typeof s === 'object' && s !== null && [s.median, s.min, s.max].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
    if (ok) checks[id] = { median: s.median, min: s.min, max: s.max };
  }
  return { count: v.count, normalisation: v.normalisation, checks };
}

function isSweepLevel(value: unknown): value is SweepLevel {
  const v = value as SweepLevel;
  return typeof v === 'object' && v !== null && typeof v.connections === 'number' && typeof v.perRequest === 'object';
}
