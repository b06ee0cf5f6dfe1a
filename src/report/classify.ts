// Network-model classification from a syscall mix alone (strace -c, bpftrace counts, run.json).
//
// Every threshold is a ratio between syscall families (src/report/families.ts), so that load level and
// capture length do not matter, and each was calibrated on the real captures in fixtures/models/
// (nginx, redis, memcached, Node, Go net/http, Python http.server, netprobe's example servers; strace and
// bpftrace; 1, 50 and 200 connections, keep-alive and one request per connection). "io" below is the
// read + write families (read/recv*, write/send*): their calls on any descriptor, sockets and files alike.
//
// 1. Enough evidence at all: at least MIN_IO_CALLS reads/writes, and at least one accept or readiness
//    wait (epoll/poll/select). A CLI tool (ls, a compiler) reads and writes but never waits for
//    readiness or accepts; an idle server makes almost no calls. Both are `unknown`. So is a capture
//    whose reads each follow an openat (openat / reads >= 0.9) with no accept: an idle server's timer
//    reading /proc (redis' serverCron: 25 openat for 25 reads in 2 s) says nothing about its connections.
// 2. thread-per-connection (blocking): a thread is created per accepted connection
//    (clone/accepted >= 0.5, with at least MIN_ACCEPTS successful accepts, or one when there is no readiness
//    wait at all), reads do not fail with EAGAIN (read errors / reads < 0.1), and there are no more epoll
//    waits than accepted connections (connection threads block in read; an accept loop may wait once per
//    accept). Python's ThreadingHTTPServer: 1.00 and 0.00; the C example with one client: 2 clones for
//    2 accepts. The last condition matters for captures that include startup: Go's Ms, libuv's pool,
//    memcached's and redis' threads are 4-9 clones, as many as the accepts of a light load (Node with
//    8 clients: 6 clones for 10 accepts, but 1,153 epoll waits). Failed accepts (EAGAIN on a non-blocking
//    listener) are not connections.
//    process-per-connection (fork) instead when the new tasks are child processes: the server reaps them
//    (wait4/waitid per accepted connection >= 0.5) or they exit as whole processes (exit_group per accepted
//    >= 0.5; a thread ends with exit), and they are not clone3 calls (glibc >= 2.34 creates threads with
//    clone3 and forks with clone). Python's ForkingMixIn: 1.0 clone, 1.6-4.3 wait4 and (bpftrace) 1.0
//    exit_group per accept; ThreadingHTTPServer: clone3 only, no wait4 or exit_group. strace -c lists no
//    exit_group (it never returns), and neither strace -c nor bpftrace counts show clone's flags (SIGCHLD vs
//    CLONE_THREAD), so the reaping decides there. A capture of the parent alone (a tracer filtered on its pid,
//    children not followed) shows the accepts, a fork and reaping per connection and no reads or writes of
//    its own: process-per-connection too, with lower confidence and a note that the children were not traced.
// 3. poll/select loop: poll-family waits outnumber epoll waits, and one thread serves the connections:
//    futex / io <= 0.2 and fewer than one clone per two accepts. Python's HTTPServer (poll before each
//    accept, then blocking reads; futex / io <= 0.05 even with the interpreter's startup) and the C poll
//    server (0). ThreadingHTTPServer with a few keep-alive clients polls only for its accept loop's 0.5 s
//    timeouts while the connection threads contend for the GIL (futex / io 0.4-1.2): unknown.
// 4. epoll: then who waits decides.
//    - Go runtime present: nanosleep / io >= 0.002. sysmon sleeps 20us..10ms in a loop whatever the load,
//      through the raw nanosleep syscall (runtime.usleep); the lowest Go capture is 0.007. glibc >= 2.31
//      implements usleep/nanosleep with clock_nanosleep, so C servers that sleep (memcached's LRU
//      maintainer: 0.023 clock_nanosleep per read/write) do not count; reactors otherwise show none.
//      With a Go runtime, the waits coming from epoll_pwait (the netpoller's only wait; >= 0.9 of epoll
//      waits) mean goroutine-per-connection (netpoll); a program's own epoll_wait loop on top of the
//      runtime (>= 0.5 of the waits are epoll_wait: gnet-style reactors) means event-loop reactor.
//      The read EAGAIN share only adds confidence: the netpoller reads until EAGAIN before parking a
//      goroutine (>= 0.2 of reads fail under bpftrace), but strace slows the server so much that the next
//      request is usually there already (0-6% under strace). Known limit: arm64 has no epoll_wait, so a Go
//      reactor's own loop waits with epoll_pwait too and reads as netpoll there.
//    - Go runtime but the waits are mixed (between the two shares): unknown.
//    - No Go runtime: event-loop reactor (nginx, redis, memcached, libuv). futex stays small for these
//      (futex / io <= 0.2; the libuv threadpool and memcached's worker hand-off stay far below that).
// 5. No readiness waits, no thread per connection: blocking I/O on a pool of threads when the source shows
//    several threads and reads never EAGAIN (thread-per-connection, lower confidence); otherwise unknown.
import type { ModelVerdict } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';
import { formatCount, formatRatio, formatShare } from '../model/units.js';
import { familyCounts, hasErrnoDetail, type FamilyCounts } from '../model/families.js';

