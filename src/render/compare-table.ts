// A comparison of runs (src/report/compare.ts) as a terminal table or GitHub-flavoured Markdown: syscalls by
// family, then (for runs traced with --offcpu / --latency) off-CPU time by kind and latency by family.
import { FAMILIES } from '../model/families.js';
import { COMPARE_PER_REQUESTS, normalisationLabel, normalisationShort, type Normalisation } from '../model/normalisation.js';
import { GO_WAITS, WAIT_KINDS } from '../model/offcpu.js';
import type { ModelLabel, SweepLevel } from '../model/run.js';
import { formatAmount, formatBytes, formatCount, formatNanoseconds, formatPercent, formatShare } from '../model/units.js';
import type { CompareColumn, Comparison } from '../report/compare.js';
import { markdownCell } from './escape.js';
import { renderTable, terminalColors } from './table.js';

export interface CompareTableOptions {
  /** Markdown instead of aligned terminal columns. */
  markdown?: boolean;
  color?: boolean;
  /** Per column, the model the run is expected to show (the demo's example servers); adds a match row. */
  expected?: readonly (ModelLabel | undefined)[];
}

const SWEEP_MIN_PER_REQUEST = 0.05;

/** The comparison as text: one column per run, one row per syscall family, then load and model rows. */
export function renderCompareTable(comparison: Comparison, options: CompareTableOptions = {}): string {
  const { columns } = comparison;
  const normalisations = [...new Set(columns.map((c) => c.normalisation))];
  const mixed = normalisations.length > 1;
  const headers = ['', ...columns.map((c) => (mixed ? `${c.name} (${normalisationShort(c.normalisation, COMPARE_PER_REQUESTS)})` : c.name))];

  const body = comparison.rows.map((row) => [
    row.title,
    ...row.values.map((v, i) => (v === null ? (row.id === 'eagain' && !columns[i]!.errnoDetail ? 'n/a' : '') : formatAmount(v, columns[i]!.normalisation === 'raw'))),
  ]);
  const facts: string[][] = [
    // Counts from strace and from bpftrace/perf are not alike (strace slows the target): say which made each column.
    ['backend', ...columns.map((c) => c.backend ?? 'unknown')],
    ['threads', ...columns.map((c) => (c.threads === null ? '' : formatCount(c.threads)))],
    ['requests/s', ...columns.map((c) => (c.requestsPerSecond === null ? '' : formatCount(Math.round(c.requestsPerSecond))))],
    // Full labels (with confidence) would make every column as wide as the longest label: listed under the table.
    ['model', ...columns.map((c) => SHORT_LABELS[c.model.label])],
  ];
  if (options.expected) {
    facts.push(['as expected', ...columns.map((c, i) => (options.expected![i] === undefined ? '' : c.model.label === options.expected![i] ? 'yes' : 'NO'))]);
  }
  const models = columns.map((c, i) => {
    const want = options.expected?.[i];
    const verdict = want === undefined ? '' : c.model.label === want ? ' (as expected)' : ` (expected ${want})`;
    return `${c.name}: ${c.model.label}${c.model.label === 'unknown' ? '' : ` ${formatPercent(c.model.confidence, 0)}`}${verdict}`;
  });

  const caption = mixed
    ? 'Units differ per column: per 1k req = calls per 1,000 requests, per s = calls per second of capture, raw = counts.'
    : `Syscalls by family, ${normalisationLabel(normalisations[0] ?? 'raw', COMPARE_PER_REQUESTS)}.`;
  const notes = [...comparison.notes.map((n) => `Note: ${n}.`), ...errnoNote(comparison)];
  const sweepTables = comparison.sweeps.map((s) => renderSweep(s.name, s.levels, options)).join('\n');
  const sweeps = sweepTables ? `${sweepTables}${options.markdown ? '\n' : ''}${SWEEP_MEMORY_LEGEND.join(options.markdown ? ' ' : '\n')}\n` : '';
  const blocks = [offcpuBlock(columns), latencyBlock(columns)].filter((b) => b !== undefined);

  if (options.markdown) {
    const table = markdownTable(headers, [...body, ...facts]);
    const list = models.map((m) => `- ${m}`).join('\n');
    const extra = blocks.map((b) => ['', b.caption, '', markdownTable(b.headers, [...b.rows, ...b.footer]) + b.lines.map((l) => `- ${l}`).join('\n')].join('\n'));
    return [caption, '', table, list, ...notes.map((n) => `\n${n}`), ...extra, sweeps ? `\n${sweeps}` : ''].join('\n').replace(/\n+$/, '\n');
  }
  const c = terminalColors(options.color);
  const colored = facts.map((row) =>
    row[0] === 'as expected' ? row.map((cell) => (cell === 'NO' ? c.red.bold(cell) : cell === 'yes' ? c.green(cell) : cell)) : row,
  );
  const out = [c.dim(caption), renderTable(headers, body, { footer: colored, color: options.color }).replace(/\n$/, '')];
  for (const m of models) out.push(`  ${m}`);
  for (const n of notes) out.push(c.dim(n));
  for (const b of blocks) {
    out.push('', c.dim(b.caption), renderTable(b.headers, b.rows, { footer: b.footer, color: options.color }).replace(/\n$/, ''));
    for (const l of b.lines) out.push(`  ${l}`);
  }
  if (sweeps) out.push('', sweeps.replace(/\n$/, ''));
  return `${out.join('\n')}\n`;
}

