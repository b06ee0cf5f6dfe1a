// One capture, start to finish: start (or attach to) the target, attach the tracers, drive the load, stop
// everything in order (load, tracers, target) and hand back what was captured: the tracers' raw output files,
// the load result, the window, the target's exit and memory. Parsing and the run directory's files are run/'s.
//
// Capture windows, per case (printed in the summary, stored in run.json `capture.window`):
// - a command with --port (or a --load URL, whose port is waited for): the target starts untraced, the
//   tracers attach once the port accepts connections and stop when the load ends, before the target is
//   stopped: startup and shutdown syscalls stay out of the per-request figures (`load`).
// - a command without a port: the target is held stopped before exec until the tracers count, then runs to
//   its exit (or for --duration): every syscall from exec on (`whole run`).
// - --pid: from attach (once the port is ready, when there is one) until the load ends, --duration passes,
//   the process exits or Ctrl-C (`attached`).
// When attaching to a running process, the tracers get it and every process descending from it: pre-forking
// servers (nginx, php-fpm) work in children that exist before the attach. Later forks are followed by each
// backend. Tracers stop before the target so bpftrace can still symbolise the target's stacks while it is alive.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetprobeError } from '../model/errors.js';
import type { LoadResult, RunCapture } from '../model/run.js';
import { shellQuoted, shownPath } from '../model/shown-path.js';
import { attachBpftrace } from './backends/bpftrace.js';
import { attachBpftraceLatency } from './backends/bpftrace-latency.js';
import { attachBpftraceOffcpu } from './backends/bpftrace-offcpu.js';
import { attachPerfCpu, attachPerfSyscalls, type CpuEvent } from './backends/perf.js';
import { attachStrace } from './backends/strace.js';
import { selectBackend, type BackendChoice } from './backend-select.js';
import { runLoadCommand } from './load-cmd.js';
import { loopbackTarget, runHttpLoad } from './load-http.js';
import { recordMappings, type MappingRecorder, type ProcessMappings } from './mappings.js';
import { probeBpftrace, probeCpuSampling, probeEnvironment } from './probes.js';
import { daemonsOf, stopDaemons } from './daemon.js';
import { waitForPort } from './ready.js';
import { processAlive, processTree, secondsSinceBoot, startedSinceBoot, startTarget, targetFailed, treeResidentBytes, type ProcessExit, type Target } from './target.js';
import type { AttachOptions, BackendName, TraceOptions, TraceProgress, Tracer, TracerOutput } from './types.js';

const DEFAULT_READY_TIMEOUT_SECONDS = 30;
/** How long tracers may take to finish their output once their target has exited (see followedOut). */
const FOLLOW_OUT_MS = 10_000;

export interface Plan {
  /** Port to wait for before the capture window opens. */
  port?: number;
  /** The option the port came from, for messages: `--port` or `--load`. */
  portFrom: '--port' | '--load';
  readyTimeoutMs: number;
  window: RunCapture['window'];
  notes: string[];
  commandText?: string;
}

