// The bpftrace program netprobe runs for `trace --latency`: per-syscall latency distributions, in the kernel.
//
// Printed on exit (SIGINT to bpftrace, or when the target's main thread exits), in bpftrace's text format:
//   @lat[<nr>]:                           syscall number (this machine's table) -> log2 histogram of the
//   [512K, 1M)           3 |@@     |     nanoseconds from sys_enter to sys_exit of each completed call
//   @latmax[<nr>]: <nanoseconds>          the slowest completed call
// Only completed calls count: exit and exit_group never reach sys_exit, and a call still blocked when the
// capture ends has no latency yet. The call is named by sys_exit's id, as the counting script's @ns does: it
// is -1 after rt_sigreturn (the kernel resets orig_ax), so rt_sigreturn has no distribution.
// Cost per syscall of a traced thread: one map update at entry; one lookup, one delete and the two aggregations
// (per-CPU, no locks) at exit. Calls of other processes pay the @track (or pid) test and one lookup at exit.
// Before the maps, the first line after `Attaching N probes...` is BPFTRACE_READY_LINE, as in the counting script:
// bpftrace runs BEGIN once every probe is attached, so a spawner that waits for it loses no early calls (and no
// map after it means no call completed). Temporary maps (@start, @track) are cleared in END so that they are
// not printed.
// Reference: bpftrace 0.17 reference guide (hist, max, if), https://github.com/bpftrace/bpftrace/blob/v0.17.0/docs/reference_guide.md
import { BPFTRACE_READY_LINE } from './bpftrace-script.js';

export interface BpftraceLatencyScriptOptions {
  /** Target process id (tgid); all of its threads are traced. */
  pid: number;
  /** Also trace processes the target forks, and their children. */
  followChildren: boolean;
  /**
   * Processes descending from the target that exist already (pre-forked workers): traced from BEGIN on,
   * with their threads and children. Only with `followChildren` (default none).
   */
  descendants?: readonly number[];
}

/** The bpftrace program text for one latency capture. */
export function bpftraceLatencyScript(options: BpftraceLatencyScriptOptions): string {
  const { pid, followChildren } = options;
  const descendants = options.descendants ?? [];
  for (const p of [pid, ...descendants]) if (!Number.isSafeInteger(p) || p <= 0) throw new RangeError(`pid must be a positive integer, got ${p}`);
  if (descendants.length > 0 && !followChildren) throw new RangeError('descendants are traced only with followChildren');

  // bpftrace's `pid` is the tgid, so one comparison covers every thread of the target.
  const traced = followChildren ? '@track[pid]' : `pid == ${pid}`;
  const seeds = followChildren ? [pid, ...descendants].map((p) => ` @track[${p}] = 1;`).join('') : '';
  const lines = [`BEGIN {${seeds} printf("${BPFTRACE_READY_LINE}\\n"); }`];
  if (followChildren) {
    // parent_pid is the forking thread's tid; `pid` (its tgid) is what @track holds. Threads land here too.
    lines.push('tracepoint:sched:sched_process_fork /@track[pid]/ { @track[args->child_pid] = 1; }');
  }
  lines.push(
    `tracepoint:raw_syscalls:sys_enter /${traced}/ { @start[tid] = nsecs; }`,
    // No predicate: `if` on one lookup instead of a predicate lookup plus a body lookup. A start is deleted
    // once used: a sys_exit without its sys_enter (a call seccomp refused) must not pair with an old start.
    'tracepoint:raw_syscalls:sys_exit {',
    '  $start = @start[tid];',
    '  if ($start != 0) {',
    '    $ns = nsecs - $start;',
    '    delete(@start[tid]);',
    '    if (args->id >= 0) { @lat[args->id] = hist($ns); @latmax[args->id] = max($ns); }',
    '  }',
    '}',
    // exit and exit_group never reach sys_exit: drop their start times, and exiting threads' @track entries.
    'tracepoint:sched:sched_process_exit /@start[tid]/ { delete(@start[tid]); }',
    ...(followChildren ? ['tracepoint:sched:sched_process_exit /tid != pid && @track[tid]/ { delete(@track[tid]); }'] : []),
    `tracepoint:sched:sched_process_exit /pid == ${pid} && tid == ${pid}/ { exit(); }`,
    `END { clear(@start);${followChildren ? ' clear(@track);' : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