/** A table under the syscall counts: caption, headers, rows, footer rows, and lines listed under it. */
interface Block {
  caption: string;
  headers: string[];
  rows: string[][];
  footer: string[][];
  lines: string[];
}

/** Off-CPU milliseconds (summed over threads) per request, per second of capture, or in total, by column normalisation. */
export const OFFCPU_MS_WORDS: Record<Normalisation, string> = {
  'per-request': 'ms per request',
  'per-second': 'ms per second of capture',
  raw: 'ms in total',
};

/** Off-CPU seconds as ms; below 0.01 ms (10 µs of waiting per request) `<0.01`, which is all such a figure says. */
export function formatWaitMs(seconds: number): string {
  const ms = seconds * 1000;
  return ms > 0 && ms < 0.01 ? '<0.01' : formatAmount(ms);
}

// Wait time in ms, because per request it is small (a thread-per-connection server's 50 blocked threads: 2 ms).
function offcpuBlock(columns: readonly CompareColumn[]): Block | undefined {
  const shown = columns.filter((c) => c.offcpu);
  if (shown.length === 0) return undefined;
  const kinds = [...new Set(shown.map((c) => c.normalisation))];
  const mixed = kinds.length > 1;
  const headers = ['', ...columns.map((c) => (mixed && c.offcpu ? `${c.name} (${normalisationShort(c.normalisation)})` : c.name))];
  const ms = (c: CompareColumn, seconds: (o: NonNullable<CompareColumn['offcpu']>) => number) => (c.offcpu ? formatWaitMs(seconds(c.offcpu)) : '');
  const rows = WAIT_KINDS.map((k) => [k, ...columns.map((c) => ms(c, (o) => o.byKind[k]))]);
  const footer = [['total', ...columns.map((c) => ms(c, (o) => o.total))]];
  // Go runtimes park idle worker threads in futex: say how much of the wait is idleness and how much contention.
  const lines = columns.flatMap((c) => {
    const go = c.offcpu?.go;
    if (!go || !(c.offcpu!.total > 0)) return [];
    const parts = GO_WAITS.filter((w) => go[w] > 0 || w === 'idle workers' || w === 'lock contention').map((w) => `${formatShare(go[w] / c.offcpu!.total)} ${w}`);
    return [`${c.name} (Go runtime): ${parts.join(', ')}`];
  });
  const missing = columns.filter((c) => !c.offcpu).map((c) => c.name);
  if (missing.length > 0) lines.push(`not recorded: ${missing.join(', ')} (traced without --offcpu)`);
  const unit = mixed ? 'units differ per column: per req = ms per request, per s = ms per second of capture, raw = ms in total' : OFFCPU_MS_WORDS[kinds[0]!];
  return { caption: `Off-CPU time by kind, ${unit} (summed over threads: where they blocked and for how long).`, headers, rows, footer, lines };
}

