// perf backends: syscalls from the raw_syscalls tracepoints, and CPU stack sampling for `--cpu`.
//
// Syscalls: `perf trace record -p PID[,CHILD...]` (= perf record of raw_syscalls:sys_enter/sys_exit) then
// `perf trace -i <data> -s --errno-summary`. Live `perf trace -s -p PID` was the first choice, but perf 6.1
// does not follow threads created after it attached (observed: only the main thread's block), which loses
// every thread-per-connection worker; perf record -p inherits to new threads and children. Child processes that
// exist before the attach (pre-forked workers) are listed after the target: perf does not look for them.
// Both recorders start disabled (`-D -1`) and are enabled through a control FIFO that acknowledges, so
// "attached" means "counting" — perf prints nothing when it is ready. The syscall perf.data is deleted
// once summarised (tens of MB per second of load); raw/perf-trace-summary.txt is perf's own output.
// perf trace -s counts a call when it returns, so perf's own count of sys_enter events per syscall (perf report)
// and the sys_enter lines of calls still in flight at the end (perf script, see entriesInFlight) are appended to
// it: calls then count when made, exit and exit_group included.
import { createWriteStream } from 'node:fs';
import { appendFile, constants, mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { NetprobeError } from '../../model/errors.js';
import { shownPath } from '../../model/shown-path.js';
import { threadsInsideCalls, unreturnedSyscallEntries } from '../../parse/perf-trace-summary.js';
import { ManagedProcess, processAlive, waitForTracer, type ProcessExit } from '../target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';

export async function attachPerfSyscalls(options: AttachOptions): Promise<Tracer> {
  const data = 'raw/perf-syscalls.data';
  const summary = 'raw/perf-trace-summary.txt';
  // perf's default ring buffer (512 KiB per CPU) overflows under a busy server and perf drops events, which would
  // read as fewer syscalls: 16 MiB per CPU kept 3,000,000 getppid calls in 1.5 s on an idle machine, not on a busy one: 64 MiB.
  const recorder = await startRecorder(perfSyscallArgs(join(options.runDir, data), await livePids(options.pids)));
  return {
    label: 'perf',
    exitStatus: () => recorder.exitStatus(),
    stop: () => recorder.stop(),
    async collect(): Promise<TracerOutput> {
      const r = await execa('perf', ['trace', '-i', join(options.runDir, data), '-s', '--errno-summary', '-o', join(options.runDir, summary)], {
        reject: false,
        timeout: 300_000,
      });
      if (r.exitCode !== 0) {
        throw new NetprobeError('environment', `perf trace -i ${shownPath(join(options.runDir, data))} failed: ${lastLines(String(r.stderr))}`);
      }
      const lost = await lostSyscallEvents(join(options.runDir, data));
      // Calls as made: sys_enter per syscall number, and the entries no sys_exit followed (one per blocked thread at
      // most). If a perf command fails, nothing is appended and the parser says what the summary cannot show.
      const dataPath = join(options.runDir, data);
      const [entered, inFlight] = await Promise.all([
        execa('perf', ['report', '-i', dataPath, '--stdio', '-n', '--sort', 'raw_syscalls:sys_enter.id'], { reject: false, timeout: 300_000 }),
        entriesInFlight(dataPath),
      ]);
      if (entered.exitCode === 0 && inFlight !== undefined) {
        await appendFile(join(options.runDir, summary), `\n${String(entered.stdout)}\n${inFlight.map((l) => `${l}\n`).join('')}`);
      }
      // Every syscall is a record (about 40 MB/s against a fast server): the summary is what is kept.
      await rm(join(options.runDir, data), { force: true });
      return {
        role: 'syscalls',
        output: { file: summary, format: 'perf-trace-summary' },
        stacks: false,
        files: [summary],
        lost,
        notes: lost > 0 ? [`perf lost ${lost.toLocaleString('en-US')} syscall entry events (its ring buffer overflowed): every count is too low; use --backend bpftrace for exact in-kernel counts`] : [],
      };
    },
  };
}

/** `perf trace record` argv of the syscall recorder writing `output` (startRecorder adds the control options). */
export function perfSyscallArgs(output: string, pids: readonly number[], ringBuffer = RING_BUFFER): string[] {
  return ['trace', 'record', '-q', '-m', ringBuffer, '-o', output, '-p', pids.join(',')];
}

// NETPROBE_PERF_BUFFER overrides it (a perf -m size such as 64M), e.g. to make perf lose events in a test.
const RING_BUFFER = process.env.NETPROBE_PERF_BUFFER ?? '64M';

/**
 * Syscall entries perf lost, from its own accounting (`perf report --stats`: the LOST_SAMPLES of the
 * raw_syscalls:sys_enter event), since `perf trace -s` summarises what it kept without saying what it lost:
 *   raw_syscalls:sys_enter stats:
 *             SAMPLE events:    1469665
 *       LOST_SAMPLES events:    1530369
 */
async function lostSyscallEvents(data: string): Promise<number> {
  const r = await execa('perf', ['report', '-i', data, '--stats'], { reject: false, timeout: 300_000 });
  const text = `${String(r.stdout)}\n${String(r.stderr)}`;
  if (r.exitCode !== 0 || !/Aggregated stats:/.test(text)) {
    throw new NetprobeError('environment', `perf report --stats -i ${shownPath(data)} failed, so lost events cannot be ruled out: ${lastLines(String(r.stderr))}`);
  }
  const enter = /raw_syscalls:sys_enter stats:\n(?:[ \t][^\n]*\n)*?[ \t]*LOST_SAMPLES events:\s*(\d+)/.exec(text);
  if (enter) return Number(enter[1]);
  // Older perf prints only the aggregate: LOST records, each carrying a count we cannot see; count the records.
  const aggregate = /^\s*LOST events:\s*(\d+)/m.exec(text);
  return aggregate ? Number(aggregate[1]) : 0;
}

/** The perf event for CPU sampling: `cycles` needs hardware counters (absent in most VMs), `cpu-clock` always works. */
export type CpuEvent = 'cycles' | 'cpu-clock';

/** CPU stacks at 99 Hz (`perf record -g -F 99`), turned into perf script text for the profile. */
export async function attachPerfCpu(options: AttachOptions & { event: CpuEvent }): Promise<Tracer> {
  const data = 'raw/perf-cpu.data';
  const script = 'raw/perf-cpu.script';
  const recorder = await startRecorder(perfCpuArgs(join(options.runDir, data), await livePids(options.pids), options.event));
  return {
    label: 'perf',
    exitStatus: () => recorder.exitStatus(),
    stop: () => recorder.stop(),
    async collect(): Promise<TracerOutput> {
      const out = createWriteStream(join(options.runDir, script));
      const r = await execa('perf', ['script', '-i', join(options.runDir, data), '-F', 'comm,pid,tid,time,event,ip,sym,dso'], {
        reject: false,
        timeout: 300_000,
        stdout: ['pipe', out],
        buffer: { stdout: false },
      } as const);
      await new Promise<void>((resolve) => (out.closed ? resolve() : out.on('close', resolve)));
      if (r.exitCode !== 0) throw new NetprobeError('environment', `perf script failed: ${lastLines(String(r.stderr))}`);
      // A short capture may end before the 99 Hz sampler took one sample: no profile, and say why.
      if ((await stat(join(options.runDir, script))).size === 0) {
        return { role: 'cpu', stacks: true, files: [data, script], notes: ['no CPU samples: the capture ended before perf took one (it samples at 99 Hz)'] };
      }
      return { role: 'cpu', output: { file: script, format: 'perf-script' }, stacks: true, files: [data, script], notes: [] };
    },
  };
}

/** `perf record` argv of the CPU sampler writing `output` (startRecorder adds the control options). */
export function perfCpuArgs(output: string, pids: readonly number[], event: CpuEvent): string[] {
  return ['record', '-q', '-g', '-F', '99', '-e', event, '-o', output, '-p', pids.join(',')];
}

// perf refuses to start when one listed pid is gone; a pre-forked worker may have exited since it was listed.
async function livePids(pids: readonly number[]): Promise<number[]> {
  const alive = await Promise.all(pids.map(async (pid, i) => (i === 0 || (await processAlive(pid)) ? pid : undefined)));
  return alive.filter((pid) => pid !== undefined);
}

interface Recorder {
  stop(): Promise<void>;
  exitStatus(): ProcessExit | undefined;
}

// perf record -D -1 --control fifo:ctl,ack: opened disabled; "enable" on ctl, perf answers "ack" once counting.
async function startRecorder(perfArgs: string[]): Promise<Recorder> {
  const dir = await mkdtemp(join(tmpdir(), 'netprobe-perf-'));
  const ctl = join(dir, 'ctl');
  const ack = join(dir, 'ack');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const fifo = await execa('mkfifo', [ctl, ack], { reject: false });
  if (fifo.exitCode !== 0) {
    await cleanup();
    throw new NetprobeError('environment', `cannot create control FIFOs: ${String(fifo.stderr)}`);
  }
  // O_RDWR keeps both FIFOs open without a peer, so neither side's open() blocks.
  const ctlFd = await open(ctl, constants.O_RDWR | constants.O_NONBLOCK);
  const ackFd = await open(ack, constants.O_RDWR | constants.O_NONBLOCK);
  const closeAll = async () => {
    await ctlFd.close().catch(() => {});
    await ackFd.close().catch(() => {});
    await cleanup();
  };
  const proc = new ManagedProcess('perf', withControlFifo(perfArgs, ctl, ack), { label: 'perf' });
  try {
    await ctlFd.write('enable\n');
    await waitForTracer(proc, waitForAck(ackFd, proc), perfHint);
  } catch (e) {
    await proc.stop();
    await closeAll();
    throw e;
  }
  await closeAll();
  return {
    exitStatus: () => proc.exitStatus,
    async stop() {
      // SIGINT makes perf record finish the data file; it exits by itself once the target is gone.
      await proc.stop({ graceMs: 15_000 });
    },
  };
}

/** perfArgs with `-D -1 --control=fifo:CTL,ACK` (start disabled, enable through the FIFO) after the (sub)command. */
export function withControlFifo(perfArgs: readonly string[], ctl: string, ack: string): string[] {
  const [verb, ...rest] = perfArgs;
  return verb === 'trace' ? [verb, rest[0]!, '-D', '-1', `--control=fifo:${ctl},${ack}`, ...rest.slice(1)] : [verb!, '-D', '-1', `--control=fifo:${ctl},${ack}`, ...rest];
}

async function waitForAck(fd: FileHandle, proc: ManagedProcess): Promise<void> {
  const buf = Buffer.alloc(64);
  let text = '';
  while (!proc.hasExited) {
    const n = await fd.read(buf, 0, buf.length, null).then(
      (r) => r.bytesRead,
      () => 0, // EAGAIN: nothing yet
    );
    text += buf.subarray(0, n).toString('utf8');
    if (text.includes('ack')) return;
    await sleep(10);
  }
  return new Promise(() => {}); // the exit is reported by waitForTracer
}

function perfHint(stderr: string): string | undefined {
  if (/perf_event_paranoid|Permission denied|EACCES|not permitted/i.test(stderr)) {
    return 'Run as root, or allow tracing for users: `sysctl kernel.perf_event_paranoid=-1`.';
  }
  if (/tracefs|debugfs|raw_syscalls/i.test(stderr)) return 'Mount tracefs: `mount -t tracefs nodev /sys/kernel/tracing`.';
  if (/not found for kernel|WARNING: perf not found/i.test(stderr)) {
    return 'Install perf for the running kernel: `apt-get install linux-perf`.';
  }
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ') || 'no output';
}

/**
 * The `perf script -F tid,event,trace` lines of the calls in flight when the recording ended, or undefined when
 * perf script failed. Two passes, because formatting the `trace` field is most of perf script's cost (6M events:
 * 11 s with it, 4 s without): find the threads whose last event is a sys_enter, then format only their events
 * from the earliest of those entries on.
 */
async function entriesInFlight(data: string): Promise<string[] | undefined> {
  const scan = execa('perf', ['script', '-i', data, '-F', 'tid,event,time', '--show-task-events'], { reject: false, buffer: false, timeout: 300_000 });
  scan.stdout.setEncoding('utf8');
  const inside = await threadsInsideCalls(scan.stdout);
  if ((await scan).exitCode !== 0) return undefined;
  if (inside.size === 0) return [];
  const since = [...inside.values()].reduce((a, b) => (Number(b) < Number(a) ? b : a));
  const tids = [...inside.keys()].join(',');
  // One argument may hold 128 KiB (MAX_ARG_STRLEN): with more blocked threads than fit, format every thread's events.
  const only = tids.length < 100_000 ? ['--tid', tids] : [];
  const lines = execa('perf', ['script', '-i', data, '-F', 'tid,event,trace', '--time', `${since},`, ...only], { reject: false, buffer: false, timeout: 300_000 });
  lines.stdout.setEncoding('utf8');
  const entries = await unreturnedSyscallEntries(lines.stdout);
  return (await lines).exitCode === 0 ? entries : undefined;
}
