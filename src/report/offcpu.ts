// Off-CPU time by kind: what a blocked thread waited in (the syscall on its kernel stack), and for Go programs
// why the runtime parked the thread (the user frames). Decides nothing else: the numbers are the profile's.
//
// The syscall comes from the kernel stack's entry frame (`__x64_sys_futex`, `__arm64_sys_epoll_pwait`,
// `__se_sys_read`...). Go: an M with no goroutine to run parks in runtime.stopm/notesleep (an idle worker);
// the netpoller waits in runtime.netpoll (epoll_pwait); sysmon sleeps between rounds; runtime.lock2 and sync.(*Mutex).lockSlow block the
// thread on a contended lock.
import { GO_WAITS, WAIT_KINDS, type GoWait, type OffcpuSummary, type WaitKind } from '../model/offcpu.js';
import type { Frame, Profile } from '../model/profile.js';

const SYSCALL_ENTRY = /^(?:__x64_sys|__arm64_sys|__ia32_sys|__se_sys|__do_sys|ksys)_(\w+?)(?:\.\w+)*$/;

const KIND_OF: Record<string, WaitKind> = {
  futex: 'futex',
  futex_waitv: 'futex',
  epoll_wait: 'epoll/poll',
  epoll_pwait: 'epoll/poll',
  epoll_pwait2: 'epoll/poll',
  poll: 'epoll/poll',
  ppoll: 'epoll/poll',
  select: 'epoll/poll',
  pselect6: 'epoll/poll',
  read: 'blocking read/recv/accept',
  readv: 'blocking read/recv/accept',
  pread64: 'blocking read/recv/accept',
  recvfrom: 'blocking read/recv/accept',
  recvmsg: 'blocking read/recv/accept',
  recvmmsg: 'blocking read/recv/accept',
  accept: 'blocking read/recv/accept',
  accept4: 'blocking read/recv/accept',
  nanosleep: 'sleep',
  clock_nanosleep: 'sleep',
};

/** The syscall a kernel stack is blocked in, if it passes through a syscall entry point. */
export function blockingSyscall(frames: readonly Frame[]): string | undefined {
  // By name alone: kinds do not survive every pprof round trip, and these entry symbols exist only in kernels.
  for (const f of frames) {
    const m = SYSCALL_ENTRY.exec(f.name);
    if (m) return m[1]!;
  }
  return undefined;
}

export function waitKindOf(syscall: string | undefined): WaitKind {
  return (syscall !== undefined && KIND_OF[syscall]) || 'other';
}

const GO_IDLE = /^runtime\.(stopm|notesleep|mPark|stoplockedm)$/;
// netpoll is often inlined into findRunnable, leaving its epollwait call as the frame to know it by.
const GO_NETPOLL = /^runtime\.(netpoll|epollwait)(\.abi0)?$/;
// sysmon, the runtime's monitor thread, sleeps between its rounds (usleep -> nanosleep).
const GO_SYSMON = /^runtime\.sysmon$/;
const GO_LOCK = /^(runtime\.(lock2|lockWithRank|semacquire1|semasleep)|sync\.\(\*(Mutex|RWMutex)\)\.(lockSlow|Lock|RLock|rUnlockSlow))$/;

/** Why the Go runtime parked the thread, from its user frames; undefined for a stack that is not Go's. */
export function goWaitOf(frames: readonly Frame[]): GoWait | undefined {
  if (!frames.some((f) => f.kind === 'user' && f.name.startsWith('runtime.'))) return undefined;
  // Leaf first: the innermost reason decides (lock2 inside findRunnable is contention, not idleness).
  for (let i = frames.length - 1; i >= 0; i--) {
    const name = frames[i]!.name;
    if (GO_LOCK.test(name)) return 'lock contention';
    if (GO_NETPOLL.test(name)) return 'netpoller';
    if (GO_IDLE.test(name)) return 'idle workers';
    if (GO_SYSMON.test(name)) return 'sysmon';
  }
  return 'other';
}

/** Sums an off-CPU profile (sample types events/count and offcpu/nanoseconds) into run.json's `offcpu`. */
export function summariseOffcpu(profile: Profile, requests: number | undefined): OffcpuSummary {
  const nsIndex = profile.sampleTypes.findIndex((t) => t.type === 'offcpu');
  const eventsIndex = profile.sampleTypes.findIndex((t) => t.type === 'events');
  const byKind = Object.fromEntries(WAIT_KINDS.map((k) => [k, 0])) as Record<WaitKind, number>;
  const go = Object.fromEntries(GO_WAITS.map((k) => [k, 0])) as Record<GoWait, number>;
  let isGo = false;
  let ns = 0;
  let events = 0;
  const stacks = profile.stacks;
  for (let i = 0; i < stacks.count; i++) {
    const frames = Array.from(stacks.frames(i), (id) => profile.frames[id]!);
    const v = nsIndex >= 0 ? stacks.value(i, nsIndex) : 0;
    ns += v;
    events += eventsIndex >= 0 ? stacks.value(i, eventsIndex) : 0;
    byKind[waitKindOf(blockingSyscall(frames))] += v;
    const g = goWaitOf(frames);
    if (g) {
      isGo = true;
      go[g] += v;
    }
  }
  const seconds = (n: number) => Math.round(n / 1e3) / 1e6;
  return {
    seconds: seconds(ns),
    events,
    secondsPerRequest: requests && requests > 0 ? Math.round((ns / 1e9 / requests) * 1e9) / 1e9 : null,
    byKind: Object.fromEntries(WAIT_KINDS.map((k) => [k, seconds(byKind[k])])) as Record<WaitKind, number>,
    go: isGo ? (Object.fromEntries(GO_WAITS.map((k) => [k, seconds(go[k])])) as Record<GoWait, number>) : null,
  };
}

/** What the wait time says about the network model, as evidence lines for the verdict. */
export function offcpuEvidence(o: OffcpuSummary): string[] {
  if (!(o.seconds > 0)) return [];
  const share = (n: number) => `${Math.round((n / o.seconds) * 100)}%`;
  const top = WAIT_KINDS.map((k) => [k, o.byKind[k]] as const).sort((a, b) => b[1] - a[1])[0]!;
  const lines = [`${share(top[1])} of off-CPU time is waiting in ${top[0]}`];
  if (o.go) lines.push(`${share(o.go['idle workers'])} of off-CPU time is idle Go workers, ${share(o.go['lock contention'])} lock contention, ${share(o.go.netpoller)} the netpoller`);
  return lines;
}