/** Everything the user can get wrong is refused here, before a backend is probed or anything started. */
export async function planCapture(options: TraceOptions): Promise<Plan> {
  const hasCommand = options.command !== undefined && options.command.length > 0;
  if (hasCommand === (options.pid !== undefined)) {
    throw new NetprobeError('usage', hasCommand ? 'give either a command or --pid, not both' : 'nothing to trace: give a command after `--`, or --pid');
  }
  if (options.load && options.loadCmd) throw new NetprobeError('usage', '--load and --load-cmd are exclusive');
  if (options.measureOverhead && (!hasCommand || !(options.load || options.loadCmd))) {
    throw new NetprobeError('usage', '--measure-overhead needs a command to restart and a load (--load or --load-cmd)');
  }
  if (options.pid !== undefined && (!Number.isInteger(options.pid) || options.pid <= 0)) {
    throw new NetprobeError('usage', `Expected \`--pid\` to be a process id, got \`${options.pid}\``);
  }
  const timeout = options.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
  if (!(timeout > 0)) throw new NetprobeError('usage', `Expected \`--ready-timeout\` to be a positive duration, got \`${timeout}\``);
  // The load generator refuses https:// and other machines; say so now, not after the target started.
  const loadPort = options.load ? (await loopbackTarget(options.load.url)).port : undefined;
  const port = options.port ?? loadPort;
  const common = { port, portFrom: options.port !== undefined ? '--port' : '--load', readyTimeoutMs: timeout * 1000 } as const;
  if (options.pid !== undefined) return { ...common, window: 'attached', notes: [] };
  const commandText = shellQuoted(options.command!);
  if (port !== undefined) return { ...common, window: 'load', notes: [], commandText };
  return { ...common, window: 'whole run', notes: options.loadCmd ? ['no --port: startup syscalls are counted with the load'] : [], commandText };
}

/** The backend to capture with: the requested one, or auto's choice with its reason. */
export async function chooseBackend(options: Pick<TraceOptions, 'backend' | 'syscallStacks' | 'cpu' | 'offcpu' | 'latency'>): Promise<BackendChoice & { cpuEvent?: CpuEvent; notes: string[] }> {
  const choice: BackendChoice =
    options.backend === 'auto' ? await selectBackend({ needsStacks: options.syscallStacks }) : { backend: options.backend, reason: 'requested' };
  if (choice.backend === 'perf' && options.syscallStacks) {
    throw new NetprobeError('usage', 'the perf backend does not collect syscall stacks', { hint: 'Use --backend bpftrace or strace with --syscall-stacks.' });
  }
  const cpuEvent = options.cpu ? await cpuSamplingEvent() : undefined;
  if (options.offcpu || options.latency) await requireBpftrace(options.offcpu ? '--offcpu' : '--latency');
  // perf's syscall recording runs in the kernel on every syscall of the target, so the sampler sees it
  // (perf_trace_sys_enter, perf_swevent_event) as the target's own CPU time.
  const notes = options.cpu && choice.backend === 'perf' ? ["the CPU profile includes the perf syscall tracer's in-kernel cost; --backend bpftrace adds much less"] : [];
  return { ...choice, ...(cpuEvent ? { cpuEvent } : {}), notes };
}

// Off-CPU stacks and latency histograms are bpftrace programs beside the syscall backend, whichever it is.
async function requireBpftrace(flag: string): Promise<void> {
  const probe = await probeBpftrace(await probeEnvironment());
  if (!probe.ok) throw new NetprobeError('environment', `${flag} needs bpftrace: ${probe.detail}`, { hint: probe.fix });
}

async function cpuSamplingEvent(): Promise<CpuEvent> {
  const probe = await probeCpuSampling();
  if (!probe.ok || !probe.event) throw new NetprobeError('environment', `--cpu needs perf sampling: ${probe.detail}`, { hint: probe.fix });
  return probe.event;
}

/** What one capture leaves: the tracers' raw output (unparsed), the load, the window and the target's end. */
export interface Captured {
  pid: number;
  /** The syscall tracer's output first, then the CPU sampler's when --cpu. */
  outputs: TracerOutput[];
  load: LoadResult | null;
  /** Throughput of the untraced pass (--measure-overhead), requests per second. */
  untracedRps?: number;
  /** The external load command's own output, to keep beside the tracers' (run/ writes it). */
  loadOutput?: string;
  seconds: number;
  exit?: ProcessExit;
  /** Resident memory of the target and its child processes at the end of the capture window. */
  rssBytes?: number;
  /**
   * Executable mappings of the traced processes, read while they ran (with --offcpu or --syscall-stacks): user
   * stack addresses are named from them after the processes exit (run/symbolize.ts).
   */
  mappings?: ProcessMappings[];
  notes: string[];
  /** True when the signal cut the capture short. */
  interrupted: boolean;
}

