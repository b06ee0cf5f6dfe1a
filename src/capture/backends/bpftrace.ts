// bpftrace backend: counts every syscall of the target in the kernel (calls, errors by errno, threads,
// optionally user stacks); the lowest overhead, since nothing crosses to user space per call and nothing is
// paired per call (one probe, at sys_exit). No time per syscall: `--latency` runs its own program for that.
// `bpftrace raw/netprobe.bt`, stdout copied untouched to raw/bpftrace.txt; the maps are printed when
// bpftrace gets SIGINT or when the target's main thread exits (the script calls exit()). The calls in flight
// at the end are read from /proc right after the stop signal and appended to raw/bpftrace.txt (in-flight.ts).
// The target's existing descendants (pre-forked workers) are written into the script; later forks are
// followed in-kernel.
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BPFTRACE_COUNT_READY_LINE, BPFTRACE_READY_LINE, bpftraceSyscallScript } from '../bpftrace-script.js';
import { IN_FLIGHT_UNKNOWN } from '../../parse/bpftrace-markers.js';
import { blockedThreads, inFlightLines } from '../in-flight.js';
import { ManagedProcess, processAlive, processTree, waitForTracer } from '../target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';

// bpftrace prints "Attaching N probes..." before it loads and attaches them (the verifier may take a
// while); BEGIN runs only after the last attach, and our script's BEGIN prints BPFTRACE_READY_LINE.

/** The processes to trace besides the target (its pre-forked workers), as every netprobe program seeds them. */
export function descendantsOf(options: Pick<AttachOptions, 'pid' | 'pids'>): number[] {
  return options.pids.filter((pid) => pid !== options.pid);
}

/** The script netprobe writes to `scriptPath`, and bpftrace's argv and environment to run it, for these attach options. */
export function bpftraceCommand(
  options: Pick<AttachOptions, 'pid' | 'pids' | 'syscallStacks'>,
  scriptPath: string,
  blocked: ReadonlyArray<readonly [number, number]> = [],
): { script: string; args: string[]; env: Record<string, string> } {
  const script = bpftraceSyscallScript({
    pid: options.pid,
    followChildren: true,
    descendants: descendantsOf(options),
    stacks: options.syscallStacks,
    blocked,
  });
  // Stack maps key on (stack, syscall): the default of 4096 keys fills up on a real server.
  return { script, args: [scriptPath], env: { BPFTRACE_MAP_KEYS_MAX: '65536' } };
}

export async function attachBpftrace(options: AttachOptions): Promise<Tracer> {
  const scriptFile = 'raw/netprobe.bt';
  const output = 'raw/bpftrace.txt';
  // The calls already blocked now were made before the capture: the script does not count their returns.
  const { blocked, unreadable } = await blockedThreads(options.pids);
  const notes: string[] = [];
  if (unreadable.length > 0) {
    notes.push(`bpftrace: the calls threads were blocked in before the capture are unknown (${unreadable[0]}): up to one call per such thread is counted though made before it`);
  }
  const { script, env } = bpftraceCommand(options, join(options.runDir, scriptFile), blocked);
  const proc = await startBpftrace(options.runDir, { scriptFile, output, script, env, readyLine: BPFTRACE_COUNT_READY_LINE });
  // The calls in flight are read right after the stop signal froze the maps (the program's @end), before bpftrace
  // prints them, and appended once after them, however often stop() is called (a failure's cleanup calls it again).
  let stopped: Promise<void> | undefined;
  const stopAndReadInFlight = async (): Promise<void> => {
    const endedItself = proc.hasExited;
    // The processes are listed first (all of /proc): the threads' files are read at the signal itself.
    const pids = endedItself ? [...options.pids] : await processTree(options.pid);
    let inFlight: string[] | undefined;
    const readInFlight = async () => {
      inFlight = await inFlightLines(pids);
    };
    // Printing stack maps symbolises every frame, which takes a while on big maps.
    const exit = await proc.stop({ graceMs: 30_000, afterFirstSignal: readInFlight });
    if (exit.signal !== null) {
      // Killed while printing: its maps may be cut short, and nothing says which calls were in flight.
      notes.push(`bpftrace: stopped by ${exit.signal} before it had printed all its maps; counts may be missing`);
      inFlight = [`${IN_FLIGHT_UNKNOWN} bpftrace was stopped by ${exit.signal}`];
    } else if (endedItself) {
      // bpftrace ended with the target's main thread: nothing of it is left in flight, unless a process it had
      // forked before the capture still runs (whose calls cannot be read as of then).
      let running: number | undefined;
      for (const pid of options.pids) if (running === undefined && (await processAlive(pid))) running = pid;
      if (running !== undefined) inFlight = [`${IN_FLIGHT_UNKNOWN} the target's main thread ended the capture while process ${running} still ran`];
    }
    // It exited between the check above and the signal: as when it ended itself.
    inFlight ??= await inFlightLines(pids);
    await appendFile(join(options.runDir, output), `${inFlight.join('\n')}\n`);
  };
  return {
    label: 'bpftrace',
    exitStatus: () => proc.exitStatus,
    stop: () => (stopped ??= stopAndReadInFlight()),
    async collect(): Promise<TracerOutput> {
      const loss = bpftraceLoss(proc);
      return {
        lost: loss.lost,
        role: 'syscalls',
        output: { file: output, format: 'bpftrace' },
        stacks: options.syscallStacks,
        files: [scriptFile, output],
        notes: [...notes, ...loss.notes],
      };
    },
  };
}

