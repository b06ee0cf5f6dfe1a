// Normalisation: what a run's counts are divided by so runs with different load compare. One module for
// compare, check, sweeps and run.json `perRequest` (the words are in model/normalisation.ts).
import { FAMILIES, familyCounts } from '../model/families.js';
import type { Normalisation } from '../model/normalisation.js';
import type { SyscallTable } from '../model/syscalls.js';

export type { Normalisation };

/** What a run knows about the load its counts cover. */
export interface LoadFacts {
  requests?: number | null;
  /** Length of the capture window in seconds. */
  durationSeconds?: number | null;
}

function positive(n: number | null | undefined): n is number {
  return n !== undefined && n !== null && Number.isFinite(n) && n > 0;
}

/** The best normalisation every run in `runs` supports: per request only when all know their request count. */
export function normalisationOf(...runs: LoadFacts[]): Normalisation {
  if (runs.every((r) => positive(r.requests))) return 'per-request';
  if (runs.every((r) => positive(r.durationSeconds))) return 'per-second';
  return 'raw';
}

/** What to divide a run's counts by under `normalisation`. */
export function divisorOf(run: LoadFacts, normalisation: Normalisation): number {
  if (normalisation === 'per-request') return run.requests!;
  if (normalisation === 'per-second') return run.durationSeconds!;
  return 1;
}

// Four decimals: 0.0001 calls/request is one call per 10k requests, below anything a reader acts on.
function round4(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}

function checkRequests(requests: number): void {
  if (!positive(requests)) throw new RangeError(`requests must be a positive number, got ${requests}`);
}

/** `{ syscall: calls per request }` for run.json `perRequest`, in the table's order. */
export function countsPerRequest(table: SyscallTable, requests: number): Record<string, number> {
  checkRequests(requests);
  const out: Record<string, number> = {};
  for (const row of table.rows) out[row.name] = round4(row.calls / requests);
  return out;
}

/** Calls per request by family (plus `total`), for sweep levels and report charts. */
export function perRequestByFamily(table: SyscallTable, requests: number): Record<string, number> {
  checkRequests(requests);
  const families = familyCounts(table);
  const out: Record<string, number> = {};
  for (const f of FAMILIES) if (families[f.id].calls > 0) out[f.id] = families[f.id].calls / requests;
  out.total = table.totals.calls / requests;
  return out;
}