export interface ClassifyContext {
  requests?: number;
  threads?: number;
  /** What produced the table (e.g. `strace -c`), named when the evidence depends on it; default `the source`. */
  source?: string;
}

const MIN_IO_CALLS = 100;
const FILE_OPEN_PER_READ = 0.9;
const MIN_ACCEPTS = 5;
const CLONE_PER_ACCEPT = 0.5;
const CHILD_PER_ACCEPT = 0.5;
const BLOCKING_READ_ERROR_SHARE = 0.1;
const GO_SYSMON_SLEEP_PER_IO = 0.002;
const NETPOLL_PWAIT_SHARE = 0.9;
const REACTOR_EPOLL_WAIT_SHARE = 0.5;
const NETPOLL_READ_EAGAIN_SHARE = 0.2;
const REACTOR_FUTEX_PER_IO = 0.2;
const LOOP_FUTEX_PER_IO = 0.2;

interface Features {
  f: FamilyCounts;
  io: number;
  waits: number;
  /** Share of failed read-family calls (EAGAIN when the source names errnos, any error otherwise). */
  readFailShare: number;
  errnoDetail: boolean;
  /** open/openat/openat2 calls: files, never sockets. */
  openat: number;
  /** Calls of the nanosleep syscall itself (Go's runtime.usleep), not clock_nanosleep. */
  rawNanosleep: number;
  /** Share of epoll waits made with epoll_pwait/epoll_pwait2 rather than epoll_wait. */
  pwaitShare: number;
  /** Task creations that can be forks (clone, fork, vfork); clone3 is glibc's thread creation. */
  forkCalls: number;
  clone3: number;
  /** wait4/waitid calls: a parent reaping child processes. */
  reaps: number;
  /** exit_group calls: whole processes ending (a thread ends with exit). */
  exitGroups: number;
  threads?: number;
  requests?: number;
  source?: string;
}