export interface CaptureRequest {
  plan: Plan;
  backend: BackendName;
  cpuEvent?: CpuEvent;
  /** The run directory; tracers write their raw output under its raw/ folder. */
  runDir: string;
  /** Called once a tracer is counting: from then on the raw output is worth keeping. */
  onAttached?: () => void;
  progress: (phase: TraceProgress['phase'], extra?: Omit<TraceProgress, 'phase' | 'elapsedSeconds'>) => void;
}

/**
 * Runs one capture (an untraced pass first with --measure-overhead); stops everything it started on any
 * exit path. Throws `interrupted` when the signal came before the tracers were counting.
 */
export async function captureRun(options: TraceOptions, request: CaptureRequest): Promise<Captured> {
  const session = new Session(options, request.progress);
  try {
    let untraced: LoadResult | undefined;
    if (options.measureOverhead && !session.aborted) {
      request.progress('untraced-load', { message: 'measuring throughput without a tracer' });
      untraced = await session.untracedPass(request.plan);
    }
    const captured = session.aborted ? undefined : await session.tracedPass(request);
    if (!captured) throw new NetprobeError('interrupted', 'interrupted before the capture started; nothing written');
    request.progress('parsing');
    const outputs = await collectAll(captured.tracers);
    const { tracers: _tracers, ...rest } = captured;
    return { ...rest, outputs, ...(untraced ? { untracedRps: untraced.requestsPerSecond } : {}), interrupted: session.aborted };
  } catch (e) {
    // A traced pass that returns has stopped everything in order; only a failure can leave something running.
    await session.cleanup();
    throw e;
  }
}

/** The traced pass: what Captured holds, with the tracers still to be collected. */
type TracedPass = Omit<Captured, 'outputs' | 'untracedRps' | 'interrupted'> & { tracers: Tracer[] };

// Tracers follow a target that exits out by themselves (bpftrace's exit() probe, strace, perf -p) and print
// their output as they go: bpftrace symbolises and prints its stack maps for about 0.6 s (--offcpu), and a SIGINT
// meanwhile kills it with its maps half printed. Wait for them before asking them to stop.
async function followedOut(tracers: readonly Tracer[]): Promise<void> {
  const deadline = Date.now() + FOLLOW_OUT_MS;
  while (Date.now() < deadline && tracers.some((t) => t.exitStatus() === undefined)) await sleep(20);
}

async function collectAll(tracers: Tracer[]): Promise<TracerOutput[]> {
  const out: TracerOutput[] = [];
  for (const t of tracers) out.push(await t.collect());
  return out;
}

// A pre-forking server may still be forking its workers when its port starts accepting (nginx listens, then
// forks): list the tree once it has stopped changing (or after about a second), so no worker is forked between
// the listing and the attach.
async function settledProcessTree(pid: number): Promise<number[]> {
  let tree = await processTree(pid);
  for (let i = 0; i < 10; i++) {
    await sleep(100);
    const next = await processTree(pid);
    if (next.join() === tree.join()) return tree;
    tree = next;
  }
  return tree;
}

// Descendants that were not listed for the tracer but started before it counted: forked between the listing
// and the attach, so no backend followed them. (Later forks are followed; the 1/100 s clock is allowed for.)
async function forkedWhileAttaching(pid: number, listed: readonly number[], counting: number): Promise<number[]> {
  const unlisted = (await processTree(pid)).filter((p) => !listed.includes(p));
  const started = await Promise.all(unlisted.map(async (p) => ({ p, at: await startedSinceBoot(p) })));
  return started.filter(({ at }) => at !== undefined && at < counting - 0.01).map(({ p }) => p);
}

const ATTACH: Record<BackendName, (o: AttachOptions) => Promise<Tracer>> = {
  strace: attachStrace,
  perf: attachPerfSyscalls,
  bpftrace: attachBpftrace,
};

