// Lifecycle of every process netprobe starts (the target, tracers, load commands): spawn from argv in its
// own process group, keep the last stderr lines, stop with SIGINT -> SIGTERM -> SIGKILL, reap the group.
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { NetprobeError } from '../model/errors.js';

export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
}

export interface SpawnOptions {
  /** Name used in messages, e.g. `strace` or `the target`. */
  label?: string;
  /** Copy stdout, untouched, into this file. Default: stdout is discarded. */
  stdoutFile?: string;
  /** Called for every stdout line (after it is copied). */
  onStdoutLine?: (line: string) => void;
  /** Called for every stderr line. */
  onStderrLine?: (line: string) => void;
  /** Called with stdout as it arrives, not split into lines. */
  onStdoutChunk?: (chunk: string) => void;
  /** Called with stderr as it arrives, not split into lines. */
  onStderrChunk?: (chunk: string) => void;
  env?: Record<string, string>;
  /** Lines of stderr kept for error messages (default 20). */
  tailLines?: number;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
// A process that has exited leaves at most a pipe's worth of output, read at once; a pipe still open after this
// is held by a descendant that left the process group (`setsid cmd &`), which no signal of ours reaches.
const DRAIN_AFTER_EXIT_MS = 1000;

interface StopOptions {
  graceMs?: number;
  first?: 'SIGINT' | 'SIGTERM';
  /** Runs right after the first signal is sent; what it throws is kept for the caller, the escalation goes on. */
  afterFirstSignal?: () => Promise<void>;
}

/** A child process in its own process group (so the terminal's Ctrl-C reaches netprobe only, and stopping it reaches its children too). */
export class ManagedProcess {
  readonly pid: number;
  readonly label: string;
  /** Resolves when the process itself has exited and its output is drained (or given up on, see DRAIN_AFTER_EXIT_MS). */
  readonly exited: Promise<ProcessExit>;
  /** Resolves when the process itself has exited, whoever still holds its pipes. */
  private readonly ownExit: Promise<ProcessExit>;
  private exit?: ProcessExit;
  private readonly tail: string[] = [];
  private stopped?: Promise<ProcessExit>;