/** The network model a syscall mix points to, with the ratios that decided it. */
export function classifyNetworkModel(table: SyscallTable, ctx: ClassifyContext = {}): ModelVerdict {
  const x = features(table, ctx);
  const { f, io } = x;
  const evidence: string[] = [];

  const parentOnly = parentOfForkedChildren(x);
  if (parentOnly) return parentOnly;
  if (io < MIN_IO_CALLS) {
    return unknown([`only ${formatCount(io)} read/write-family calls (at least ${MIN_IO_CALLS} are needed to judge)`, ...contextNotes(x)]);
  }
  if (f.accept.calls === 0 && x.openat >= FILE_OPEN_PER_READ * f.read.calls) {
    return unknown([
      `${formatRatio(x.openat / Math.max(1, f.read.calls))} openat per read and no accept: the reads are file reads (housekeeping on a timer), not connections`,
      ...contextNotes(x),
    ]);
  }
  if (f.accept.calls === 0 && x.waits === 0) {
    return unknown([
      `${formatCount(io)} read/write-family calls but no accept and no epoll/poll/select wait: nothing shows the process serving connections`,
      ...contextNotes(x),
    ]);
  }

  // Failed accepts are EAGAIN on a non-blocking listener (an event loop's habit); only accepted connections count.
  const accepted = f.accept.calls - f.accept.errors;
  const clonePerAccept = accepted > 0 ? f['thread-create'].calls / accepted : 0;
  // Without any readiness wait, even one accept answered by a new thread is telling (a single keep-alive client).
  const enoughAccepts = accepted >= (x.waits === 0 ? 1 : MIN_ACCEPTS);
  // Startup threads (Go's Ms, libuv's pool, memcached's workers) also clone; under light load they match the accepts.
  // Connection threads block in read, so more epoll waits than accepted connections mean an event loop serves them.
  const loopServes = f['epoll-wait'].calls > accepted;
  if (enoughAccepts && !loopServes && clonePerAccept >= CLONE_PER_ACCEPT && x.readFailShare < BLOCKING_READ_ERROR_SHARE) {
    const children = childProcesses(x, accepted);
    if (children.forks) {
      const confidence = clamp(0.55 + 0.15 * Math.min(children.reapsPerAccept, 1) + 0.15 * Math.min(children.exitsPerAccept, 1) + sampleBonus(accepted));
      return {
        label: 'process-per-connection (fork)',
        confidence,
        evidence: [
          ...children.evidence,
          `${formatShare(x.readFailShare)} of reads fail: reads block instead of returning EAGAIN`,
          ...contextNotes(x, 'processes'),
        ],
      };
    }
    evidence.push(
      `${formatRatio(clonePerAccept)} thread creations (clone/clone3/fork) per accepted connection (${formatCount(f['thread-create'].calls)} / ${formatCount(accepted)})`,
      `${formatShare(x.readFailShare)} of reads fail: reads block instead of returning EAGAIN`,
    );
    if (f['epoll-wait'].calls > 0) evidence.push(`${formatRatio(f['epoll-wait'].calls / io)} epoll waits per read/write`);
    evidence.push(children.evidence.at(-1)!);
    // A thread per accept is the defining trait; closer to 1 and with more accepts, the surer.
    const confidence = clamp(0.55 + 0.3 * Math.min(clonePerAccept, 1) + sampleBonus(accepted));
    return { label: 'thread-per-connection (blocking)', confidence, evidence: [...evidence, ...contextNotes(x)] };
  }

  if (f['poll-select'].calls > f['epoll-wait'].calls) {
    const futexPerIo = f.futex.calls / io;
    // A poll loop serves every connection from one thread. Python's ThreadingHTTPServer also polls, but only its
    // listening socket (timeouts every 0.5 s), while connection threads fight over the GIL: futex per read/write.
    if (futexPerIo > LOOP_FUTEX_PER_IO || (accepted > 0 && clonePerAccept >= CLONE_PER_ACCEPT)) {
      return unknown([
        `poll/select waits: ${formatCount(f['poll-select'].calls)} vs ${formatCount(f['epoll-wait'].calls)} epoll waits`,
        `but ${formatRatio(futexPerIo)} futex per read/write and ${formatRatio(clonePerAccept)} thread creations per accepted connection (${formatCount(accepted)} accepted): threads serve connections, too few accepts to call it thread-per-connection`,
        ...contextNotes(x),
      ]);
    }
    evidence.push(
      `poll/select waits: ${formatCount(f['poll-select'].calls)} vs ${formatCount(f['epoll-wait'].calls)} epoll waits`,
      `${formatRatio(f['poll-select'].calls / io)} poll/select calls per read/write`,
    );
    evidence.push(`${formatRatio(futexPerIo)} futex per read/write: one thread serves the connections`);
    if (accepted > 0) evidence.push(`${formatRatio(clonePerAccept)} thread creations per accept: no thread per connection`);
    const share = f['poll-select'].calls / x.waits;
    return { label: 'poll/select loop', confidence: clamp(0.55 + 0.4 * share), evidence: [...evidence, ...contextNotes(x)] };
  }

  if (f['epoll-wait'].calls > 0) return classifyEpoll(x);

  // Accepts but no readiness waits and no thread per accept: blocking I/O, perhaps a pre-started pool.
  const threads = x.threads ?? 0;
  if (threads >= 2 && x.readFailShare < BLOCKING_READ_ERROR_SHARE) {
    return {
      label: 'thread-per-connection (blocking)',
      confidence: 0.5,
      evidence: [
        `no epoll/poll/select waits on ${formatCount(threads)} threads: I/O blocks in read/write`,
        `${formatShare(x.readFailShare)} of reads fail`,
        `only ${formatRatio(clonePerAccept)} thread creations per accept: threads were started before the capture (a pool?)`,
        ...contextNotes(x),
      ],
    };
  }
  return unknown([
    `${formatCount(f.accept.calls)} accepts but no readiness waits and no thread per connection (${formatRatio(clonePerAccept)} clones per accept)`,
    ...contextNotes(x),
  ]);
}

