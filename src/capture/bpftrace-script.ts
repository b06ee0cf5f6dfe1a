// The bpftrace program netprobe runs by default: in-kernel syscall counts, errors by errno, threads and
// (optionally) user stacks, with one probe per syscall: sys_exit. No time: that needs sys_enter and sys_exit
// paired per thread, which cost about a third of a Go server's throughput; `trace --latency` adds it
// (bpftrace-latency-script.ts).
//
// Printed on exit (SIGINT to bpftrace, or when the target's main thread exits), one map entry per line
// except stacks, in bpftrace's text format (`bpftrace` without `-f json`):
//   @returns[<nr>, <errno>]: <count>      calls by outcome, counted when they return: errno 0 = success, else
//                                         the failure's errno (ret in [-4095, -1], errno = -ret, may be >= 512
//                                         for kernel-internal codes such as ERESTARTSYS). nr is sys_exit's id:
//                                         -1 after rt_sigreturn (the kernel resets orig_ax), whose "errno" is
//                                         then the interrupted code's register
//   @calls[<nr>]: <count>                 exit and exit_group, counted when made (they never return)
//   @threads[<tid>]: 1                    threads that returned from a syscall (1000 + nr: a thread seeded as
//                                         blocked in nr that has not returned since)
//   @stacks[\n<ustack(perf) frames>\n, <nr>]: <count>    only with `stacks` (the user stack is the same at
//                                         entry and return)
// Then the backend appends the calls in flight at the end, read from /proc/<pid>/task/<tid>/syscall right after
// the stop signal (IN_FLIGHT_HEADER, then `@inflight[<tid>]: <nr>` per blocked thread; see in-flight.ts).
// Calls = returns + in flight at the end + exits, each call counted once and only if made during the capture:
// - a call already blocked when the capture began (an idle worker's futex, a reactor's epoll_wait) was made
//   before it: the threads blocked in a syscall when the script is written (`blocked`, read from /proc) are
//   seeded into @threads as 1000 + nr, and their first return, if from that nr, is not counted. A thread that
//   returns from another call first (it returned and called again while bpftrace attached) is counted;
// - a new thread's or child's return from clone/clone3/fork/vfork (ret 0) is not a call, the parent's is.
// Cost: sys_exit only, one probe per syscall instead of two (enter and exit): each probe run costs every process
// on the machine, the load generator's calls too. Per call of a traced thread: the filter's lookup (@track, or a
// pid compare), @end, the per-CPU @returns count and one @threads lookup. Measured on the Go example at 50
// connections (bench/README.md): sys_enter + sys_exit kept 0.78 of throughput in an alternating test where
// this one kept 0.85 and an empty sys_exit probe 0.91.
// Before the maps, the first output line after `Attaching N probes...` is BPFTRACE_COUNT_READY_LINE: bpftrace
// runs BEGIN once every probe is attached, so a spawner that waits for it loses no early syscalls; the line names
// the format so that a reader knows it (an absent map means no such event).
// The capture ends when bpftrace is sent SIGINT (or SIGTERM): the signal_generate probe sets @end, and from then
// on no probe changes a map. bpftrace keeps probes attached for a while after the signal (it detaches them one
// by one before END): without @end, calls returning meanwhile would be counted after the in-flight calls were
// read (observed with bpftrace 0.17: every 50 ms poll of an idle target had returned by the time the maps were
// printed). When the target's main thread exits instead, nothing is frozen: threads it takes down pass sys_exit
// (a call interrupted by the kill returns first) as they go, and nothing is left in flight.
// Temporary maps (@track, @tracer, @end) are cleared in END so that they are not printed.
// Reference: bpftrace 0.17 reference guide, https://github.com/bpftrace/bpftrace/blob/v0.17.0/docs/reference_guide.md
import { normalizeArch, syscallNumber } from '../model/syscall-numbers.js';
import { BLOCKED_SEED, NETPROBE_READY_AT_RETURN, NETPROBE_READY_NO_COUNTS } from '../parse/bpftrace-markers.js';

export interface BpftraceScriptOptions {
  /** Target process id (tgid); all of its threads are traced. */
  pid: number;
  /** Also trace processes the target forks, and their children. */
  followChildren: boolean;
  /**
   * Processes descending from the target that exist already (pre-forked workers): traced from BEGIN on,
   * with their threads and children. Only with `followChildren` (default none).
   */
  descendants?: readonly number[];
  /** Collect user stacks (frame-pointer `ustack`) per syscall. */
  stacks: boolean;
  /** Whose syscall numbers (default: this machine's). */
  arch?: string;
  /** Threads blocked in a syscall before the attach, as [tid, nr]: their first return, from that call, is not counted. */
  blocked?: ReadonlyArray<readonly [number, number]>;
}


