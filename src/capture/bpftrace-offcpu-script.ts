// The bpftrace program for `trace --offcpu`: where the target's threads block, and for how long.
//
// On every context switch (tracepoint sched:sched_switch, which fires in the context of the thread leaving
// the CPU), a traced thread that blocks (prev_state != 0: sleeping on a futex, in epoll_wait, in read...)
// leaves its user and kernel stacks and the time; when it is woken (sched:sched_wakeup), the blocked time is
// summed per (user stack, kernel stack, thread). Time spent runnable after the wakeup, queued for a CPU, is
// scheduling delay, not waiting, and is left out. Threads preempted while runnable
// (prev_state == 0) wait for a CPU, not for an event, and are not counted. The classic tools do the same
// with a finish_task_switch kprobe (bcc offcputime); kprobes are not always allowed, tracepoints are.
//
// Printed on exit (SIGINT, or when the target's main thread exits):
//   @offns[\n<ustack(perf)>\n, \n<kstack(perf)>\n, <tid>]: <nanoseconds blocked>
//   @offn[\n<ustack(perf)>\n, \n<kstack(perf)>\n, <tid>]: <times blocked>
// Reference: bpftrace 0.17 reference guide, https://github.com/bpftrace/bpftrace/blob/v0.17.0/docs/reference_guide.md
import { BPFTRACE_READY_LINE, type BpftraceScriptOptions } from './bpftrace-script.js';

// Ends the wait of thread `tid` (an expression), if it is blocked: sums its blocked time under its stacks.
function settle(tid: string): string[] {
  return [
    `  $n = ${tid};`,
    '  $t = @when[$n];',
    '  if ($t != 0) {',
    '    @offns[@us[$n], @ks[$n], $n] = sum(nsecs - $t);',
    '    @offn[@us[$n], @ks[$n], $n] = count();',
    '    delete(@when[$n]); delete(@us[$n]); delete(@ks[$n]);',
    '  }',
  ];
}

/** The off-CPU bpftrace program for one capture (follows the target's children like the syscall program). */
export function bpftraceOffcpuScript(options: Omit<BpftraceScriptOptions, 'stacks'>): string {
  const { pid, followChildren } = options;
  const descendants = options.descendants ?? [];
  for (const p of [pid, ...descendants]) if (!Number.isSafeInteger(p) || p <= 0) throw new RangeError(`pid must be a positive integer, got ${p}`);
  const traced = followChildren ? '@track[pid]' : `pid == ${pid}`;
  const seeds = followChildren ? [pid, ...descendants].map((p) => ` @track[${p}] = 1;`).join('') : '';
  const lines = [`BEGIN {${seeds} printf("${BPFTRACE_READY_LINE}\\n"); }`];
  if (followChildren) lines.push('tracepoint:sched:sched_process_fork /@track[pid]/ { @track[args->child_pid] = 1; }');
  lines.push(
    'tracepoint:sched:sched_switch {',
    `  if (${traced} && args->prev_state != 0) { @when[tid] = nsecs; @us[tid] = ustack(perf); @ks[tid] = kstack(perf); }`,
    // Normally sched_wakeup below ends the wait; a thread switched in without one is ended here.
    ...settle('args->next_pid'),
    '}',
    // The wait ends when the thread is woken, not when it next runs: time queued for a CPU is not blocked time.
    'tracepoint:sched:sched_wakeup {',
    ...settle('args->pid'),
    '}',
    ...(followChildren ? ['tracepoint:sched:sched_process_exit /tid != pid && @track[tid]/ { delete(@track[tid]); }'] : []),
    `tracepoint:sched:sched_process_exit /pid == ${pid} && tid == ${pid}/ { exit(); }`,
    `END { clear(@when); clear(@us); clear(@ks);${followChildren ? ' clear(@track);' : ''} }`,
  );
  return `${lines.join('\n')}\n`;
}