// Everything this capture started, so that any exit path (error, Ctrl-C) stops it in order.
class Session {
  private target?: Target;
  private tracers: Tracer[] = [];
  private mappingRecorder?: MappingRecorder;
  private loadAbort?: AbortController;
  /** Set when a tracer exited during the capture window while the target ran. */
  private tracerStopped = false;
  /** When the started target was started, in seconds since boot (to tell its daemons from older listeners). */
  private targetStarted?: number;
  /** The external load command's output and caveats, from the traced pass. */
  private loadOutput?: string;
  private readonly loadNotes: string[] = [];

  constructor(
    private readonly options: TraceOptions,
    private readonly progress: (phase: TraceProgress['phase'], extra?: Omit<TraceProgress, 'phase' | 'elapsedSeconds'>) => void,
  ) {}

  get aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Start, wait for the port, load, stop: the throughput without a tracer. */
  async untracedPass(plan: Plan): Promise<LoadResult | undefined> {
    const target = await this.startTarget(false);
    try {
      if (plan.port !== undefined && !(await this.waitForPort(plan, target))) return undefined;
      const load = await this.runLoad(target, 'untraced-load');
      if (target.process.hasExited) throw targetFailed(target.process, 'during the untraced load', await target.process.exited, plan.portFrom);
      return load;
    } finally {
      await target.process.stop();
      this.target = undefined;
    }
  }

  async tracedPass({ plan, backend, cpuEvent, runDir, onAttached }: CaptureRequest): Promise<TracedPass | undefined> {
    const held = this.options.pid === undefined && plan.port === undefined;
    const target = this.options.pid === undefined ? await this.startTarget(held) : undefined;
    const pid = target?.process.pid ?? this.options.pid!;
    if (!target && !(await processAlive(pid))) throw new NetprobeError('usage', `no running process with pid ${pid}`);
    if (plan.port !== undefined && !(await this.waitForPort(plan, target))) return undefined;
    if (this.aborted) return undefined;

    this.progress('capturing', { message: `attaching ${backend}` });
    // A held target is one process that has not run yet; a running one may have forked its workers.
    const pids = held ? [pid] : await settledProcessTree(pid);
    const attach: AttachOptions = { pid, pids, runDir, syscallStacks: this.options.syscallStacks ?? false, straceLog: this.options.straceLog ?? false };
    this.tracers.push(await ATTACH[backend](attach));
    onAttached?.();
    const counting = await secondsSinceBoot();
    if (this.options.offcpu) this.tracers.push(await attachBpftraceOffcpu(attach));
    if (this.options.latency) this.tracers.push(await attachBpftraceLatency(attach));
    if (cpuEvent) this.tracers.push(await attachPerfCpu({ ...attach, event: cpuEvent }));
    const notes: string[] = [];
    if (pids.length > 1) notes.push(`traced ${pids.length - 1} child process${pids.length > 2 ? 'es' : ''} of pid ${pid} that existed before the attach`);
    const missed = held ? [] : await forkedWhileAttaching(pid, pids, counting);
    if (missed.length > 0) notes.push(`not traced: process${missed.length > 1 ? 'es' : ''} ${missed.join(', ')}, forked while ${backend} was attaching`);
    // From the moment the target runs (a held one execs now), so that a short program's mappings are seen.
    if (this.options.offcpu || this.options.syscallStacks) this.mappingRecorder = recordMappings(pids);
    target?.resume();
    const opened = Date.now();

    // A tracer that stops while the target runs ends the capture at once (assertTracersAlive says why).
    const watch = setInterval(() => {
      const died = this.tracers.some((t) => t.exitStatus() !== undefined) && (!target || !target.process.hasExited);
      if (died) {
        this.tracerStopped = true;
        this.loadAbort?.abort();
      }
    }, 100);
    let load: LoadResult | null = null;
    try {
      if (this.options.load || this.options.loadCmd) {
        load = (await this.runLoad(target, 'load')) ?? null;
      } else {
        await this.waitForEnd(pid, target);
      }
    } finally {
      clearInterval(watch);
    }
    const seconds = (Date.now() - opened) / 1000;
    const rssBytes = await treeResidentBytes(pid);

    this.progress('stopping');
    this.loadAbort?.abort();
    if (target ? target.process.hasExited : !(await processAlive(pid))) await followedOut(this.tracers);
    await this.assertTracersAlive(pid, target, runDir);
    for (const t of this.tracers) await t.stop();
    const mappings = await this.mappingRecorder?.stop();
    const diedEarly = target && plan.window === 'load' && target.process.hasExited;
    let exit: ProcessExit | undefined;
    if (target) {
      exit = await target.process.stop();
      if (diedEarly && !this.aborted) {
        await this.assertNotDaemonized(plan, exit);
        throw targetFailed(target.process, `during the load (tracer output kept in ${shownPath(join(runDir, 'raw'))})`, exit, plan.portFrom);
      }
    } else if (!(await processAlive(pid))) {
      notes.push(`process ${pid} exited during the capture`);
    }
    if (this.aborted) notes.push('interrupted: capture cut short');
    notes.push(...this.loadNotes);
    return { pid, tracers: this.tracers, load, ...(this.loadOutput !== undefined ? { loadOutput: this.loadOutput } : {}), seconds, exit, rssBytes, ...(mappings ? { mappings } : {}), notes };
  }

