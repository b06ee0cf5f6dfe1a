// The bpftrace program netprobe runs: in-kernel syscall counts, errors, time and (optionally) user stacks.
//
// Printed on exit (SIGINT to bpftrace, or when the target's main thread exits), one map entry per line
// except stacks, in bpftrace's text format (`bpftrace` without `-f json`):
//   @calls[<nr>]: <calls>                 syscall number (this machine's table) -> calls entered
//   @errors[<nr>, <errno>]: <count>       failed returns (ret in [-4095, -1]); errno = -ret, may be >= 512
//                                         for kernel-internal codes such as ERESTARTSYS
//   @ns[<nr>]: <nanoseconds>              summed sys_enter -> sys_exit wall time of completed calls
//   @threads[<tid>]: <calls>              syscalls entered per thread (distinct tids = threads)
//   @inflight[<tid>]: <nr>                the call each thread had entered and not returned from when the
//                                         capture ended (already in @calls); none for exit and exit_group
//   @stacks[\n<ustack(perf) frames>\n, <nr>]: <count>    only with `stacks`
// Calls count at sys_enter, when they are made: exit and exit_group never reach sys_exit, and a call still
// blocked at the end has not returned yet. In flight = entered and not exited, per thread (@inflight is
// keyed by tid because sys_exit's id is not always the entered one: -1 after rt_sigreturn).
// Before the maps, the first output line after `Attaching N probes...` is BPFTRACE_READY_LINE: bpftrace
// runs BEGIN once every probe is attached, so a spawner that waits for it loses no early syscalls; the line
// names @inflight so that a reader knows an absent map means no call was in flight.
// The capture ends when bpftrace is sent SIGINT (or SIGTERM): the signal_generate probe sets @end, and from then
// on no probe changes a map. bpftrace keeps probes attached for a while after the signal (it detaches them one
// by one before END): without @end, calls returning meanwhile dropped out of @inflight (observed with bpftrace
// 0.17: every 50 ms poll of an idle target had gone by the time the maps were printed). When the target's main
// thread exits instead, nothing is frozen: threads it takes down pass sys_exit or sched_process_exit as they go.
// Temporary maps (@start, @track, @tracer, @end) are cleared in END so that they are not printed.
// Reference: bpftrace 0.17 reference guide, https://github.com/bpftrace/bpftrace/blob/v0.17.0/docs/reference_guide.md

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
}

export const BPFTRACE_READY_LINE = 'netprobe: probes attached; @inflight lists calls in flight at the end';

/** The bpftrace program text for one capture. */
export function bpftraceSyscallScript(options: BpftraceScriptOptions): string {
  const { pid, followChildren, stacks } = options;
  const descendants = options.descendants ?? [];
  for (const p of [pid, ...descendants]) if (!Number.isSafeInteger(p) || p <= 0) throw new RangeError(`pid must be a positive integer, got ${p}`);
  if (descendants.length > 0 && !followChildren) throw new RangeError('descendants are traced only with followChildren');

  // bpftrace's `pid` is the tgid, so one comparison covers every thread of the target.
  const traced = followChildren ? '@track[pid]' : `pid == ${pid}`;
  // Seeded before the ready line, so every listed process counts from the moment the spawner is told.
  const seeds = followChildren ? [pid, ...descendants].map((p) => ` @track[${p}] = 1;`).join('') : '';
  // In BEGIN, `pid` is bpftrace's own (BEGIN is a uprobe in the bpftrace binary): the process the stop signal goes to.
  const lines = [
    `BEGIN { @tracer = pid;${seeds} printf("${BPFTRACE_READY_LINE}\\n"); }`,
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
    `tracepoint:raw_syscalls:sys_enter /${traced} && !@end/ {`,
    '  @start[tid] = nsecs;',
    '  @inflight[tid] = args->id;',
    '  @calls[args->id] = count();',
    '  @threads[tid] = count();',
    ...(stacks ? ['  @stacks[ustack(perf), args->id] = count();'] : []),
    '}',
    // Keyed by tid only: calls already running when tracing began have no start and are not counted.
    'tracepoint:raw_syscalls:sys_exit /@start[tid] && !@end/ {',
    '  @ns[args->id] = sum(nsecs - @start[tid]);',
    '  delete(@start[tid]);',
    '  delete(@inflight[tid]);',
    // -4095..-1 is the kernel's error range (IS_ERR_VALUE); larger negative values are valid results.
    // id is -1 when a signal interrupted a blocked call that will be restarted (restart_syscall follows).
    '  if (args->ret < 0 && args->ret >= -4095 && args->id >= 0) { @errors[args->id, -args->ret] = count(); }',
    '}',
    // exit and exit_group never reach sys_exit: drop their start times, and they are not in flight (a thread
    // killed inside another call passes sys_exit first). Exiting threads' @track entries go too.
    `tracepoint:sched:sched_process_exit /@start[tid] && !@end/ { delete(@start[tid]); delete(@inflight[tid]); }`,
    ...(followChildren ? ['tracepoint:sched:sched_process_exit /tid != pid && @track[tid]/ { delete(@track[tid]); }'] : []),
    `tracepoint:sched:sched_process_exit /pid == ${pid} && tid == ${pid}/ { exit(); }`,
    `END { clear(@start); clear(@tracer); clear(@end);${followChildren ? ' clear(@track);' : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
