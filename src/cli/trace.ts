// `netprobe trace`: run (or attach to) a server under a tracer, drive load, write a run directory, print the summary.
import { Option, type Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';
import { formatCount } from '../model/units.js';
import { VERSION } from '../model/version.js';
import { renderTraceSummary } from '../render/trace-summary.js';
import { runSweep } from '../run/sweep.js';
import { runTrace } from '../run/trace.js';
import type { BackendName, Run, TraceOptions, TraceProgress } from '../run/types.js';
import { onStopSignals, parseDurationOption, parsePositiveInt, printWarnings } from './common.js';
import { collectLabel, metricsTargetsOf, publishRunMetrics, type MetricsFlagsOfCapture } from './metrics.js';

export interface TraceFlags extends MetricsFlagsOfCapture {
  pid?: string;
  backend: BackendName | 'auto';
  port?: string;
  readyTimeout: string;
  load?: string;
  loadCmd?: string;
  connections: string;
  duration?: string;
  requests?: string;
  syscallStacks?: boolean;
  cpu?: boolean;
  offcpu?: boolean;
  latency?: boolean;
  straceLog?: boolean;
  measureOverhead?: boolean;
  out?: string;
  name?: string;
  sweep?: string;
  json?: boolean;
}

export function registerTrace(program: Command): void {
  addCaptureOptions(
    program
      .command('trace')
      .description('run a command (or attach to a process) under strace, perf or bpftrace, drive load, and write a run directory')
      .argument('[command...]', 'command to start and trace (after `--`)'),
  )
    .option('--sweep <spec>', 'repeat the capture at several load levels, e.g. connections=10,100,1000')
    .option('--json', 'print run.json instead of the summary')
    .addHelpText(
      'after',
      `
Backends: auto picks the lowest-overhead one that works here (bpftrace > perf > strace) and says why.
Capture window: with --port (or a --load URL) the tracer attaches once the port is ready and stops when the
load ends, so per-request figures hold only the load; without a port, from exec to exit (or --duration).
Processes: the tracer follows every thread, and when it attaches to a running process (--port, --load, --pid)
also the child processes that already exist (pre-forked workers such as nginx's); later forks are followed.
Ctrl-C stops load, tracer and target in that order, writes what was captured and exits 130.

Examples:
  $ netprobe trace -- ./batch-job --input data.csv         whole run of a command that exits by itself
  $ netprobe trace --load http://127.0.0.1:8080/ -d 5s -- ./server 8080
  $ netprobe trace --backend strace --strace-log --port 8080 --load-cmd 'wrk -c50 -d5s http://127.0.0.1:8080/' -- ./server 8080
  $ netprobe trace --pid 4242 --duration 10s               attach to a running process for 10 s
  $ netprobe trace --cpu --syscall-stacks --load http://127.0.0.1:8080/ -- ./server 8080
  $ netprobe trace --offcpu --latency --load http://127.0.0.1:8080/ -- ./server 8080   where threads wait, how long calls take
  $ netprobe trace --measure-overhead --load http://127.0.0.1:8080/ -- ./server 8080
  $ netprobe trace --push-metrics http://127.0.0.1:9091 --label instance=web-7 --load http://127.0.0.1:8080/ -- ./server 8080
  $ netprobe trace --sweep connections=10,100,1000 --load http://127.0.0.1:8080/ -- ./server 8080`,
    )
    .action(async (command: string[], flags: TraceFlags) => {
      await traceCommand(command, flags);
    });
}

/** The options of one capture, shared by `trace` and `check ... -- <cmd>`. */
export function addCaptureOptions(command: Command): Command {
  return command
    .option('-p, --pid <pid>', 'attach to this running process (all threads) and the processes descending from it, instead of starting one')
    .addOption(new Option('-b, --backend <name>', 'syscall tracer').choices(['auto', 'bpftrace', 'perf', 'strace']).default('auto'))
    .option('--port <n>', 'wait until the target accepts connections on 127.0.0.1:<n>; capture only the load window (with --pid: attach then)')
    .option('--ready-timeout <time>', 'give up waiting for the port (--port or the --load URL) after this long', '30s')
    .option('--load <url>', 'built-in HTTP/1.1 keep-alive load on a loopback URL (its port is waited for)')
    .option('--load-cmd <cmd>', 'external load command run with sh -c (wrk, redis-benchmark, ...)')
    .option('-c, --connections <n>', 'connections of the built-in load', '50')
    .option('-d, --duration <time>', 'load length, or capture length without load (500ms, 4s, 2m)')
    .option('-n, --requests <n>', 'stop the built-in load after this many requests; with --load-cmd, the request count to use')
    .option('--syscall-stacks', 'record which code paths issue each syscall (bpftrace or strace)')
    .option('--cpu', 'also sample CPU stacks with perf (cpu.pb.gz)')
    .option('--offcpu', 'also record where threads block and for how long, by stack (bpftrace; offcpu.pb.gz, run.json offcpu)')
    .option('--latency', 'also record per-syscall latency distributions (bpftrace; run.json latency, p50/p99 columns)')
    .option('--strace-log', 'strace backend: keep the full log for errno names (larger, slower)')
    .option('--measure-overhead', 'run the same load untraced first and report traced/untraced throughput')
    .option('-o, --out <dir>', 'run directory to create (must not exist; default netprobe-out/<name>-<timestamp>)')
    .option('--name <name>', 'name of the run (default: the command name)')
    .option('--metrics-file <file>', "also write the run's Prometheus metrics to this file, replaced atomically (node_exporter's textfile collector)")
    .option('--push-metrics <url>', "also PUT the run's Prometheus metrics to this Pushgateway (e.g. http://127.0.0.1:9091)")
    .option('--label <key=value>', 'label every metrics series (repeatable), e.g. instance=web-7', collectLabel, [] as string[]);
}

/** The library options of a capture from the flags of addCaptureOptions. */
export function traceOptions(command: string[], flags: TraceFlags): TraceOptions {
  const durationSeconds = flags.duration === undefined ? undefined : parseDurationOption('--duration', flags.duration);
  const requests = flags.requests === undefined ? undefined : parsePositiveInt('--requests', flags.requests);
  const connections = parsePositiveInt('--connections', flags.connections);
  if (flags.requests !== undefined && !flags.load && !flags.loadCmd) {
    throw new NetprobeError('usage', '--requests needs --load or --load-cmd');
  }
  return {
    command: command.length > 0 ? command : undefined,
    pid: flags.pid === undefined ? undefined : parsePositiveInt('--pid', flags.pid),
    backend: flags.backend,
    port: flags.port === undefined ? undefined : parsePort(flags.port),
    readyTimeoutSeconds: parseDurationOption('--ready-timeout', flags.readyTimeout),
    load: flags.load ? { url: flags.load, connections, durationSeconds, requests } : undefined,
    loadCmd: flags.loadCmd,
    requests,
    durationSeconds,
    syscallStacks: flags.syscallStacks,
    cpu: flags.cpu,
    offcpu: flags.offcpu,
    latency: flags.latency,
    straceLog: flags.straceLog,
    measureOverhead: flags.measureOverhead,
    outDir: flags.out,
    name: flags.name,
    exporter: `netprobe@${VERSION}`,
  };
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new NetprobeError('usage', `Expected \`--port\` to be a port number (1-65535), got \`${value}\``);
  return n;
}

/** `connections=10,100,1000` -> [10, 100, 1000]. */
export function parseSweep(spec: string): number[] {
  const m = /^connections=(\d+(?:,\d+)*)$/.exec(spec.trim());
  const levels = m ? m[1]!.split(',').map(Number) : [];
  if (!m || levels.some((n) => n <= 0)) {
    throw new NetprobeError('usage', `Expected \`--sweep\` like connections=10,100,1000, got \`${spec}\``);
  }
  return levels;
}

async function traceCommand(command: string[], flags: TraceFlags): Promise<void> {
  const options = traceOptions(command, flags);
  const sweep = flags.sweep === undefined ? undefined : parseSweep(flags.sweep);
  if (sweep && !options.load) throw new NetprobeError('usage', '--sweep needs the built-in load (--load <url>)');
  const metrics = metricsTargetsOf(flags);
  if (metrics && sweep) throw new NetprobeError('usage', '--metrics-file and --push-metrics publish one capture, not a --sweep');

  const { results, aborted } = await runCaptures(options, sweep);
  const warn = printWarnings();
  for (const r of results) for (const w of r.warnings) warn(w);
  if (flags.json) {
    const json = results.length === 1 ? results[0]!.run : results.map((r) => r.run);
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(results.map((r) => renderTraceSummary({ ...r, dir: shownPath(r.dir) })).join('\n'));
  }
  const interrupted = results.find((r) => r.interrupted);
  if (interrupted || aborted) {
    throw new NetprobeError('interrupted', `interrupted; partial capture written to ${shownPath(interrupted?.dir ?? results.at(-1)?.dir ?? '.')}`);
  }
  if (metrics) await publishRunMetrics(results[0]!, metrics);
}

/**
 * Runs one capture (or a sweep) with Ctrl-C stopping it cleanly and progress on stderr; on interrupt the
 * partial results come back with `aborted` set.
 */
export async function runCaptures(options: TraceOptions, sweep?: number[]): Promise<{ results: Run[]; aborted: boolean }> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) process.stderr.write('\nnetprobe: stopping (load, tracer, target); writing what was captured...\n');
    else process.stderr.write('netprobe: still stopping, please wait\n');
    controller.abort();
  };
  const stopListening = onStopSignals(onSignal);
  const progress = progressPrinter();
  options.signal = controller.signal;
  options.onProgress = progress.update;

  let results: Run[];
  try {
    results = sweep ? (await runSweep({ ...options, connections: sweep })).runs : [await runTrace(options)];
  } finally {
    progress.done();
    stopListening();
  }
  return { results, aborted: controller.signal.aborted };
}

/** Progress on stderr, only when stderr is a terminal (the backend choice is in the summary and run.json). */
function progressPrinter(): { update: (p: TraceProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  return {
    update(p) {
      if (!tty) return;
      const rate = p.requestsPerSecond === undefined ? '' : `  ${formatCount(Math.round(p.requestsPerSecond))} req/s`;
      const message = p.message ? `  ${p.message}` : '';
      process.stderr.write(`\r\x1b[K${p.phase} ${p.elapsedSeconds.toFixed(1)}s${rate}${message}`.slice(0, (process.stderr.columns || 100) + 4));
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
