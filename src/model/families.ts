// Syscall families: names grouped by what they do for a server, so that runtimes and architectures compare
// fairly (arm64 has only epoll_pwait and ppoll; Go writes with write, nginx with writev, Python with sendto).
import type { SyscallRow, SyscallTable } from './syscalls.js';

export type FamilyId =
  | 'futex'
  | 'epoll-wait'
  | 'poll-select'
  | 'read'
  | 'write'
  | 'accept'
  | 'thread-create'
  | 'sleep'
  | 'sched-yield'
  | 'epoll-ctl'
  | 'io-uring'
  | 'signals';

export interface Family {
  id: FamilyId;
  /** Row title in tables. */
  title: string;
  members: readonly string[];
}

export const FAMILIES: readonly Family[] = [
  { id: 'futex', title: 'futex', members: ['futex', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue'] },
  { id: 'epoll-wait', title: 'epoll wait', members: ['epoll_wait', 'epoll_pwait', 'epoll_pwait2'] },
  { id: 'poll-select', title: 'poll/select', members: ['poll', 'ppoll', 'select', 'pselect6', '_newselect'] },
  // pread64/preadv address files by offset, never sockets, so they stay out of the socket-read family.
  { id: 'read', title: 'read/recv', members: ['read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg'] },
  { id: 'write', title: 'write/send', members: ['write', 'writev', 'sendto', 'sendmsg', 'sendmmsg', 'sendfile', 'sendfile64'] },
  { id: 'accept', title: 'accept', members: ['accept', 'accept4'] },
  { id: 'thread-create', title: 'clone/fork', members: ['clone', 'clone3', 'fork', 'vfork'] },
  { id: 'sleep', title: 'nanosleep', members: ['nanosleep', 'clock_nanosleep'] },
  { id: 'sched-yield', title: 'sched_yield', members: ['sched_yield'] },
  { id: 'epoll-ctl', title: 'epoll_ctl', members: ['epoll_ctl'] },
  { id: 'io-uring', title: 'io_uring', members: ['io_uring_enter', 'io_uring_setup', 'io_uring_register'] },
  // Go preempts goroutines by signalling their thread; each preemption is a tgkill plus an rt_sigreturn.
  { id: 'signals', title: 'tgkill/sigreturn', members: ['tgkill', 'tkill', 'rt_sigreturn'] },
];

const FAMILY_OF = new Map<string, FamilyId>(FAMILIES.flatMap((f) => f.members.map((m) => [m, f.id] as const)));

export function familyOf(syscall: string): FamilyId | undefined {
  return FAMILY_OF.get(syscall);
}

export interface FamilyCount {
  calls: number;
  errors: number;
  /** Failures with EAGAIN/EWOULDBLOCK, when the source breaks errors down by errno. */
  eagain: number;
  seconds: number;
}

export type FamilyCounts = Record<FamilyId, FamilyCount>;

/** Sums a syscall table into families; syscalls outside every family only count in the table's totals. */
export function familyCounts(table: SyscallTable): FamilyCounts {
  const counts = Object.fromEntries(FAMILIES.map((f) => [f.id, { calls: 0, errors: 0, eagain: 0, seconds: 0 }])) as FamilyCounts;
  for (const row of table.rows) {
    const id = familyOf(row.name);
    if (!id) continue;
    const c = counts[id];
    c.calls += row.calls;
    c.errors += row.errors;
    c.eagain += eagainCount(row);
    c.seconds += row.seconds;
  }
  return counts;
}

export function eagainCount(row: SyscallRow): number {
  return (row.errnos.EAGAIN ?? 0) + (row.errnos.EWOULDBLOCK ?? 0);
}

/** Calls and errors of the syscalls outside every family (the "other syscalls" row). */
export function otherCounts(table: SyscallTable, families: FamilyCounts = familyCounts(table)): { calls: number; errors: number } {
  let calls = 0;
  let errors = 0;
  for (const f of FAMILIES) {
    calls += families[f.id].calls;
    errors += families[f.id].errors;
  }
  return { calls: table.totals.calls - calls, errors: table.totals.errors - errors };
}

/** EAGAIN/EWOULDBLOCK failures of the whole table. */
export function eagainTotal(table: SyscallTable): number {
  return table.rows.reduce((n, r) => n + eagainCount(r), 0);
}

/**
 * Whether EAGAIN can be counted: the table names errnos (bpftrace maps, strace logs), or it has no errors at all
 * and so nothing to break down. Only a table with errors but no errno names (strace -c) cannot tell.
 */
export function hasErrnoDetail(table: SyscallTable): boolean {
  return table.totals.errors === 0 || table.rows.some((r) => Object.keys(r.errnos).length > 0);
}