  constructor(file: string, args: readonly string[], options: SpawnOptions = {}) {
    this.label = options.label ?? file;
    const keep = options.tailLines ?? 20;
    const child = execa(file, args, {
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
      stdout: options.stdoutFile || options.onStdoutLine || options.onStdoutChunk ? 'pipe' : 'ignore',
      stderr: 'pipe',
      env: options.env,
      encoding: 'utf8',
    });
    if (child.pid === undefined) {
      // spawn failed synchronously (ENOENT, EACCES): the result says why.
      this.pid = -1;
      this.exited = child.then((r) => {
        this.exit = { exitCode: null, signal: null };
        const why = (r as { code?: string }).code === 'ENOENT' ? 'not found' : r.shortMessage;
        throw new NetprobeError('environment', `cannot start ${this.label}: ${file} ${why}`);
      });
      this.exited.catch(() => {});
      this.ownExit = this.exited;
      return;
    }
    this.pid = child.pid;
    // execa's own promise settles only once the pipes close; the pipes are handled below.
    child.catch(() => {});
    const sink: WriteStream | undefined = options.stdoutFile ? createWriteStream(options.stdoutFile) : undefined;
    const sinkClosed = sink ? new Promise<void>((resolve) => sink.on('close', resolve).on('error', () => resolve())) : Promise.resolve();
    const stdoutDone = child.stdout
      ? splitLines(
          child.stdout,
          (line) => options.onStdoutLine?.(line),
          (chunk) => {
            sink?.write(chunk);
            options.onStdoutChunk?.(chunk);
          },
        )
      : Promise.resolve();
    void stdoutDone.then(() => sink?.end());
    const stderrDone = splitLines(
      child.stderr!,
      (line) => {
        // Shown in messages: a few hundred characters of a line say what it is.
        this.tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
        if (this.tail.length > keep) this.tail.shift();
        options.onStderrLine?.(line);
      },
      options.onStderrChunk,
    );
    const drained = Promise.all([stdoutDone, stderrDone, sinkClosed]);
    this.ownExit = new Promise((resolve) => {
      child.once('exit', (exitCode, signal) => {
        this.exit = { exitCode, signal };
        resolve(this.exit);
      });
    });
    this.exited = this.ownExit.then(async (exit) => {
      if (!(await settlesWithin(drained, DRAIN_AFTER_EXIT_MS))) {
        child.stdout?.destroy();
        child.stderr?.destroy();
        await drained;
      }
      return exit;
    });
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** How the process ended, once it has (undefined while it runs). */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** The last stderr lines, oldest first. */
  stderrTail(): string[] {
    return [...this.tail];
  }

  /** Signals the whole process group; no-op when it is gone. */
  signal(sig: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /**
   * Stops the process: `first` (default SIGINT) to the group, then SIGTERM, then SIGKILL, each after
   * `graceMs`; finally SIGKILL to anything left in the group (children that ignored the signals).
   * `afterFirstSignal` runs right after the first signal is sent (not at all when the process had exited).
   */
  async stop(options: StopOptions = {}): Promise<ProcessExit> {
    if (this.stopped) return this.stopped;
    this.stopped = this.escalate(options);
    return this.stopped;
  }

  private async escalate(options: StopOptions): Promise<ProcessExit> {
    const grace = options.graceMs ?? 3000;
    const order = options.first === 'SIGTERM' ? STOP_SIGNALS.slice(1) : STOP_SIGNALS;
    let failed: { error: unknown } | undefined;
    for (const [i, sig] of order.entries()) {
      if (this.hasExited) break;
      this.signal(sig);
      // A stopped process (held target, SIGTSTP) only acts on the signal once continued.
      this.signal('SIGCONT');
      // Whatever it throws, the process is still stopped (and killed if need be) before the error is passed on.
      if (i === 0) await options.afterFirstSignal?.().catch((error: unknown) => (failed = { error }));
      if (await settlesWithin(this.ownExit, grace)) break;
    }
    this.signal('SIGKILL');
    const exit = await this.exited.catch(() => ({ exitCode: null, signal: null }));
    if (failed) throw failed.error;
    return exit;
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  const timer = sleep(ms, false, { signal: ac.signal }).catch(() => false);
  const result = await Promise.race([promise.then(() => true, () => true), timer]);
  ac.abort();
  return result;
}

/** Feeds the stream's lines to `onLine`; resolves when it ends, fails or is destroyed. */
// A process's output lines are kept for messages and readiness only: one line holds at most this much, so 100 MB
// of output without a newline costs linear time and bounded memory (the untouched copy goes to onChunk/files).
const MAX_LINE_CHARS = 64 * 1024;

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, onChunk?: (chunk: string) => void): Promise<void> {
  let partial = '';
  let cut = false;
  const keep = (text: string) => {
    if (partial.length + text.length <= MAX_LINE_CHARS) partial += text;
    else {
      partial = (partial + text.slice(0, Math.max(0, MAX_LINE_CHARS - partial.length))).slice(0, MAX_LINE_CHARS);
      cut = true;
    }
  };
  const emit = () => {
    onLine(cut ? `${partial}… [line cut at ${MAX_LINE_CHARS / 1024} KiB]` : partial);
    partial = '';
    cut = false;
  };
  stream.on('data', (chunk: string | Buffer) => {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    onChunk?.(text);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      keep(text.slice(start, nl));
      emit();
      start = nl + 1;
    }
    keep(text.slice(start));
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (partial) emit();
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

// `kill -STOP $$` parks the shell before exec, so a tracer can attach to the pid and see the target from
// its first instruction; the command is passed as positional parameters, never interpolated into the script.
// Why a stop signal and not a read on a pipe: the stopped shell sits in group-stop *between* syscalls, so
// neither ptrace's attach interrupt nor the SIGCONT cuts a blocking call short (a shell blocked in read(2)
// would see its read interrupted and restarted by strace's attach, and that would be counted), and the
// SIGCONT reaches the shell, not the server it becomes. A running target is never signalled: SIGCONT to
// a server makes its epoll_wait fail with EINTR (signal(7)) and Go's handler adds rt_sigreturn/restart_syscall,
// all of which a tracer would report as the server's own errors.
const HOLD_SCRIPT = 'kill -STOP $$ && exec "$@"';

export interface Target {
  process: ManagedProcess;
  /** Lets a held target run (SIGCONT); a no-op for a target that was not started held. */
  resume(): void;
}

/** Starts the command to trace; with `held`, it waits stopped right before exec until resume(). */
export async function startTarget(command: readonly string[], options: { held?: boolean } = {}): Promise<Target> {
  if (command.length === 0) throw new NetprobeError('usage', 'no command to trace: put it after `--`');
  await checkExecutable(command[0]!);
  const [file, ...args] = options.held ? ['sh', '-c', HOLD_SCRIPT, 'netprobe-target', ...command] : command;
  const proc = new ManagedProcess(file!, args, { label: command[0]! });
  if (proc.pid < 0) await proc.exited;
  if (options.held) await waitUntilStopped(proc);
  return {
    process: proc,
    resume: () => {
      if (options.held) proc.signal('SIGCONT');
    },
  };
}

// The held start execs through sh, which would turn a typo into "exited with 127"; say it up front instead.
async function checkExecutable(file: string): Promise<void> {
  const candidates = file.includes('/') ? [file] : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, file));
  for (const path of candidates) {
    if (await access(path, constants.X_OK).then(() => true, () => false)) return;
  }
  const exists = file.includes('/') && (await access(file).then(() => true, () => false));
  throw new NetprobeError('environment', exists ? `cannot start ${file}: not executable` : `cannot start ${file}: command not found`, {
    hint: exists ? `Make it executable: \`chmod +x ${file}\`.` : 'Check the command after `--` (a path, or a program on PATH).',
  });
}

async function waitUntilStopped(proc: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.hasExited) return;
    if ((await processState(proc.pid)) === 'T') return;
    await sleep(5);
  }
  await proc.stop();
  throw new NetprobeError('environment', `${proc.label} did not reach the point before exec within 10 s`);
}

/** The process's command name (`/proc/<pid>/comm`, e.g. `nginx`), when it exists. */
export async function processName(pid: number): Promise<string | undefined> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
  return comm?.trim() || undefined;
}

