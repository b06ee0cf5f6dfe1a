// The JSON shape of a syscall table, shared by `summary --json`, `convert --format json` and run.json.
import type { SyscallRow, SyscallTable, SyscallTotals } from '../model/syscalls.js';

export interface SyscallsJson {
  syscalls: SyscallRow[];
  totals: SyscallTotals;
  threads: number | null;
}

export function syscallsJson(table: SyscallTable): SyscallsJson {
  return {
    syscalls: table.rows.map((r) => ({ name: r.name, calls: r.calls, errors: r.errors, errnos: { ...r.errnos }, seconds: r.seconds })),
    totals: { ...table.totals },
    threads: table.threads ?? null,
  };
}
