// Where threads wait (`trace --offcpu`): blocked time summed by what the threads were waiting in.

/** What a blocked thread waited in, from the syscall on its kernel stack. */
export type WaitKind = 'futex' | 'epoll/poll' | 'blocking read/recv/accept' | 'sleep' | 'other';

export const WAIT_KINDS: readonly WaitKind[] = ['futex', 'epoll/poll', 'blocking read/recv/accept', 'sleep', 'other'];

/** For Go programs: the runtime's own reasons a thread (an M) blocks, from the user frames. */
export type GoWait = 'idle workers' | 'netpoller' | 'lock contention' | 'sysmon' | 'other';

export const GO_WAITS: readonly GoWait[] = ['idle workers', 'netpoller', 'lock contention', 'sysmon', 'other'];

/** run.json `offcpu`: seconds are summed over threads (4 threads blocked for 1 s each are 4 s). */
export interface OffcpuSummary {
  /** Blocked time of every traced thread, summed. */
  seconds: number;
  /** Times a thread blocked. */
  events: number;
  /** Blocked seconds per request, when the request count is known. */
  secondsPerRequest: number | null;
  /** Seconds by what the threads waited in. */
  byKind: Record<WaitKind, number>;
  /** Go programs only: seconds by the runtime's reason (idle Ms parked vs threads contending on a lock). */
  go: Record<GoWait, number> | null;
}
