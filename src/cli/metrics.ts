// `netprobe metrics <input>`: a run (or any syscall input) as Prometheus text; and what trace and check do with
// `--metrics-file`, `--push-metrics` and `--label` after a capture.
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';
import { readInput } from '../run/input.js';
import {
  checkMetricsTargets,
  metricsOfInput,
  metricsOfRun,
  metricsText,
  pushMetrics,
  pushUrl,
  writeMetricsFile,
  type MetricsTargets,
} from '../run/metrics.js';
import type { Run } from '../run/types.js';
import { printWarnings, writeOutput } from './common.js';

interface MetricsFlags {
  out?: string;
  label: string[];
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('a run (or any syscall input) as Prometheus text exposition: calls and errors per request, totals, latency, off-CPU time, the network model')
    .argument('<input>', 'run directory, run.json, strace -c output, strace log, bpftrace output, perf trace -s, pprof syscall profile, or - for stdin')
    .option('-o, --out <file>', 'write to this file, replacing it atomically (temp file + rename), as the textfile collector needs')
    .option('--label <key=value>', 'add a label to every series (repeatable), e.g. instance=web-7', collectLabel, [] as string[])
    .addHelpText(
      'after',
      `
Every series carries name (the run's name) and backend; rates are per request when the request count is
known (netprobe_syscall_calls_per_request), else per second of capture (..._per_second), else left out.
trace and check write the same text with --metrics-file <file> (node_exporter's textfile collector) and
push it with --push-metrics <url> (a Pushgateway: PUT to /metrics/job/netprobe/name/<name>/<label>/<value>...).

Examples:
  $ netprobe metrics netprobe-out/server-20261122-101500/
  $ netprobe metrics run/ --label instance=$(hostname) -o /var/lib/prometheus/node-exporter/netprobe.prom
  $ netprobe metrics strace-c.txt | promtool check metrics`,
    )
    .action(async (input: string, flags: MetricsFlags) => {
      const labels = parseLabels(flags.label);
      const loaded = await readInput(input, { onWarning: printWarnings() });
      const text = metricsText(metricsOfInput(loaded, input), labels);
      if (flags.out === undefined || flags.out === '-') await writeOutput(undefined, text);
      else await writeMetricsFile(flags.out, text);
    });
}

/** The flags trace and check share (addCaptureOptions). */
export interface MetricsFlagsOfCapture {
  metricsFile?: string;
  pushMetrics?: string;
  label: string[];
}

export function collectLabel(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `instance=web-7` (repeatable) -> `{ instance: 'web-7' }`; the value may contain `=`, the name not. */
export function parseLabels(specs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new NetprobeError('usage', `Expected \`--label\` like instance=web-7, got \`${spec}\``);
    const name = spec.slice(0, eq);
    if (name in labels) throw new NetprobeError('usage', `\`--label ${name}\` is given twice`);
    labels[name] = spec.slice(eq + 1);
  }
  return labels;
}

/** Where a capture's metrics go, checked before the capture; undefined when neither flag is given. */
export function metricsTargetsOf(flags: MetricsFlagsOfCapture): MetricsTargets | undefined {
  const labels = parseLabels(flags.label);
  if (flags.metricsFile === undefined && flags.pushMetrics === undefined) {
    if (flags.label.length > 0) throw new NetprobeError('usage', '`--label` labels the metrics of --metrics-file or --push-metrics; give one of them');
    return undefined;
  }
  const targets: MetricsTargets = { file: flags.metricsFile, pushUrl: flags.pushMetrics, labels };
  checkMetricsTargets(targets);
  return targets;
}

/**
 * After a capture: writes the metrics file, then pushes. A failed push (exit 3) keeps the run directory and the
 * file, and says how to push again.
 */
export async function publishRunMetrics(result: Run, targets: MetricsTargets): Promise<void> {
  const metrics = metricsOfRun(result);
  const text = metricsText(metrics, targets.labels);
  if (targets.file !== undefined) {
    await writeMetricsFile(targets.file, text);
    process.stderr.write(`netprobe: metrics written to ${targets.file}\n`);
  }
  if (targets.pushUrl !== undefined) {
    const url = pushUrl(targets.pushUrl, metrics.name, targets.labels);
    try {
      await pushMetrics(url, text);
    } catch (err) {
      if (!(err instanceof NetprobeError)) throw err;
      const dir = shownPath(result.dir);
      const labels = Object.entries(targets.labels).map(([k, v]) => ` --label '${k}=${v}'`).join('');
      throw new NetprobeError(err.code, `${err.message}; the run is kept in ${dir}`, {
        cause: err,
        hint: `Push it again with \`netprobe metrics ${dir}${labels} | curl -X PUT --data-binary @- ${url}\``,
      });
    }
    process.stderr.write(`netprobe: metrics pushed to ${url}\n`);
  }
}