  /**
   * A tracer that exited before it was told to stop, while its target still ran (or killed by a signal), saw
   * only part of the capture: an environment failure, never an empty or partial result.
   */
  private async assertTracersAlive(pid: number, target: Target | undefined, runDir: string): Promise<void> {
    for (const t of this.tracers) {
      const status = t.exitStatus();
      if (!status) continue;
      const targetAlive = target ? !target.process.hasExited : await processAlive(pid);
      if (!targetAlive && status.signal === null) continue; // it followed its target out, as it should
      const how = status.signal !== null ? `killed by ${status.signal}` : `exit code ${status.exitCode}`;
      throw new NetprobeError(
        'environment',
        `${t.label} stopped during the capture (${how}) before netprobe asked it to: its counts cover only part of the capture, so nothing was counted, classified or checked (its raw output is kept in ${shownPath(join(runDir, 'raw'))})`,
        { hint: 'Run the capture again; if the tracer keeps stopping, see its messages with `netprobe doctor`.' },
      );
    }
  }

  private async startTarget(held: boolean): Promise<Target> {
    this.progress('starting', { message: shellQuoted(this.options.command!) });
    this.targetStarted = await secondsSinceBoot();
    this.target = await startTarget(this.options.command!, { held });
    return this.target;
  }

  /**
   * A target that exited while something it started serves its port forked into the background: stop what it
   * left (the daemon and its children) and say how to run it in the foreground. Returns when it did not.
   */
  private async assertNotDaemonized(plan: Plan, exit: ProcessExit | undefined): Promise<void> {
    if (plan.port === undefined || this.targetStarted === undefined || exit?.exitCode !== 0) return;
    // The daemon may still be starting to listen when its parent has exited.
    let daemons: number[] = [];
    for (let i = 0; i < 20 && daemons.length === 0; i++) {
      daemons = await daemonsOf(plan.port, this.targetStarted);
      if (daemons.length === 0) await sleep(50);
    }
    if (daemons.length === 0) return;
    await stopDaemons(daemons);
    throw new NetprobeError(
      'environment',
      `the server daemonized: ${shellQuoted(this.options.command!.slice(0, 1))} exited with code 0 while pid ${daemons.join(', ')} (which it started) served 127.0.0.1:${plan.port}; netprobe stopped ${daemons.length > 1 ? 'them' : 'it'}`,
      { hint: 'Run it in the foreground (nginx: `daemon off;`, redis: `--daemonize no`, most servers: a -f or --foreground flag), or start it yourself and attach with --pid.' },
    );
  }

