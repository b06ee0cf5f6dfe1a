// What `netprobe metrics`, `trace --metrics-file/--push-metrics` and `check` publish: a run's figures as Prometheus
// text, written atomically for node_exporter's textfile collector or PUT to a Pushgateway, so a fleet's hosts
// feed the Prometheus their team already runs.
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { labelNameProblem, toPrometheusText, type RunMetrics } from '../export/metrics.js';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';
import { classifyNetworkModel } from '../report/classify.js';
import { divisorOf, normalisationOf } from '../report/normalise.js';
import { runJsonResult } from '../parse/run-json.js';
import { compareRunFromInput } from './compare-input.js';
import type { LoadedInput } from './input.js';
import { syscallTableOf } from './profiles.js';
import type { Run } from './types.js';
import { writeFileAtomic } from './write.js';

/** How long a Pushgateway may take to answer a push. */
const PUSH_TIMEOUT_MS = 10_000;

/** The metrics of any loaded syscall input (a run directory, run.json, strace -c, bpftrace output...). */
export function metricsOfInput(loaded: LoadedInput, path: string): RunMetrics {
  const run = loaded.meta?.run;
  if (run?.sweep && run.sweep.length > 0) {
    throw new NetprobeError('input', `${loaded.file} is a sweep: it holds one run per connection level`, {
      hint: `Export one level, e.g. \`netprobe metrics ${shownPath(path)}/${run.sweep[0]!.dir}\`.`,
    });
  }
  const c = compareRunFromInput({ ...loaded, syscalls: syscallTableOf(loaded) }, path);
  const facts = { requests: c.requests, durationSeconds: c.durationSeconds };
  const normalisation = normalisationOf(facts);
  const model = run?.model ?? classifyNetworkModel(c.syscalls, { threads: c.threads, requests: c.requests });
  const latency = c.latency ?? loaded.latency;
  return {
    name: c.name,
    backend: c.backend ?? 'unknown',
    syscalls: c.syscalls,
    normalisation,
    divisor: divisorOf(facts, normalisation),
    ...(c.requestsPerSecond ? { requestsPerSecond: c.requestsPerSecond } : {}),
    ...(c.durationSeconds ? { captureSeconds: c.durationSeconds } : {}),
    ...(c.threads ? { threads: c.threads } : {}),
    ...(typeof run?.overhead?.ratio === 'number' ? { observerThroughputRatio: run.overhead.ratio } : {}),
    ...(typeof run?.capture?.lost === 'number' ? { lostEvents: run.capture.lost } : {}),
    ...(c.offcpu ? { offcpu: c.offcpu } : {}),
    ...(latency && Object.keys(latency).length > 0 ? { latency } : {}),
    model,
  };
}

/** The metrics of a run just captured (in memory, as written to its run directory). */
export function metricsOfRun(result: Run): RunMetrics {
  return metricsOfInput({ ...runJsonResult(result.run), file: shownPath(result.dir), warnings: [] }, result.dir);
}

/** Where a run's metrics go after a capture (`--metrics-file`, `--push-metrics`, `--label`). */
export interface MetricsTargets {
  /** File for node_exporter's textfile collector, replaced atomically. */
  file?: string;
  /** Pushgateway base URL (`http://127.0.0.1:9091`). */
  pushUrl?: string;
  /** Extra labels on every series (and in the Pushgateway grouping key), e.g. `{ instance: 'web-7' }`. */
  labels: Record<string, string>;
}

/**
 * Checks labels, file and URL before anything is captured: a typo should not cost a capture. Usage errors name
 * the flag.
 */
export function checkMetricsTargets(targets: MetricsTargets): void {
  checkLabels(targets.labels);
  if (targets.file !== undefined) {
    const dir = dirname(targets.file);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new NetprobeError('usage', `\`--metrics-file ${targets.file}\`: directory ${dir} does not exist`, {
        hint: 'Create the textfile collector directory first (node_exporter --collector.textfile.directory).',
      });
    }
  }
  if (targets.pushUrl !== undefined) gatewayUrl(targets.pushUrl);
}

