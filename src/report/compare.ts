// Side-by-side syscall patterns of several runs, by family, normalised per 1,000 requests when request counts
// are known (else per second of capture, else raw counts), with each run's network model; with `--offcpu` and
// `--latency` runs, also where their threads waited and how long their syscalls took.
import { eagainTotal, FAMILIES, familyCounts, hasErrnoDetail, otherCounts, type FamilyId } from '../model/families.js';
import type { LatencyTable } from '../model/latency.js';
import { COMPARE_PER_REQUESTS } from '../model/normalisation.js';
import { GO_WAITS, WAIT_KINDS, type GoWait, type OffcpuSummary, type WaitKind } from '../model/offcpu.js';
import type { ModelVerdict, SweepLevel } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';
import { classifyNetworkModel } from './classify.js';
import { latencyByFamily } from './latency.js';
import { divisorOf, normalisationOf, type Normalisation } from './normalise.js';

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
  /** Where the run's threads waited (run.json `offcpu`, from `--offcpu`). */
  offcpu?: OffcpuSummary;
  /** The run's per-syscall latency distributions (run.json `latency`, from `--latency`). */
  latency?: LatencyTable;
}

/** One level of `--sweep connections=...`, as stored in the summary run.json's `sweep` array. */
export type { SweepLevel };

export type { Normalisation };

export interface CompareColumn {
  name: string;
  backend: string | null;
  source: string | null;
  sourceFormat: string | null;
  /** `per-request` columns hold calls per COMPARE_PER_REQUESTS requests. */
  normalisation: Normalisation;
  requests: number | null;
  requestsPerSecond: number | null;
  durationSeconds: number | null;
  threads: number | null;
  model: ModelVerdict;
  /** Whether EAGAIN can be counted: false only when the run has errors without errno names (strace -c). */
  errnoDetail: boolean;
  /** Off-CPU time by wait kind, normalised as the column; absent when the run has no off-CPU capture. */
  offcpu?: ColumnOffcpu;
  /** Syscall latency by family id (members' buckets merged, p50/p99 read from them); absent without `--latency`. */
  latency?: LatencyTable;
}

/** Off-CPU seconds (summed over threads) divided as the column's counts are: per request, per second of capture, or not. */
export interface ColumnOffcpu {
  /** `seconds per request`, `seconds per second of capture` (threads blocked on average) or `seconds` (raw). */
  unit: OffcpuUnit;
  total: number;
  byKind: Record<WaitKind, number>;
  /** Go programs only: by the runtime's reason for parking the thread. */
  go: Record<GoWait, number> | null;
}

export type OffcpuUnit = 'seconds per request' | 'seconds per second of capture' | 'seconds';

const OFFCPU_UNIT: Record<Normalisation, OffcpuUnit> = {
  'per-request': 'seconds per request',
  'per-second': 'seconds per second of capture',
  raw: 'seconds',
};

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
  /** Caveats about comparing these columns at all (different backends), in words. */
  notes: string[];
}

/** Compares runs family by family; each column is normalised as well as its own data allows. */
export function compareRuns(runs: readonly CompareRun[]): Comparison {
  const columns: CompareColumn[] = [];
  const perColumn: Map<CompareRowId, number | null>[] = [];
  for (const run of runs) {
    const normalisation = normalisationOf(run);
    const divisor = divisorOf(run, normalisation);
    const scale = (normalisation === 'per-request' ? COMPARE_PER_REQUESTS : 1) / divisor;
    const families = familyCounts(run.syscalls);
    const errnoDetail = hasErrnoDetail(run.syscalls);
    const values = new Map<CompareRowId, number | null>();
    for (const f of FAMILIES) values.set(f.id, families[f.id].calls * scale);
    values.set('other', otherCounts(run.syscalls, families).calls * scale);
    values.set('total', run.syscalls.totals.calls * scale);
    values.set('errors', run.syscalls.totals.errors * scale);
    values.set('eagain', errnoDetail ? eagainTotal(run.syscalls) * scale : null);
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
      ...(run.offcpu ? { offcpu: offcpuOf(run.offcpu, normalisation, divisor) } : {}),
      ...(run.latency ? { latency: latencyByFamily(run.latency) } : {}),
    });
  }

  const ids: CompareRowId[] = [...FAMILIES.map((f) => f.id), 'other', 'total', 'errors', 'eagain'];
  const rows = ids
    .map((id) => ({ id, title: rowTitle(id), values: perColumn.map((v) => v.get(id) ?? null) }))
    // Families no run uses are noise in a comparison; the summary rows always stay.
    .filter((row) => !FAMILIES.some((f) => f.id === row.id) || row.values.some((v) => v !== null && v > 0));
  const sweeps = runs.filter((r) => r.sweep && r.sweep.length > 0).map((r) => ({ name: r.name, levels: r.sweep! }));
  const notes = crossBackendNotes(
    columns.map((c) => ({ name: c.name, backend: c.backend ?? undefined, threads: c.threads ?? undefined })),
    'column',
  );
  return { columns, rows, sweeps, notes };
}

