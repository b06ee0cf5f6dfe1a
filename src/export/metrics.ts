// One run's figures as Prometheus text exposition format 0.0.4: what node_exporter's textfile collector and the
// Pushgateway read, with OpenMetrics-compatible names (counters end in `_total`, units are base units in the name).
// Reference: https://github.com/prometheus/docs/blob/main/docs/instrumenting/exposition_formats.md
// (escaping: `\`, `"` and newline in label values; `\` and newline in HELP) and
// https://prometheus.io/docs/practices/naming/ (what `promtool check metrics` enforces).
//
//   # HELP netprobe_syscall_calls_per_request Calls of each syscall per request served in the capture window ...
//   # TYPE netprobe_syscall_calls_per_request gauge
//   netprobe_syscall_calls_per_request{name="c-epoll",backend="bpftrace",syscall="write",family="write"} 1.0002
//
// No timestamps and no `# EOF`: the textfile collector rejects the first, the 0.0.4 parsers do not need the second.
import { familyOf } from '../model/families.js';
import type { LatencyTable } from '../model/latency.js';
import type { Normalisation } from '../model/normalisation.js';
import { WAIT_KINDS, type OffcpuSummary } from '../model/offcpu.js';
import type { ModelVerdict } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';

/** Everything the metrics say about one run (or any syscall input). */
export interface RunMetrics {
  /** The run's name: the `name` label of every series (and the Pushgateway grouping key). */
  name: string;
  /** The tracer that counted (strace, perf, bpftrace), or `unknown`: the `backend` label of every series. */
  backend: string;
  syscalls: SyscallTable;
  /** What the rate metrics are per: a request, a second of capture, or nothing (raw counts only, no rates). */
  normalisation: Normalisation;
  /** The requests or capture seconds the rates divide by (1 for `raw`). */
  divisor: number;
  /** Requests per second of the load, when known. */
  requestsPerSecond?: number;
  /** Length of the capture window in seconds, when known. */
  captureSeconds?: number;
  threads?: number;
  /** Throughput traced / untraced, when `--measure-overhead` measured it. */
  observerThroughputRatio?: number;
  /** Events the tracer lost, when the source tells (run directories). */
  lostEvents?: number;
  offcpu?: OffcpuSummary;
  latency?: LatencyTable;
  model: ModelVerdict;
}

/** The family label of syscalls outside every netprobe family. */
export const OTHER_FAMILY = 'other';

/** The errno label of errors the source counts without naming their errno (strace -c). */
export const UNKNOWN_ERRNO = 'unknown';

/** Labels netprobe sets itself; a user label of one of these names would make two series out of one. */
export const NETPROBE_LABELS: readonly string[] = ['name', 'backend', 'syscall', 'family', 'errno', 'kind', 'quantile', 'model', 'confidence'];

/** A valid label name that users may set: Prometheus' label-name syntax, not reserved (`__`), not one of ours. */
export function labelNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return 'a label name is letters, digits and underscores, not starting with a digit';
  if (name.startsWith('__')) return 'label names starting with __ are reserved for Prometheus';
  if (name === 'job') return 'job is set by the scrape (or the Pushgateway grouping key)';
  if (NETPROBE_LABELS.includes(name)) return `netprobe sets ${name} itself`;
  return undefined;
}

type MetricType = 'gauge' | 'counter' | 'summary';

interface Sample {
  /** Suffix after the family name (`_count` of a summary), usually empty. */
  suffix?: string;
  labels: [string, string][];
  value: number;
}

interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const RATE_WORDS: Record<Exclude<Normalisation, 'raw'>, { suffix: string; per: string }> = {
  'per-request': { suffix: 'per_request', per: 'per request served in the capture window' },
  'per-second': { suffix: 'per_second', per: 'per second of capture (the request count is unknown)' },
};

/**
 * The text exposition of `run`, every series labelled with `name`, `backend` and `labels` (in that order);
 * `labels` must pass labelNameProblem.
 */
export function toPrometheusText(run: RunMetrics, labels: Readonly<Record<string, string>> = {}): string {
  const common: [string, string][] = [['name', run.name], ['backend', run.backend], ...Object.entries(labels)];
  return metricFamilies(run)
    .filter((f) => f.samples.length > 0)
    .map((f) => renderFamily(f, common))
    .join('');
}