  /** False when interrupted while waiting. Without a started target, waits on the attached --pid. */
  private async waitForPort(plan: Plan, target: Target | undefined): Promise<boolean> {
    const port = plan.port!;
    this.progress('waiting-for-port', { message: `waiting for 127.0.0.1:${port}` });
    const exited = new AbortController();
    target?.process.exited.then(() => exited.abort(), () => exited.abort());
    // AbortSignal.any is aborted at once when the user's signal already is (a listener added now would never run).
    const signal = AbortSignal.any([exited.signal, ...(this.options.signal ? [this.options.signal] : [])]);
    const pidFile = `/proc/${this.options.pid}`;
    const isAlive = target ? () => !target.process.hasExited : () => existsSync(pidFile);
    const hint = `Check that the target listens on 127.0.0.1:${port} (the port of ${plan.portFrom === '--port' ? '--port' : 'the --load URL'}), or give it longer with --ready-timeout.`;
    try {
      await waitForPort(port, { timeoutMs: plan.readyTimeoutMs, signal, isAlive });
    } catch (e) {
      if (this.aborted) return false;
      if (target?.process.hasExited) {
        const exit = await target.process.exited;
        await this.assertNotDaemonized(plan, exit);
        throw targetFailed(target.process, `before listening on port ${port}`, exit, plan.portFrom);
      }
      if (!target && !isAlive()) throw new NetprobeError('environment', `process ${this.options.pid} exited before accepting connections on 127.0.0.1:${port}`);
      if (e instanceof NetprobeError) {
        const tail = (target?.process.stderrTail() ?? []).filter((l) => l.trim() !== '').slice(-10);
        throw new NetprobeError(e.code, tail.length ? `${e.message}\n${tail.map((l) => `  | ${l}`).join('\n')}` : e.message, { hint, cause: e });
      }
      throw e;
    }
    return !this.aborted;
  }

  /** Runs the configured load; stops early (keeping the partial result) on Ctrl-C or when the target dies. */
  private async runLoad(target: Target | undefined, phase: 'load' | 'untraced-load'): Promise<LoadResult | undefined> {
    const ac = new AbortController();
    this.loadAbort = ac;
    const signal = AbortSignal.any([ac.signal, ...(this.options.signal ? [this.options.signal] : [])]);
    const abortLoad = () => ac.abort();
    target?.process.exited.then(abortLoad, abortLoad);
    this.progress(phase);
    if (this.options.load) {
      return runHttpLoad({
        ...this.options.load,
        signal,
        onProgress: (p) => this.progress(phase, { requestsPerSecond: p.requestsPerSecond }),
      });
    }
    const { output, requestsKnown, ...result } = await runLoadCommand(this.options.loadCmd!, { signal, requests: this.options.requests });
    if (phase === 'load') {
      this.loadOutput = output;
      if (!requestsKnown) this.loadNotes.push('the load command did not print a request count: pass --requests for per-request figures');
    }
    return requestsKnown ? result : { ...result, requestsKnown: false };
  }

  /** No load: until the command exits, --duration passes, the attached process exits, or Ctrl-C. */
  private async waitForEnd(pid: number, target: Target | undefined): Promise<void> {
    const deadline = this.options.durationSeconds !== undefined ? Date.now() + this.options.durationSeconds * 1000 : Infinity;
    while (!this.aborted && !this.tracerStopped && Date.now() < deadline) {
      if (target ? target.process.hasExited : !(await processAlive(pid))) return;
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
    }
  }

  /** Stops whatever is still running: load, then tracers, then the target. */
  async cleanup(): Promise<void> {
    this.loadAbort?.abort();
    await this.mappingRecorder?.stop();
    for (const t of this.tracers) await t.stop().catch(() => {});
    if (this.target) await this.target.process.stop();
  }
}