// Off-CPU seconds divided as the column's counts are (per request, not per 1,000: wait times are small already).
function offcpuOf(o: OffcpuSummary, normalisation: Normalisation, divisor: number): ColumnOffcpu {
  const per = (n: number) => n / divisor;
  return {
    unit: OFFCPU_UNIT[normalisation],
    total: per(o.seconds),
    byKind: Object.fromEntries(WAIT_KINDS.map((k) => [k, per(o.byKind[k] ?? 0)])) as Record<WaitKind, number>,
    go: o.go ? (Object.fromEntries(GO_WAITS.map((k) => [k, per(o.go![k] ?? 0)])) as Record<GoWait, number>) : null,
  };
}

/** What each backend's thread count (run.json `threads`) counts. */
export const THREADS_COUNTED: Readonly<Record<string, string>> = {
  strace: 'every thread and process it attached to or followed, idle ones included',
  bpftrace: 'the threads that made a syscall during the capture',
  perf: 'the threads that made a syscall during the capture',
};

/**
 * Caveats when runs were captured by different backends: strace stops the target at every syscall, so its counts
 * are not those of the same program under bpftrace or perf, and each backend counts threads differently (redis
 * 7.0 under the same load: 2 threads under bpftrace, 5 under strace). `what` names a run in the notes.
 */
export function crossBackendNotes(runs: readonly { name: string; backend?: string; threads?: number }[], what: 'column' | 'run'): string[] {
  const known = runs.filter((r) => r.backend !== undefined && r.backend in THREADS_COUNTED);
  const backends = [...new Set(known.map((r) => r.backend!))];
  if (backends.length < 2) return [];
  const byBackend = backends.map((b) => `${b}: ${known.filter((r) => r.backend === b).map((r) => r.name).join(', ')}`);
  const why = backends.includes('strace')
    ? 'strace stops the target at every syscall, which slows it several times over and shifts its syscall mix (futex, epoll waits, EAGAIN reads per request)'
    : 'each probes the target differently (overhead, lost events)';
  const notes = [`${what}s from different backends (${byBackend.join('; ')}): ${why}; compare captures of one backend`];
  const withThreads = backends.filter((b) => known.some((r) => r.backend === b && r.threads !== undefined));
  if (new Set(withThreads.map((b) => THREADS_COUNTED[b])).size > 1) {
    notes.push(`thread counts differ in meaning: ${withThreads.map((b) => `${b} counts ${THREADS_COUNTED[b]}`).join('; ')}`);
  }
  return notes;
}

function rowTitle(id: CompareRowId): string {
  const family = FAMILIES.find((f) => f.id === id);
  if (family) return family.title;
  return { other: 'other syscalls', total: 'total', errors: 'errors', eagain: 'EAGAIN' }[id as 'other' | 'total' | 'errors' | 'eagain'];
}

/**
 * Column titles a reader can tell apart: runs sharing a name get their backend when the backends differ
 * (`go-nethttp [strace]`), and otherwise the shortest end of their path that differs.
 */
export function distinguishNames(runs: readonly CompareRun[]): CompareRun[] {
  const titles = runs.map((r) => r.name);
  for (const group of groupsOfEqual(titles)) {
    const backends = new Set(group.map((i) => runs[i]!.backend ?? 'unknown backend'));
    if (backends.size > 1) for (const i of group) titles[i] = `${runs[i]!.name} [${runs[i]!.backend ?? 'unknown backend'}]`;
  }
  for (const group of groupsOfEqual(titles)) {
    const suffixes = shortestDistinctSuffixes(group.map((i) => runs[i]!.source ?? ''));
    group.forEach((i, k) => {
      const suffix = suffixes[k];
      if (suffix === undefined) titles[i] = `${titles[i]} (${k + 1})`;
      else titles[i] = suffix.includes(runs[i]!.name) && titles[i] === runs[i]!.name ? suffix : `${titles[i]} (${suffix})`;
    });
  }
  return runs.map((r, i) => (titles[i] === r.name ? r : { ...r, name: titles[i]! }));
}

/** Indexes of the titles that occur more than once, grouped by title. */
function groupsOfEqual(titles: readonly string[]): number[][] {
  const byTitle = new Map<string, number[]>();
  titles.forEach((t, i) => byTitle.set(t, [...(byTitle.get(t) ?? []), i]));
  return [...byTitle.values()].filter((g) => g.length > 1);
}

// The fewest trailing path components that tell the paths apart; undefined for all when two paths are the same.
function shortestDistinctSuffixes(paths: readonly string[]): (string | undefined)[] {
  const parts = paths.map((p) => trimmedPath(p).split('/').filter((s) => s !== '' && s !== '.'));
  const longest = Math.max(...parts.map((p) => p.length));
  for (let k = 1; k <= longest; k++) {
    const suffixes = parts.map((p) => p.slice(-k).join('/'));
    if (new Set(suffixes).size === suffixes.length) return suffixes;
  }
  return paths.map(() => undefined);
}

function trimmedPath(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/run\.json$/, '');
}
