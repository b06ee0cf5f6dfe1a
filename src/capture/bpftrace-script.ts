// The bpftrace program netprobe runs by default: in-kernel syscall counts, errors by errno, threads, calls in
// flight at the end and (optionally) user stacks. No time: that needs sys_enter and sys_exit paired per thread,
// which cost about a third of a Go server's throughput; `trace --latency` adds it (bpftrace-latency-script.ts).
//
// Printed on exit (SIGINT to bpftrace, or when the target's main thread exits), one map entry per line
// except stacks, in bpftrace's text format (`bpftrace` without `-f json`):
//   @calls[<nr>]: <calls>                 syscall number (this machine's table) -> calls entered
//   @returns[<nr>, <errno>]: <count>      returns by outcome: errno 0 = success, else the failure's errno (ret in
//                                         [-4095, -1], errno = -ret, may be >= 512 for kernel-internal codes such
//                                         as ERESTARTSYS). nr is sys_exit's id: -1 after rt_sigreturn (the kernel
//                                         resets orig_ax), whose "errno" is then the interrupted code's register
//   @threads[<tid>]: 1 | 2                threads that entered a syscall (2: the thread has exited since)
//   @stacks[\n<ustack(perf) frames>\n, <nr>]: <count>    only with `stacks`
// Calls count at sys_enter, when they are made: exit and exit_group never reach sys_exit, and a call still
// blocked at the end has not returned yet. In flight at the end = @calls - @returns per syscall (rt_sigreturn's
// returns are those of nr -1). A return pairs with an entry only if its thread entered a call since the attach
// (@threads == 1): a call that was already blocked at the attach, and a new thread's or child's first return
// from clone/fork (it never entered), are not counted. A thread that exits is set to 2, so that a later thread
// given the same tid does not pair its first return either.
// Cost, per syscall of a traced thread: at sys_enter two lookups (@track, @end), the per-CPU @calls count and one
// @threads lookup; at sys_exit two lookups (@threads, @end) and the per-CPU @returns count. Calls of other
// processes pay one lookup at each probe. (The previous script kept @start/@ns/@inflight per thread and paired
// every call; see bench/README.md for the throughput of each.)
// Before the maps, the first output line after `Attaching N probes...` is BPFTRACE_READY_LINE: bpftrace runs
// BEGIN once every probe is attached, so a spawner that waits for it loses no early syscalls; the line names
// @returns so that a reader knows this format (an absent map means no such event).
// The capture ends when bpftrace is sent SIGINT (or SIGTERM): the signal_generate probe sets @end, and from then
// on no probe changes a map. bpftrace keeps probes attached for a while after the signal (it detaches them one
// by one before END): without @end, calls returning meanwhile would unbalance @calls and @returns (observed with
// bpftrace 0.17 on the per-thread map of the previous script: every 50 ms poll of an idle target had returned by
// the time the maps were printed). When the target's main thread exits instead, nothing is frozen: threads it
// takes down pass sys_exit (a call interrupted by the kill returns first) and sched_process_exit as they go.
// Temporary maps (@track, @tracer, @end) are cleared in END so that they are not printed.
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

export const BPFTRACE_READY_LINE = 'netprobe: probes attached; calls in flight at the end = @calls - @returns';

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
    '  @calls[args->id] = count();',
    // A lookup, and a map update only on a thread's first call: cheaper than counting calls per thread.
    '  if (@threads[tid] != 1) { @threads[tid] = 1; }',
    ...(stacks ? ['  @stacks[ustack(perf), args->id] = count();'] : []),
    '}',
    // -4095..-1 is the kernel's error range (IS_ERR_VALUE); larger negative values are valid results.
    'tracepoint:raw_syscalls:sys_exit /@threads[tid] == 1 && !@end/ {',
    '  $ret = args->ret;',
    '  @returns[args->id, $ret < 0 && $ret >= -4095 ? -$ret : 0] = count();',
    '}',
    `tracepoint:sched:sched_process_exit /@threads[tid] == 1 && !@end/ { @threads[tid] = 2; }`,
    // Exiting threads' @track entries go too (processes keep theirs: their tgid may still have threads).
    ...(followChildren ? ['tracepoint:sched:sched_process_exit /tid != pid && @track[tid]/ { delete(@track[tid]); }'] : []),
    `tracepoint:sched:sched_process_exit /pid == ${pid} && tid == ${pid}/ { exit(); }`,
    `END { clear(@tracer); clear(@end);${followChildren ? ' clear(@track);' : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