/** The one-letter state from /proc/<pid>/stat (R, S, T, Z...), or of one of its threads; undefined when it is gone. */
export async function processState(pid: number, tid?: number): Promise<string | undefined> {
  const stat = await readFile(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
  // The comm field may contain spaces and parentheses: the state follows the last `)`.
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * The process and every process descending from it (children, their children...), parent first; threads are
 * not listed (tracers follow every thread of a process). Pre-forking servers (nginx, gunicorn, php-fpm) do
 * their work in children that exist before any tracer attaches, so attaching to the parent alone sees nothing.
 * Read from the `ppid` field of every /proc/<pid>/stat: /proc/<pid>/task/<tid>/children needs
 * CONFIG_PROC_CHILDREN and misses children whose parent thread has exited.
 */
export async function processTree(pid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const children = new Map<number, number[]>();
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const ppid = parentPid(await readFile(`/proc/${e}/stat`, 'utf8').catch(() => ''));
        if (ppid === undefined) return;
        const list = children.get(ppid) ?? [];
        list.push(Number(e));
        children.set(ppid, list);
      }),
  );
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []).sort((a, b) => a - b));
  return tree;
}

// `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so fields are counted after the last `)`.
function parentPid(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  return state && state !== 'Z' && state !== 'X' && Number.isInteger(ppid) ? ppid : undefined;
}

