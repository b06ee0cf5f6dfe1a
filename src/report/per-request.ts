// Per-request normalisation: what each request costs in syscalls, so runs with different load compare.
import type { SyscallTable } from '../model/syscalls.js';

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