// Percentiles are the upper bounds of log2 buckets (within 2x of the true value); the caption says so.
function latencyBlock(columns: readonly CompareColumn[]): Block | undefined {
  if (!columns.some((c) => c.latency)) return undefined;
  const families = FAMILIES.filter((f) => columns.some((c) => c.latency?.[f.id]));
  const cell = (c: CompareColumn, id: string, q: 'p50' | 'p99') => {
    const l = c.latency?.[id];
    return l ? formatNanoseconds(l[q] * 1e9) : '';
  };
  // A row per percentile rather than `p50 / p99` cells: seven servers side by side stay within 110 columns.
  const rows = families.flatMap((f) => (['p50', 'p99'] as const).map((q) => [`${f.title} ${q}`, ...columns.map((c) => cell(c, f.id, q))]));
  const missing = columns.filter((c) => !c.latency).map((c) => c.name);
  const lines = missing.length > 0 ? [`not recorded: ${missing.join(', ')} (traced without --latency)`] : [];
  return {
    caption: 'Latency by family (p50 / p99): time inside the syscall, upper bounds of log2 buckets.',
    headers: ['', ...columns.map((c) => c.name)],
    rows,
    footer: [],
    lines,
  };
}

/** What the memory columns of a sweep table measure (printed once under the sweep tables). */
export const SWEEP_MEMORY_LEGEND = [
  'RSS after load: resident memory of the server when the load at that level ended.',
  'RSS/idle conn: how much the server\'s RSS grew per idle keep-alive connection held open, untraced. User-space',
  'memory only: kernel socket buffers and thread kernel stacks are not in RSS.',
];

/** One sweep's curves as a table: one row per connection level. */
export function renderSweep(name: string, levels: readonly SweepLevel[], options: CompareTableOptions = {}): string {
  // Families below SWEEP_MIN_PER_REQUEST at every level are noise in a curve table.
  const families = FAMILIES.filter((f) => levels.some((l) => (l.perRequest[f.id] ?? 0) >= SWEEP_MIN_PER_REQUEST));
  const headers = ['connections', 'requests/s', 'syscalls/req', ...families.map((f) => `${f.title}/req`), 'threads', 'RSS after load', 'RSS/idle conn', 'model'];
  const rows = levels.map((l) => [
    formatCount(l.connections),
    formatCount(Math.round(l.requestsPerSecond)),
    formatAmount(l.perRequest.total ?? 0),
    ...families.map((f) => formatAmount(l.perRequest[f.id] ?? 0)),
    l.threads === null ? '' : formatCount(l.threads),
    l.rssBytes === null ? '' : formatBytes(l.rssBytes),
    l.idleBytesPerConnection === null ? '' : formatBytes(l.idleBytesPerConnection),
    SHORT_LABELS[l.model.label],
  ]);
  const title = `Sweep ${name}: cost per request as connections grow`;
  if (options.markdown) return `${title}\n\n${markdownTable(headers, rows)}`;
  return `${title}\n${renderTable(headers, rows, { color: options.color })}`;
}

const SHORT_LABELS: Record<ModelLabel, string> = {
  'goroutine-per-connection (netpoll)': 'netpoll',
  'event-loop reactor (epoll)': 'reactor',
  'thread-per-connection (blocking)': 'thread/conn',
  'process-per-connection (fork)': 'fork/conn',
  'poll/select loop': 'poll loop',
  unknown: 'unknown',
};

// strace -c counts errors without naming their errnos; say so once, naming each source's format, instead of
// leaving readers to guess what n/a means.
function errnoNote(comparison: Comparison): string[] {
  const bySource = new Map<string, string[]>();
  for (const c of comparison.columns.filter((col) => !col.errnoDetail)) {
    const source = c.sourceFormat ?? 'their source';
    bySource.set(source, [...(bySource.get(source) ?? []), c.name]);
  }
  return [...bySource].map(
    ([source, names]) =>
      `EAGAIN n/a: ${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} errors without errno names (${source}); see the errors row.`,
  );
}

function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = markdownCell;
  const line = (cells: readonly string[]) => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n') + '\n';
}
