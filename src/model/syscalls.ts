// Per-syscall counts: the shape shared by strace -c, strace logs, bpftrace maps, perf trace and run.json.

export interface SyscallRow {
  name: string;
  calls: number;
  errors: number;
  /** errno name -> count, e.g. { EAGAIN: 12 }; may be empty when the source does not break errors down. */
  errnos: Record<string, number>;
  /** Time spent in the syscall, in seconds (system time for strace -c without -w, wall time otherwise). */
  seconds: number;
}

export interface SyscallTotals {
  calls: number;
  errors: number;
  seconds: number;
}

export interface SyscallTable {
  rows: SyscallRow[];
  totals: SyscallTotals;
  /** Distinct threads seen, when the source tells. */
  threads?: number;
  /** Whether `seconds` is known at all (bpftrace count-only maps do not measure time). */
  hasTime: boolean;
  /**
   * Calls entered but not returned when the capture ended, by syscall (already in `calls`: a call counts when
   * it is made). exit and exit_group never return by design and are never in it. Absent when the source
   * cannot tell (strace -c, perf trace -s alone, pprof); `{}` when it can and none were.
   */
  inFlight?: Record<string, number>;
  /** What the source's counts leave out, in words (e.g. strace -c counts only calls that returned). */
  notes?: string[];
}

/** Syscalls that end the thread or process: made, never returned, never "in flight". */
export const NEVER_RETURNING: ReadonlySet<string> = new Set(['exit', 'exit_group']);

// Accumulates counts by syscall name; build() returns rows sorted by calls, then time, then name.
export class SyscallTableBuilder {
  private readonly rows = new Map<string, SyscallRow>();
  private readonly threadIds = new Set<string>();
  private inFlight: Map<string, number> | undefined;
  hasTime = false;

  add(name: string, calls: number, errors = 0, seconds = 0, errnos?: Record<string, number>): void {
    let row = this.rows.get(name);
    if (!row) {
      row = { name, calls: 0, errors: 0, errnos: {}, seconds: 0 };
      this.rows.set(name, row);
    }
    row.calls += calls;
    row.errors += errors;
    row.seconds += seconds;
    if (seconds > 0) this.hasTime = true;
    if (errnos) for (const [errno, n] of Object.entries(errnos)) addErrno(row, errno, n);
  }

  addErrno(name: string, errno: string, count: number): void {
    this.add(name, 0);
    addErrno(this.rows.get(name)!, errno, count);
  }

  seeThread(id: string | number): void {
    this.threadIds.add(String(id));
  }

  /** The source tells which calls were in flight at the end: the table gets `inFlight` (`{}` if none). */
  tracksInFlight(): void {
    this.inFlight ??= new Map();
  }

  /** A call still in flight when the capture ended; exit and exit_group are ignored (they never return). */
  addInFlight(name: string, count = 1): void {
    this.tracksInFlight();
    if (NEVER_RETURNING.has(name) || count <= 0) return;
    this.inFlight!.set(name, (this.inFlight!.get(name) ?? 0) + count);
  }

  build(threads?: number): SyscallTable {
    const rows = [...this.rows.values()].filter((r) => r.calls > 0 || r.errors > 0);
    const table = tableFromRows(rows, this.hasTime, threads ?? (this.threadIds.size || undefined));
    if (this.inFlight) table.inFlight = sortedCounts(this.inFlight);
    return table;
  }
}

function addErrno(row: SyscallRow, errno: string, count: number): void {
  row.errnos[errno] = (row.errnos[errno] ?? 0) + count;
}

export function tableFromRows(rows: SyscallRow[], hasTime: boolean, threads?: number): SyscallTable {
  const sorted = [...rows].sort(
    (a, b) => b.calls - a.calls || b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const totals = sorted.reduce<SyscallTotals>(
    (t, r) => ({ calls: t.calls + r.calls, errors: t.errors + r.errors, seconds: t.seconds + r.seconds }),
    { calls: 0, errors: 0, seconds: 0 },
  );
  totals.seconds = roundSeconds(totals.seconds);
  return threads === undefined ? { rows: sorted, totals, hasTime } : { rows: sorted, totals, hasTime, threads };
}

/** Counts by name, largest first (then by name), as a plain object for JSON. */
export function sortedCounts(counts: ReadonlyMap<string, number>): Record<string, number> {
  const entries = [...counts].filter(([, n]) => n > 0).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

// Sums of microsecond-precision floats drift; keep nanosecond precision.
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e9;
}

/** The errno with the most occurrences, or undefined. */
export function topErrno(row: SyscallRow): { errno: string; count: number } | undefined {
  let best: { errno: string; count: number } | undefined;
  for (const [errno, count] of Object.entries(row.errnos)) {
    if (!best || count > best.count) best = { errno, count };
  }
  return best;
}
