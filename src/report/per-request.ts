// Per-request normalisation: what each request costs in syscalls, so runs with different load compare.
import { topErrno, type SyscallTable } from '../model/syscalls.js';

export interface PerRequestRow {
  name: string;
  callsPerRequest: number;
  errorsPerRequest: number;
  /** The most frequent errno of the failed calls, and its share of them (0..1), when the source names errnos. */
  dominantErrno?: { errno: string; share: number };
  /** Time in the syscall per request, in seconds. */
  secondsPerRequest: number;
}

// Four decimals: 0.0001 calls/request is one call per 10k requests, below anything a reader acts on.
function round(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}

function checkRequests(requests: number): void {
  if (!(requests > 0) || !Number.isFinite(requests)) throw new RangeError(`requests must be a positive number, got ${requests}`);
}

/** `{ syscall: calls per request }` for run.json `perRequest`, in the table's order. */
export function countsPerRequest(table: SyscallTable, requests: number): Record<string, number> {
  checkRequests(requests);
  const out: Record<string, number> = {};
  for (const row of table.rows) out[row.name] = round(row.calls / requests);
  return out;
}

/** One row per syscall with calls, errors and time per request. */
export function perRequestRows(table: SyscallTable, requests: number): PerRequestRow[] {
  checkRequests(requests);
  return table.rows.map((row) => {
    const top = topErrno(row);
    const base: PerRequestRow = {
      name: row.name,
      callsPerRequest: round(row.calls / requests),
      errorsPerRequest: round(row.errors / requests),
      secondsPerRequest: row.seconds / requests,
    };
    if (top && row.errors > 0) base.dominantErrno = { errno: top.errno, share: Math.min(1, top.count / row.errors) };
    return base;
  });
}

/** Total syscalls per request. */
export function syscallsPerRequest(table: SyscallTable, requests: number): number {
  checkRequests(requests);
  return round(table.totals.calls / requests);
}