/** What the off-CPU and latency programs print from BEGIN, once every probe is attached. */
export const BPFTRACE_READY_LINE = NETPROBE_READY_NO_COUNTS;
/** What the counting program prints from BEGIN: the same start, then its format (parse/bpftrace.ts reads it). */
export const BPFTRACE_COUNT_READY_LINE = NETPROBE_READY_AT_RETURN;

// The calls whose return in a new thread or child process (ret 0) is not a call of its own.
const CLONE_CALLS = ['clone', 'clone3', 'fork', 'vfork'];

/** The bpftrace program text for one capture. */
export function bpftraceSyscallScript(options: BpftraceScriptOptions): string {
  const { pid, followChildren, stacks } = options;
  const descendants = options.descendants ?? [];
  const blocked = options.blocked ?? [];
  for (const p of [pid, ...descendants, ...blocked.map(([tid]) => tid)]) if (!Number.isSafeInteger(p) || p <= 0) throw new RangeError(`pid must be a positive integer, got ${p}`);
  for (const [, nr] of blocked) if (!Number.isSafeInteger(nr) || nr < 0) throw new RangeError(`a syscall number must be a non-negative integer, got ${nr}`);
  if (descendants.length > 0 && !followChildren) throw new RangeError('descendants are traced only with followChildren');

  // bpftrace's `pid` is the tgid, so one comparison covers every thread of the target.
  const traced = followChildren ? '@track[pid]' : `pid == ${pid}`;
  // Seeded before the ready line, so every listed process counts from the moment the spawner is told.
  const seeds =
    (followChildren ? [pid, ...descendants].map((p) => ` @track[${p}] = 1;`).join('') : '') +
    blocked.map(([tid, nr]) => ` @threads[${tid}] = ${BLOCKED_SEED + nr};`).join('');
  const arch = normalizeArch(options.arch ?? process.arch);
  const clones = CLONE_CALLS.map((name) => syscallNumber(name, arch))
    .filter((nr): nr is number => nr !== undefined)
    .map((nr) => `args->id == ${nr}`)
    .join(' || ');
  // In BEGIN, `pid` is bpftrace's own (BEGIN is a uprobe in the bpftrace binary): the process the stop signal goes to.
  const lines = [
    `BEGIN { @tracer = pid;${seeds} printf("${BPFTRACE_COUNT_READY_LINE}\\n"); }`,
    'tracepoint:signal:signal_generate /(args->sig == 2 || args->sig == 15) && (uint64)args->pid == @tracer/ { @end = 1; }',
  ];

  if (followChildren) {
    lines.push(
      // parent_pid is the forking thread's tid; `pid` (its tgid) is what @track holds. Threads of tracked
      // processes land here too; they are dropped again when they exit so the map stays small.
      'tracepoint:sched:sched_process_fork /@track[pid]/ { @track[args->child_pid] = 1; }',
    );
  }

  lines.push(
    // -4095..-1 is the kernel's error range (IS_ERR_VALUE); larger negative values are valid results.
    `tracepoint:raw_syscalls:sys_exit /${traced} && !@end/ {`,
    '  $ret = args->ret;',
    // A lookup, and a map update only on a thread's first return: cheaper than counting calls per thread.
    '  $thread = @threads[tid];',
    '  if ($thread != 1) { @threads[tid] = 1; }',
    `  if ($thread != args->id + ${BLOCKED_SEED} && !($ret == 0 && (${clones}))) {`,
    '    @returns[args->id, $ret < 0 && $ret >= -4095 ? -$ret : 0] = count();',
    ...(stacks ? ['    @stacks[ustack(perf), args->id] = count();'] : []),
    '  }',
    '}',
    // exit and exit_group never return; these tracepoints run for them alone.
    ...['exit', 'exit_group'].map(
      (name) =>
        `tracepoint:syscalls:sys_enter_${name} /${traced} && !@end/ { @calls[args->__syscall_nr] = count();${stacks ? ' @stacks[ustack(perf), args->__syscall_nr] = count();' : ''} }`,
    ),
    // Exiting threads' @track entries go (processes keep theirs: their tgid may still have threads).
    ...(followChildren ? ['tracepoint:sched:sched_process_exit /tid != pid && @track[tid]/ { delete(@track[tid]); }'] : []),
    `tracepoint:sched:sched_process_exit /pid == ${pid} && tid == ${pid}/ { exit(); }`,
    `END { clear(@tracer); clear(@end);${followChildren ? ' clear(@track);' : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