function metricFamilies(run: RunMetrics): MetricFamily[] {
  const rows = run.syscalls.rows;
  const families: MetricFamily[] = [];
  const calls = rows.map((r) => ({ labels: syscallLabels(r.name), calls: r.calls }));
  const errors = rows.flatMap((r) => errnoCounts(r.errors, r.errnos).map(([errno, n]) => ({ labels: [['syscall', r.name], ['errno', errno]] as [string, string][], n })));

  if (run.normalisation !== 'raw') {
    const { suffix, per } = RATE_WORDS[run.normalisation];
    families.push(
      gauge(`netprobe_syscall_calls_${suffix}`, `Calls of each syscall ${per}; family is netprobe's syscall family (write covers write, writev, sendto...) or other.`,
        calls.map((c) => ({ labels: c.labels, value: c.calls / run.divisor }))),
      gauge(`netprobe_syscall_errors_${suffix}`, `Failed calls of each syscall ${per}, by errno (unknown when the source does not name it).`,
        errors.map((e) => ({ labels: e.labels, value: e.n / run.divisor }))),
    );
  }
  families.push(
    counter('netprobe_syscall_calls_total', 'Calls of each syscall in the capture window of this run.', calls.map((c) => ({ labels: c.labels, value: c.calls }))),
    counter('netprobe_syscall_errors_total', 'Failed calls of each syscall in the capture window of this run, by errno (unknown when the source does not name it).',
      errors.map((e) => ({ labels: e.labels, value: e.n }))),
    gauge('netprobe_requests_per_second', 'Requests per second the load got answered while traced.', single(run.requestsPerSecond)),
    gauge('netprobe_capture_seconds', 'Length of the capture window in seconds.', single(run.captureSeconds)),
    gauge('netprobe_threads', 'Threads the tracer saw (strace: every thread it attached to; bpftrace and perf: those that made a syscall).', single(run.threads)),
    gauge('netprobe_observer_throughput_ratio', 'Throughput traced / untraced under the same load (1 = the tracer cost nothing).', single(run.observerThroughputRatio)),
    counter('netprobe_capture_lost_events_total', 'Events the tracer lost in this capture: every count is low by up to this many.', single(run.lostEvents)),
  );
  if (run.offcpu) families.push(...offcpuFamilies(run, run.offcpu));
  if (run.latency) families.push(latencyFamily(run.latency));
  families.push(
    gauge('netprobe_model_info', 'The network model the syscall pattern reveals (always 1; the model and its confidence are labels).', [
      { labels: [['model', run.model.label], ['confidence', String(run.model.confidence)]], value: 1 },
    ]),
  );
  return families;
}

function offcpuFamilies(run: RunMetrics, offcpu: OffcpuSummary): MetricFamily[] {
  const byKind = WAIT_KINDS.map((kind) => ({ labels: [['kind', kind]] as [string, string][], seconds: offcpu.byKind[kind] ?? 0 }));
  const families: MetricFamily[] = [];
  if (run.normalisation !== 'raw') {
    const { suffix, per } = RATE_WORDS[run.normalisation];
    families.push(
      gauge(`netprobe_offcpu_seconds_${suffix}`, `Seconds threads spent blocked ${per}, summed over threads, by what they waited in.`,
        byKind.map((k) => ({ labels: k.labels, value: k.seconds / run.divisor }))),
    );
  }
  families.push(
    counter('netprobe_offcpu_seconds_total', 'Seconds threads spent blocked in the capture window, summed over threads, by what they waited in.',
      byKind.map((k) => ({ labels: k.labels, value: k.seconds }))),
  );
  return families;
}

// The tracer's log2 histograms give each quantile as the upper bound of its bucket (within 2x); quantile 1 is
// the slowest call measured.
function latencyFamily(latency: LatencyTable): MetricFamily {
  const samples: Sample[] = [];
  for (const [syscall, l] of Object.entries(latency)) {
    for (const [q, value] of [['0.5', l.p50], ['0.9', l.p90], ['0.99', l.p99], ['1', l.max]] as const) {
      samples.push({ labels: [['syscall', syscall], ['quantile', q]], value });
    }
    samples.push({ suffix: '_count', labels: [['syscall', syscall]], value: l.calls });
  }
  return {
    name: 'netprobe_syscall_latency_seconds',
    type: 'summary',
    help: 'Syscall latency in seconds: each quantile is the upper bound of the log2 bucket holding it (within 2x); quantile 1 is the slowest call.',
    samples,
  };
}

function syscallLabels(syscall: string): [string, string][] {
  return [['syscall', syscall], ['family', familyOf(syscall) ?? OTHER_FAMILY]];
}

// Errors by errno; what the source counted without an errno name (strace -c) is `unknown`, so the errno series
// of a syscall always add up to its errors.
function errnoCounts(errors: number, errnos: Record<string, number>): [string, number][] {
  const named = Object.entries(errnos).filter(([, n]) => n > 0);
  const rest = errors - named.reduce((sum, [, n]) => sum + n, 0);
  return rest > 0 ? [...named, [UNKNOWN_ERRNO, rest]] : named;
}

function single(value: number | undefined): Sample[] {
  return value === undefined ? [] : [{ labels: [], value }];
}

function gauge(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, type: 'gauge', help, samples };
}

function counter(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, type: 'counter', help, samples };
}

function renderFamily(f: MetricFamily, common: [string, string][]): string {
  let out = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
  for (const s of f.samples) {
    const labels = [...common, ...s.labels].map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
    out += `${f.name}${s.suffix ?? ''}{${labels}} ${formatValue(s.value)}\n`;
  }
  return out;
}

/** A label value as the exposition format quotes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: backslash and line feed escaped (quotes stay as they are). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value as Go's ParseFloat reads it (`+Inf`, `-Inf`, `NaN` spelled as the format wants). */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}
