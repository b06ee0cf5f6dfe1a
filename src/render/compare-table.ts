// A comparison of runs (src/report/compare.ts) as a terminal table or GitHub-flavoured Markdown.
import { FAMILIES } from '../model/families.js';
import { COMPARE_PER_REQUESTS, normalisationLabel, normalisationShort } from '../model/normalisation.js';
import type { ModelLabel, SweepLevel } from '../model/run.js';
import { formatAmount, formatBytes, formatCount, formatPercent } from '../model/units.js';
import type { Comparison } from '../report/compare.js';
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

  if (options.markdown) {
    const table = markdownTable(headers, [...body, ...facts]);
    const list = models.map((m) => `- ${m}`).join('\n');
    return [caption, '', table, list, ...notes.map((n) => `\n${n}`), sweeps ? `\n${sweeps}` : ''].join('\n').replace(/\n+$/, '\n');
  }
  const c = terminalColors(options.color);
  const colored = facts.map((row) =>
    row[0] === 'as expected' ? row.map((cell) => (cell === 'NO' ? c.red.bold(cell) : cell === 'yes' ? c.green(cell) : cell)) : row,
  );
  const out = [c.dim(caption), renderTable(headers, body, { footer: colored, color: options.color }).replace(/\n$/, '')];
  for (const m of models) out.push(`  ${m}`);
  for (const n of notes) out.push(c.dim(n));
  if (sweeps) out.push('', sweeps.replace(/\n$/, ''));
  return `${out.join('\n')}\n`;
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
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(esc).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n') + '\n';
}