function classifyEpoll(x: Features): ModelVerdict {
  const { f, io } = x;
  const sleepPerIo = x.rawNanosleep / io;
  const futexPerIo = f.futex.calls / io;
  const waitLine = `${formatRatio(f['epoll-wait'].calls / io)} epoll waits per read/write (${formatShare(x.pwaitShare)} of them epoll_pwait)`;
  const readLine = `${formatShare(x.readFailShare)} of reads fail (${x.errnoDetail ? 'EAGAIN' : `EAGAIN or other errors: ${x.source ?? 'the source'} does not name errnos`})`;
  const sleepLine = `${formatRatio(sleepPerIo)} nanosleep per read/write`;
  const futexLine = `${formatRatio(futexPerIo)} futex per read/write`;
  const otherSleeps = f.sleep.calls - x.rawNanosleep;

  if (sleepPerIo >= GO_SYSMON_SLEEP_PER_IO) {
    const runtimeLine = `${sleepLine} (>= ${GO_SYSMON_SLEEP_PER_IO}: a Go runtime's sysmon)`;
    const extras = goExtras(f);
    const epollWaitShare = 1 - x.pwaitShare;
    if (epollWaitShare >= REACTOR_EPOLL_WAIT_SHARE) {
      return {
        label: 'event-loop reactor (epoll)',
        confidence: clamp(0.6 + 0.3 * epollWaitShare),
        evidence: [
          `${formatShare(epollWaitShare)} of epoll waits are epoll_wait, which the Go netpoller never calls: the program runs its own event loop`,
          waitLine,
          runtimeLine,
          readLine,
          ...contextNotes(x),
        ],
      };
    }
    if (x.pwaitShare >= NETPOLL_PWAIT_SHARE) {
      // Reactors on arm64 also wait with epoll_pwait only; the EAGAIN share separates them there.
      const eagainAgrees = x.readFailShare >= NETPOLL_READ_EAGAIN_SHARE;
      const confidence = clamp(0.65 + (eagainAgrees ? 0.15 : 0) + 0.05 * extras.length + (futexPerIo > 0 ? 0.05 : 0));
      return {
        label: 'goroutine-per-connection (netpoll)',
        confidence,
        evidence: [runtimeLine, waitLine, readLine, futexLine, ...extras, ...contextNotes(x)],
      };
    }
    return unknown([runtimeLine, waitLine, readLine, 'a Go runtime, but the epoll waits are mixed: cannot tell netpoll from a reactor', ...contextNotes(x)]);
  }

  if (futexPerIo <= REACTOR_FUTEX_PER_IO) {
    const confidence = clamp(0.75 + 0.2 * (1 - futexPerIo / REACTOR_FUTEX_PER_IO) * (sleepPerIo === 0 ? 1 : 0.5));
    return {
      label: 'event-loop reactor (epoll)',
      confidence,
      evidence: [
        waitLine,
        `${futexLine} and ${sleepLine}: threads barely coordinate, no Go runtime`,
        ...(otherSleeps > 0 ? [`${formatRatio(otherSleeps / io)} clock_nanosleep per read/write (a C library sleep, not Go's sysmon)`] : []),
        readLine,
        ...contextNotes(x),
      ],
    };
  }
  return unknown([waitLine, `${futexLine}: many threads coordinate around the event loop`, sleepLine, readLine, ...contextNotes(x)]);
}

interface ChildEvidence {
  /** The tasks created per connection are child processes. */
  forks: boolean;
  reapsPerAccept: number;
  exitsPerAccept: number;
  /** Ends with the line that tells threads from processes. */
  evidence: string[];
}

// Threads and forked children are both clones per accepted connection; only processes are reaped (wait4) or end
// with exit_group, and glibc creates threads with clone3.
function childProcesses(x: Features, accepted: number): ChildEvidence {
  const forksPerAccept = x.forkCalls / accepted;
  const clone3PerAccept = x.clone3 / accepted;
  const reapsPerAccept = x.reaps / accepted;
  const exitsPerAccept = x.exitGroups / accepted;
  const reaped = reapsPerAccept >= CHILD_PER_ACCEPT || exitsPerAccept >= CHILD_PER_ACCEPT;
  const forks = forksPerAccept >= CLONE_PER_ACCEPT && clone3PerAccept < CLONE_PER_ACCEPT && reaped;
  const creations = `${formatRatio(forksPerAccept)} clone/fork/vfork and ${formatRatio(clone3PerAccept)} clone3 calls per accepted connection (${formatCount(x.forkCalls)} and ${formatCount(x.clone3)} / ${formatCount(accepted)})`;
  const ends = `${formatRatio(reapsPerAccept)} wait4/waitid and ${formatRatio(exitsPerAccept)} exit_group per accepted connection`;
  if (forks) {
    return {
      forks,
      reapsPerAccept,
      exitsPerAccept,
      evidence: [creations, `${ends}: each connection's task is a child process the server reaps`],
    };
  }
  return { forks, reapsPerAccept, exitsPerAccept, evidence: [`${ends}: the new tasks are threads, not child processes`] };
}