/** Rejects label names the exposition format forbids or netprobe sets itself. */
export function checkLabels(labels: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(labels)) {
    const problem = labelNameProblem(name);
    if (problem) throw new NetprobeError('usage', `\`--label ${name}=...\`: ${problem}`);
  }
}

/** The exposition text of `metrics` with the user's labels on every series. */
export function metricsText(metrics: RunMetrics, labels: Readonly<Record<string, string>>): string {
  checkLabels(labels);
  return toPrometheusText(metrics, labels);
}

/** Writes the metrics file atomically: the textfile collector must never read a half-written file. */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
}

/**
 * The base URL of a Pushgateway as the user named it: explicitly, http or https, no credentials (they would
 * land in logs and error messages), no query; a path prefix is kept for gateways behind a reverse proxy.
 */
export function gatewayUrl(spec: string): URL {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new NetprobeError('usage', `Expected \`--push-metrics\` to be a Pushgateway URL like http://127.0.0.1:9091, got \`${spec}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NetprobeError('usage', `Expected \`--push-metrics\` to be an http:// or https:// URL, got \`${spec}\``);
  }
  if (url.username || url.password) {
    throw new NetprobeError('usage', '`--push-metrics`: credentials in the URL are not supported', {
      hint: 'Push to a gateway on this host or network without credentials in the URL.',
    });
  }
  if (url.search || url.hash) throw new NetprobeError('usage', `\`--push-metrics ${spec}\`: the gateway URL takes no query or fragment`);
  if (/\/metrics(\/|$)/.test(url.pathname)) {
    throw new NetprobeError('usage', `\`--push-metrics ${spec}\`: give the gateway's base URL; netprobe adds /metrics/job/netprobe/name/<name>`);
  }
  return url;
}

/**
 * The Pushgateway URL of a run's group: `<base>/metrics/job/netprobe/name/<name>` plus `/<label>/<value>` per
 * label. Values that are empty or not plain URL-safe words use the gateway's `@base64` form (a `/` in a value
 * would otherwise split it).
 */
export function pushUrl(base: string, name: string, labels: Readonly<Record<string, string>>): string {
  const url = gatewayUrl(base);
  const parts = ['job', 'netprobe', ...groupingPart('name', name), ...Object.entries(labels).flatMap(([k, v]) => groupingPart(k, v))];
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/metrics/${parts.join('/')}`;
}

function groupingPart(label: string, value: string): [string, string] {
  if (/^[A-Za-z0-9._~-]+$/.test(value)) return [label, value];
  // https://github.com/prometheus/pushgateway#url: base64url, and `=` for the empty string.
  return [`${label}@base64`, value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url')];
}

/**
 * PUTs `text` to the run's group on the gateway (replacing what an earlier push of the same group left). A gateway
 * that refuses or cannot be reached is an environment problem (exit 3) that names the URL and the reason.
 */
export async function pushMetrics(url: string, text: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: text,
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
  } catch (cause) {
    throw new NetprobeError('environment', `cannot push metrics to ${url}: ${unreachableReason(cause)}`, { cause });
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).trim().split('\n')[0]!.slice(0, 200);
    throw new NetprobeError('environment', `the Pushgateway refused the metrics: HTTP ${response.status} ${response.statusText} from ${url}${body ? ` (${body})` : ''}`);
  }
}

function unreachableReason(cause: unknown): string {
  const err = cause as Error & { cause?: NodeJS.ErrnoException };
  if (err?.name === 'TimeoutError') return `no answer within ${PUSH_TIMEOUT_MS / 1000} s`;
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the Pushgateway running on that port?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${err.cause!.message})`;
  return err?.cause?.message ?? err?.message ?? String(cause);
}
