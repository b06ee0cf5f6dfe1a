// Side-by-side syscall patterns of several runs, by family, normalised per 1,000 requests when request counts
// are known (else per second of capture, else raw counts), with each run's network model.
import type { ModelVerdict, SweepLevel } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';
import { classifyNetworkModel } from './classify.js';
import { FAMILIES, familyCounts, hasErrnoDetail, type FamilyId } from './families.js';

export interface CompareRun {
  /** Column title: the run name or the file's basename. */
  name: string;
  syscalls: SyscallTable;
  /** Tracer that produced the counts (`strace`, `perf`, `bpftrace`), when known. */
  backend?: string;
  /** Where the run came from (the path the user gave). */
  source?: string;
  /** The kind of table, in words, e.g. `strace -c` or `bpftrace syscall counts`; named in notes about errnos. */
  sourceFormat?: string;
  requests?: number;
  requestsPerSecond?: number;
  /** Length of the capture in seconds. */
  durationSeconds?: number;
  threads?: number;
  /** Per-level results when the run is a sweep summary. */
  sweep?: SweepLevel[];
}

/** One level of `--sweep connections=...`, as stored in the summary run.json's `sweep` array. */
export type { SweepLevel };

export type Normalisation = 'per-1000-requests' | 'per-second' | 'raw';

export interface CompareColumn {
  name: string;
  backend: string | null;
  source: string | null;
  sourceFormat: string | null;
  normalisation: Normalisation;
  requests: number | null;
  requestsPerSecond: number | null;
  durationSeconds: number | null;
  threads: number | null;
  model: ModelVerdict;
  /** Whether EAGAIN can be counted: false only when the run has errors without errno names (strace -c). */
  errnoDetail: boolean;
}

export type CompareRowId = FamilyId | 'other' | 'total' | 'errors' | 'eagain';

export interface CompareRow {
  id: CompareRowId;
  title: string;
  /** One value per column, normalised as that column says; null when the source cannot tell. */
  values: (number | null)[];
}

export interface Comparison {
  columns: CompareColumn[];
  rows: CompareRow[];
  sweeps: { name: string; levels: SweepLevel[] }[];
}

/** Compares runs family by family; each column is normalised as well as its own data allows. */
export function compareRuns(runs: readonly CompareRun[]): Comparison {
  const columns: CompareColumn[] = [];
  const perColumn: Map<CompareRowId, number | null>[] = [];
  for (const run of runs) {
    const normalisation = normalisationOf(run);
    const scale = scaleOf(run, normalisation);
    const families = familyCounts(run.syscalls);
    const errnoDetail = hasErrnoDetail(run.syscalls);
    const values = new Map<CompareRowId, number | null>();
    let familyTotal = 0;
    for (const f of FAMILIES) {
      values.set(f.id, families[f.id].calls * scale);
      familyTotal += families[f.id].calls;
    }
    values.set('other', (run.syscalls.totals.calls - familyTotal) * scale);
    values.set('total', run.syscalls.totals.calls * scale);
    values.set('errors', run.syscalls.totals.errors * scale);
    values.set(
      'eagain',
      errnoDetail ? run.syscalls.rows.reduce((n, r) => n + (r.errnos.EAGAIN ?? 0) + (r.errnos.EWOULDBLOCK ?? 0), 0) * scale : null,
    );
    perColumn.push(values);
    const threads = run.threads ?? run.syscalls.threads ?? null;
    columns.push({
      name: run.name,
      backend: run.backend ?? null,
      source: run.source ?? null,
      sourceFormat: run.sourceFormat ?? null,
      normalisation,
      requests: run.requests ?? null,
      requestsPerSecond: run.requestsPerSecond ?? (run.requests && run.durationSeconds ? run.requests / run.durationSeconds : null),
      durationSeconds: run.durationSeconds ?? null,
      threads,
      model: classifyNetworkModel(run.syscalls, {
        ...(run.requests !== undefined ? { requests: run.requests } : {}),
        ...(threads !== null ? { threads } : {}),
        ...(run.sourceFormat !== undefined ? { source: run.sourceFormat } : {}),
      }),
      errnoDetail,
    });
  }

  const ids: CompareRowId[] = [...FAMILIES.map((f) => f.id), 'other', 'total', 'errors', 'eagain'];
  const rows = ids
    .map((id) => ({ id, title: rowTitle(id), values: perColumn.map((v) => v.get(id) ?? null) }))
    // Families no run uses are noise in a comparison; the summary rows always stay.
    .filter((row) => !FAMILIES.some((f) => f.id === row.id) || row.values.some((v) => v !== null && v > 0));
  const sweeps = runs.filter((r) => r.sweep && r.sweep.length > 0).map((r) => ({ name: r.name, levels: r.sweep! }));
  return { columns, rows, sweeps };
}

function normalisationOf(run: CompareRun): Normalisation {
  if (run.requests !== undefined && run.requests > 0) return 'per-1000-requests';
  if (run.durationSeconds !== undefined && run.durationSeconds > 0) return 'per-second';
  return 'raw';
}

function scaleOf(run: CompareRun, normalisation: Normalisation): number {
  if (normalisation === 'per-1000-requests') return 1000 / run.requests!;
  if (normalisation === 'per-second') return 1 / run.durationSeconds!;
  return 1;
}

function rowTitle(id: CompareRowId): string {
  const family = FAMILIES.find((f) => f.id === id);
  if (family) return family.title;
  return { other: 'other syscalls', total: 'total', errors: 'errors', eagain: 'EAGAIN' }[id as 'other' | 'total' | 'errors' | 'eagain'];
}

export function normalisationLabel(n: Normalisation): string {
  return { 'per-1000-requests': 'calls per 1,000 requests', 'per-second': 'calls per second of capture', raw: 'calls (raw counts)' }[n];
}

/** Calls per request by family (plus `total`), for sweep levels and report charts. */
export function perRequestByFamily(table: SyscallTable, requests: number): Record<string, number> {
  const families = familyCounts(table);
  const out: Record<string, number> = {};
  for (const f of FAMILIES) if (families[f.id].calls > 0) out[f.id] = families[f.id].calls / requests;
  out.total = table.totals.calls / requests;
  return out;
}