// Clock ticks per second of /proc/<pid>/stat times (sysconf(_SC_CLK_TCK)): 100 on every Linux ABI netprobe runs on.
const CLOCK_TICKS = 100;

/** When the process started, in seconds since boot (to 1/100 s), or undefined when it is gone. */
export async function startedSinceBoot(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Field 22 (starttime) is the 20th after the `)` that closes comm.
  const ticks = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS : undefined;
}

/** Seconds since boot now, on the same clock as startedSinceBoot(). */
export async function secondsSinceBoot(): Promise<number> {
  return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
}

/** Resident memory of a process in bytes (VmRSS), or undefined. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status && /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Resident memory of a process and its descendants (pre-forked workers), summed; undefined when unreadable. */
export async function treeResidentBytes(pid: number): Promise<number | undefined> {
  const sizes = await Promise.all((await processTree(pid)).map(residentBytes));
  const known = sizes.filter((b): b is number => b !== undefined);
  return known.length === 0 ? residentBytes(pid) : known.reduce((a, b) => a + b, 0);
}

/** True when a process with this pid exists (and is not a zombie). */
export async function processAlive(pid: number): Promise<boolean> {
  const state = await processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/**
 * The error for a target that exited or crashed when it should be running, with its last stderr lines;
 * `portFrom` names the option the waited-for port came from (`--port`, or the `--load` URL).
 */
export function targetFailed(proc: ManagedProcess, what: string, exit?: ProcessExit, portFrom = '--port'): NetprobeError {
  const how = exit ? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`) : 'failed';
  const tail = proc.stderrTail().filter((l) => l.trim() !== '');
  const shown = tail.length > 0 ? `\n${tail.slice(-10).map((l) => `  | ${l}`).join('\n')}` : ' (no stderr output)';
  return new NetprobeError('environment', `${proc.label} ${how} ${what}${shown}`, {
    hint: `Run the command on its own to check it starts, and that the port given with ${portFrom} is the one it listens on.`,
  });
}

const INSTALL_HINTS: Record<string, string> = {
  strace: 'Install it with `apt-get install strace`.',
  perf: 'Install it with `apt-get install linux-perf` (Debian) or `apt-get install linux-tools-$(uname -r)` (Ubuntu).',
  bpftrace: 'Install it with `apt-get install bpftrace`.',
};

/**
 * Waits until a tracer says it is counting (`ready`), failing with its stderr and a fix when it exits
 * first or takes longer than `timeoutMs`. `hint` maps the tracer's stderr to a fix, when it knows one.
 */
export async function waitForTracer(
  proc: ManagedProcess,
  ready: Promise<void>,
  hint: (stderr: string) => string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const ac = new AbortController();
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    proc.exited.then(() => 'exited' as const, (e: unknown) => e),
    sleep(timeoutMs, 'timeout' as const, { signal: ac.signal }).catch(() => 'ready' as const),
  ]).finally(() => ac.abort());
  if (outcome === 'ready') return;
  if (outcome instanceof NetprobeError) {
    throw new NetprobeError('environment', outcome.message, { hint: INSTALL_HINTS[proc.label], cause: outcome });
  }
  if (outcome === 'timeout') await proc.stop();
  const stderr = proc.stderrTail().filter((l) => l.trim() !== '' && !/RLIMIT_MEMLOCK/.test(l));
  const what = outcome === 'timeout' ? `did not start tracing within ${timeoutMs / 1000} s` : 'failed to start';
  throw new NetprobeError('environment', `${proc.label} ${what}${stderr.length ? `:\n${stderr.slice(-8).map((l) => `  | ${l}`).join('\n')}` : ''}`, {
    hint: hint(stderr.join('\n')) ?? `Run \`netprobe doctor\` to see which backends work here.`,
  });
}