// A tracer filtered on the server's pid (bpftrace `pid == N`) sees a forking server's parent only: it accepts,
// forks and reaps once per connection and reads and writes nothing itself; its children did the I/O out of sight.
function parentOfForkedChildren(x: Features): ModelVerdict | undefined {
  const accepted = x.f.accept.calls - x.f.accept.errors;
  if (accepted < MIN_ACCEPTS || x.io >= accepted) return undefined;
  const children = childProcesses(x, accepted);
  if (!children.forks || children.reapsPerAccept < CHILD_PER_ACCEPT) return undefined;
  return {
    label: 'process-per-connection (fork)',
    confidence: clamp(0.5 + 0.1 * Math.min(children.reapsPerAccept, 1) + sampleBonus(accepted)),
    evidence: [
      ...children.evidence,
      `only ${formatCount(x.io)} read/write-family calls for ${formatCount(accepted)} connections: the children that served them are not in this capture (trace them too: strace -f, or netprobe's backends, which follow children)`,
      ...contextNotes(x, 'processes'),
    ],
  };
}

// Other Go runtime habits that add confidence but are not required (they depend on load and GC).
function goExtras(f: FamilyCounts): string[] {
  const extras: string[] = [];
  if (f['sched-yield'].calls > 0) extras.push(`${formatCount(f['sched-yield'].calls)} sched_yield (scheduler spinning)`);
  if (f.signals.calls > 0) extras.push(`${formatCount(f.signals.calls)} tgkill/rt_sigreturn (goroutine preemption signals)`);
  return extras;
}

function features(table: SyscallTable, ctx: ClassifyContext): Features {
  const f = familyCounts(table);
  const errnoDetail = hasErrnoDetail(table);
  const readFails = errnoDetail ? f.read.eagain : f.read.errors;
  let pwait = 0;
  let rawNanosleep = 0;
  let openat = 0;
  let forkCalls = 0;
  let clone3 = 0;
  let reaps = 0;
  let exitGroups = 0;
  for (const row of table.rows) {
    if (row.name === 'clone' || row.name === 'fork' || row.name === 'vfork') forkCalls += row.calls;
    if (row.name === 'clone3') clone3 += row.calls;
    if (row.name === 'wait4' || row.name === 'waitid') reaps += row.calls;
    if (row.name === 'exit_group') exitGroups += row.calls;
    if (row.name === 'open' || row.name === 'openat' || row.name === 'openat2') openat += row.calls;
    if (row.name === 'epoll_pwait' || row.name === 'epoll_pwait2') pwait += row.calls;
    if (row.name === 'nanosleep') rawNanosleep += row.calls;
  }
  const threads = ctx.threads ?? table.threads;
  return {
    f,
    io: f.read.calls + f.write.calls,
    waits: f['epoll-wait'].calls + f['poll-select'].calls,
    readFailShare: f.read.calls > 0 ? readFails / f.read.calls : 0,
    errnoDetail,
    rawNanosleep,
    openat,
    pwaitShare: f['epoll-wait'].calls > 0 ? pwait / f['epoll-wait'].calls : 0,
    forkCalls,
    clone3,
    reaps,
    exitGroups,
    ...(threads !== undefined ? { threads } : {}),
    ...(ctx.requests !== undefined ? { requests: ctx.requests } : {}),
    ...(ctx.source !== undefined ? { source: ctx.source } : {}),
  };
}

// What the source knew beyond counts; not used to decide, but lets a reader check the scale.
// Sources count every task they saw as a thread; under a forking server most of them are child processes.
function contextNotes(x: Features, tasks: 'threads' | 'processes' = 'threads'): string[] {
  const notes: string[] = [];
  if (x.requests !== undefined && x.requests > 0) notes.push(`${formatRatio(x.io / x.requests)} reads/writes per request (${formatCount(x.requests)} requests)`);
  if (x.threads !== undefined) {
    const what = tasks === 'threads' ? `thread${x.threads === 1 ? '' : 's'}` : `task${x.threads === 1 ? '' : 's'} (processes and threads)`;
    notes.push(`${formatCount(x.threads)} ${what} made syscalls`);
  }
  return notes;
}

function unknown(evidence: string[]): ModelVerdict {
  return { label: 'unknown', confidence: 0, evidence };
}

// More accepted connections make the clone-per-accept ratio trustworthy; saturates at 100.
function sampleBonus(accepts: number): number {
  return 0.1 * Math.min(1, Math.log10(accepts) / 2);
}

function clamp(confidence: number): number {
  return Math.round(Math.min(0.95, Math.max(0, confidence)) * 100) / 100;
}