interface BpftraceRun {
  /** Where the program goes, relative to the run directory (kept for the record). */
  scriptFile: string;
  /** Where bpftrace's stdout goes, untouched, relative to the run directory. */
  output: string;
  /** The program; its BEGIN must print `readyLine`. */
  script: string;
  /** Default BPFTRACE_READY_LINE. */
  readyLine?: string;
  env?: Record<string, string>;
}

/**
 * Writes a bpftrace program into the run directory and runs it; resolves once every probe is attached (the
 * program's BEGIN printed its ready line), so nothing the target does from then on is missed.
 */
async function startBpftrace(runDir: string, run: BpftraceRun): Promise<ManagedProcess> {
  await writeFile(join(runDir, run.scriptFile), run.script);
  let ready!: () => void;
  const attached = new Promise<void>((resolve) => (ready = resolve));
  const proc = new ManagedProcess('bpftrace', [join(runDir, run.scriptFile)], {
    label: 'bpftrace',
    stdoutFile: join(runDir, run.output),
    onStdoutLine: (line) => {
      if (line === (run.readyLine ?? BPFTRACE_READY_LINE)) ready();
    },
    // bpftrace 0.17 caches user symbols only with ASLR off; without the cache it reads a binary's symbols again
    // for every frame it prints: 23 s instead of 0.7 s for the off-CPU maps of a Go server, long enough for a
    // Ctrl-C to look hung. The cache is keyed by binary path, which is right for one target and the workers it
    // forks (same layout); only separately exec'd copies of one PIE binary could be misnamed.
    env: { BPFTRACE_CACHE_USER_SYMBOLS: '1', ...(run.env ?? {}) },
  });
  await waitForTracer(proc, attached, bpftraceHint);
  return proc;
}

/** What bpftrace said on stderr about events it lost (perf buffer drops) or maps that filled up (updates fail). */
function bpftraceLoss(proc: ManagedProcess): { lost: number; notes: string[] } {
  const line = proc.stderrTail().find((l) => /lost \d+ events|map.*full/i.test(l));
  if (!line) return { lost: 0, notes: [] };
  return { lost: Number(/lost (\d+) events/i.exec(line)?.[1] ?? 1), notes: [`bpftrace: ${line.trim()}`] };
}

function bpftraceHint(stderr: string): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'bpftrace needs root: run netprobe as root (sudo env "PATH=$PATH" npx netprobe ...).';
  if (/tracefs|debugfs|\/sys\/kernel\/(debug\/)?tracing/i.test(stderr)) {
    return 'Mount tracefs: `mount -t tracefs nodev /sys/kernel/tracing`.';
  }
  if (/Operation not permitted|Permission denied/i.test(stderr)) return 'bpftrace needs root (CAP_BPF and CAP_PERFMON): run netprobe as root (sudo env "PATH=$PATH" npx netprobe ...).';
  return undefined;
}

/** One of netprobe's bpftrace programs beside the syscall backend (off-CPU stacks, latency histograms). */
interface ExtraProgram {
  role: 'offcpu' | 'latency';
  scriptFile: string;
  output: string;
  format: 'bpftrace-offcpu' | 'bpftrace-latency';
  script: string;
}

/** Runs an extra bpftrace program as a Tracer; its maps are printed on SIGINT or when the target exits. */
export async function attachBpftraceProgram(options: AttachOptions, program: ExtraProgram): Promise<Tracer> {
  // Per-thread and per-stack keys: a busy server has thousands.
  const proc = await startBpftrace(options.runDir, { scriptFile: program.scriptFile, output: program.output, script: program.script, env: { BPFTRACE_MAP_KEYS_MAX: '65536' } });
  return {
    label: 'bpftrace',
    exitStatus: () => proc.exitStatus,
    // Printing stack maps symbolises every frame of every stack.
    stop: () => proc.stop({ graceMs: 30_000 }).then(() => undefined),
    async collect(): Promise<TracerOutput> {
      const loss = bpftraceLoss(proc);
      return {
        role: program.role,
        output: { file: program.output, format: program.format },
        stacks: program.role === 'offcpu',
        files: [program.scriptFile, program.output],
        notes: loss.notes,
        lost: loss.lost,
      };
    },
  };
}
