// The summary `netprobe trace` prints: what was traced and how, the per-request table, the verdict, the files.
import { GO_WAITS, WAIT_KINDS, type OffcpuSummary } from '../model/offcpu.js';
import type { LoadResult, RunJson } from '../model/run.js';
import { shellQuoted } from '../model/shown-path.js';
import type { SyscallTable } from '../model/syscalls.js';
import { formatCount, formatNanoseconds, formatShare } from '../model/units.js';
import { renderModelVerdict, renderSyscallTable } from './table.js';

export interface TraceSummaryInput {
  run: RunJson;
  /** The syscall table of the run (as run.json holds it). */
  syscalls: SyscallTable;
  /** The run directory, as the user should see it (relative when under the working directory). */
  dir: string;
  /** True when the capture was cut short (Ctrl-C). */
  interrupted: boolean;
  /** Target resident memory in bytes at the end of the load window, when known. */
  rssBytes?: number;
}

export function renderTraceSummary({ run, syscalls: table, dir, interrupted, rssBytes }: TraceSummaryInput): string {
  const lines: string[] = [];
  const what = run.command ? shellQuoted(run.command) : `pid ${run.target.pid}`;
  lines.push(`netprobe trace: ${run.name} (${what})${interrupted ? '  [interrupted]' : ''}`);
  const window = run.capture?.window === 'load' ? 'load only' : run.capture?.window ?? 'unknown';
  const reason = run.capture && run.capture.backendReason !== 'requested' ? ` [${run.capture.backendReason}]` : '';
  lines.push(`backend: ${run.backend}${reason}`);
  // Without time the table says so itself (time not measured, add --latency).
  const time = table.hasTime ? '; syscall time is wall time' : '';
  lines.push(`capture window: ${window} (${(run.capture?.seconds ?? run.durationSeconds).toFixed(1)} s)${time}`);
  const lost = run.capture?.lost ?? 0;
  if (lost > 0) lines.push(`WARNING: ${run.backend} lost ${formatCount(lost)} events: every count below is too low by up to that many`);
  if (run.target.exitCode !== null || run.target.signal !== null) {
    lines.push(`target: pid ${run.target.pid} ${run.target.signal ? `killed by ${run.target.signal}` : `exited with ${run.target.exitCode}`}`);
  }
  if (run.load) {
    const l = run.load;
    const latency = l.latencyMs ? `, latency p50 ${l.latencyMs.p50} ms p99 ${l.latencyMs.p99} ms` : '';
    lines.push(`load: ${loadWords(l)}${latency}`);
  }
  if (run.overhead) {
    const o = run.overhead;
    lines.push(`overhead: traced ${formatCount(Math.round(o.tracedRps))} req/s / untraced ${formatCount(Math.round(o.untracedRps))} req/s = ${o.ratio.toFixed(2)}`);
  }
  if (rssBytes !== undefined) lines.push(`target memory (RSS, with its child processes): ${(rssBytes / 1048576).toFixed(1)} MiB`);
  lines.push('');
  const requests = run.load && run.load.requests > 0 ? run.load.requests : undefined;
  // The table's notes are among the capture notes below.
  lines.push(
    renderSyscallTable(table, { sort: 'calls', top: 25, notes: false, ...(requests ? { perRequest: { requests } } : {}), ...(run.latency ? { latency: run.latency } : {}) }).trimEnd(),
  );
  if (requests) lines.push(`syscalls per request: ${(table.totals.calls / requests).toFixed(2)}`);
  if (run.offcpu) lines.push('', ...renderOffcpuSummary(run.offcpu));
  lines.push('', renderModelVerdict(run.model).trimEnd());
  for (const note of run.capture?.notes ?? []) lines.push(`note: ${note}`);
  lines.push('', `written: ${dir}/ (${run.files.filter((f) => !f.startsWith('raw/')).join(', ')}, raw/)`);
  return `${lines.join('\n')}\n`;
}

// Unknowns read as unknown, never as 0: an external command may tell neither its count, its rate nor its errors.
function loadWords(l: LoadResult): string {
  const requests = l.requestsKnown === false ? 'unknown number of' : formatCount(l.requests);
  const rate = l.requestsKnown === false && l.requestsPerSecond === 0 ? 'req/s unknown' : `${formatCount(Math.round(l.requestsPerSecond))} req/s`;
  return `${requests} requests in ${l.durationSeconds.toFixed(1)} s (${rate}), ${errorWords(l)}`;
}

function errorWords(l: LoadResult): string {
  if (l.errors === null) return 'errors unknown';
  const kinds = Object.entries(l.errorKinds ?? {}).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const detail = l.errors > 0 && kinds.length > 0 ? ` (${kinds.map(([kind, n]) => `${kind} ${formatCount(n)}`).join(', ')})` : '';
  return `${formatCount(l.errors)} error${l.errors === 1 ? '' : 's'}${detail}`;
}

/** Where the threads waited: total, per request, by kind, and for Go by the runtime's reason. */
export function renderOffcpuSummary(o: OffcpuSummary): string[] {
  const share = (n: number) => (o.seconds > 0 ? ` (${formatShare(n / o.seconds)})` : '');
  const time = (seconds: number) => (seconds === 0 ? '0' : formatNanoseconds(seconds * 1e9));
  const perRequest = o.secondsPerRequest !== null ? `; ${formatNanoseconds(o.secondsPerRequest * 1e9)} per request` : '';
  const lines = [
    `off-CPU: threads blocked ${formatNanoseconds(o.seconds * 1e9)} in ${formatCount(o.events)} waits (summed over threads)${perRequest}`,
    `  by kind: ${WAIT_KINDS.map((k) => `${k} ${time(o.byKind[k])}${share(o.byKind[k])}`).join(' · ')}`,
  ];
  if (o.go) lines.push(`  Go runtime: ${GO_WAITS.map((k) => `${k} ${time(o.go![k])}${share(o.go![k])}`).join(' · ')}`);
  return lines;
}
