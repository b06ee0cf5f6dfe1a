// Terminal tables: a generic aligned-column renderer, the syscall table and the network-model verdict.
//
// API (reuse these rather than formatting tables elsewhere)
//   renderTable(headers, rows, { align, footer, color }): string
//   renderSyscallTable(table, { sort, top, perRequest, notes, latency, color }): string
//   renderModelVerdict(verdict, { color }): string
//   terminalColors(color?): Chalk          chalk instance honouring NO_COLOR / FORCE_COLOR / --no-color / TTY
import { Chalk, type ChalkInstance } from 'chalk';
import chalk from 'chalk';
import type { LatencyTable } from '../model/latency.js';
import type { ModelVerdict } from '../model/run.js';
import { topErrno, type SyscallRow, type SyscallTable } from '../model/syscalls.js';
import { formatCount, formatNanoseconds, formatPercent, formatRate, formatSeconds } from '../model/units.js';

export type Align = 'left' | 'right';

export interface TableOptions {
  /** Per column; default left for the first column, right for the others (numbers). */
  align?: readonly Align[];
  /** Rows after a rule, e.g. totals; drawn bold. */
  footer?: readonly (readonly string[])[];
  /** Colour on or off; default from the environment (see terminalColors). */
  color?: boolean;
}

/**
 * A chalk instance for stdout. NO_COLOR (non-empty) turns colour off and wins over FORCE_COLOR, because
 * main.ts sets it for `--no-color`; otherwise chalk decides from FORCE_COLOR and whether stdout is a TTY.
 */
export function terminalColors(color?: boolean): ChalkInstance {
  const envOff = (process.env.NO_COLOR ?? '') !== '';
  const level = color === false || (color === undefined && envOff) ? 0 : color === true ? Math.max(chalk.level, 1) : chalk.level;
  return new Chalk({ level: level as 0 | 1 | 2 | 3 });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Aligned columns separated by two spaces, a rule under the header and above the footer; cells may carry colour. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const c = terminalColors(options.color);
  const footer = options.footer ?? [];
  const all = [headers, ...rows, ...footer];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleWidth(r[i] ?? ''))));
  const align = (i: number): Align => options.align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i]!, align(i)))
      .join('  ')
      .replace(/\s+$/, '');
  const rule = c.dim('─'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1)));
  const out = [c.bold(line(headers)), rule, ...rows.map(line)];
  if (footer.length > 0) out.push(rule, ...footer.map((r) => c.bold(line(r))));
  return `${out.join('\n')}\n`;
}

export type SyscallSort = 'calls' | 'errors' | 'time' | 'name';

export interface SyscallTableOptions {
  /** Row order; default `time` when the source measured time (where the cost is), else `calls`. */
  sort?: SyscallSort;
  /** Show only the first N rows (totals still cover every row). Default: all rows. */
  top?: number;
  /** Adds calls/request and errors/request columns. */
  perRequest?: { requests: number };
  /** Print the table's own notes (what its source cannot show) under it; default true. */
  notes?: boolean;
  /** Adds p50 and p99 latency columns (syscalls without a distribution leave them empty). */
  latency?: LatencyTable;
  color?: boolean;
}

export function defaultSyscallSort(table: SyscallTable): SyscallSort {
  return table.hasTime ? 'time' : 'calls';
}

export function sortSyscallRows(rows: readonly SyscallRow[], sort: SyscallSort): SyscallRow[] {
  const byName = (a: SyscallRow, b: SyscallRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const key: Record<SyscallSort, (a: SyscallRow, b: SyscallRow) => number> = {
    calls: (a, b) => b.calls - a.calls || b.seconds - a.seconds,
    errors: (a, b) => b.errors - a.errors || b.calls - a.calls,
    time: (a, b) => b.seconds - a.seconds || b.calls - a.calls,
    name: () => 0,
  };
  return [...rows].sort((a, b) => key[sort](a, b) || byName(a, b));
}

/** The syscall table as `summary`, `trace` and per-request views print it. */
export function renderSyscallTable(table: SyscallTable, options: SyscallTableOptions = {}): string {
  const c = terminalColors(options.color);
  const sorted = sortSyscallRows(table.rows, options.sort ?? defaultSyscallSort(table));
  const shown = options.top === undefined ? sorted : sorted.slice(0, options.top);
  const requests = options.perRequest?.requests;
  const perReq = requests !== undefined && requests > 0;
  const { totals } = table;

  // The error count is right-aligned inside a left-aligned column so the errno breakdown can follow it.
  const errorWidth = Math.max(...[...shown, totals].map((r) => formatCount(r.errors).length));
  const errorsCell = (row: SyscallRow): string => {
    if (row.errors === 0) return '';
    const top = topErrno(row);
    const count = c.red(formatCount(row.errors).padStart(errorWidth));
    return top ? `${count} ${c.dim(`(${top.errno} ${formatCount(top.count)})`)}` : count;
  };
  const rate = (n: number) => (perReq ? formatRate(n / requests) : '');

  const headers = ['syscall', 'calls', ...(perReq ? ['calls/req'] : []), '% calls', 'errors', ...(perReq ? ['errors/req'] : [])];
  const align: Align[] = ['left', 'right', ...(perReq ? (['right'] as const) : []), 'right', 'left', ...(perReq ? (['right'] as const) : [])];
  if (table.hasTime) {
    headers.push('seconds', 'µs/call', '% time');
    align.push('right', 'right', 'right');
  }
  const latency = options.latency;
  if (latency) {
    headers.push('p50', 'p99');
    align.push('right', 'right');
  }
  const cells = (row: SyscallRow, errors: string): string[] => {
    const out = [row.name, formatCount(row.calls)];
    if (perReq) out.push(rate(row.calls));
    out.push(formatPercent(share(row.calls, totals.calls)), errors);
    if (perReq) out.push(row.errors > 0 ? rate(row.errors) : '');
    if (table.hasTime) {
      out.push(formatSeconds(row.seconds), row.calls > 0 ? formatRate((row.seconds * 1e6) / row.calls) : '', formatPercent(share(row.seconds, totals.seconds)));
    }
    if (latency) {
      // Own property only: a syscall named like an Object.prototype member must not find one.
      const l = Object.hasOwn(latency, row.name) ? latency[row.name] : undefined;
      out.push(l ? formatNanoseconds(l.p50 * 1e9) : '', l ? formatNanoseconds(l.p99 * 1e9) : '');
    }
    return out;
  };
  const rows = shown.map((row) => cells(row, errorsCell(row)));
  const totalRow = cells({ name: 'total', calls: totals.calls, errors: totals.errors, errnos: {}, seconds: totals.seconds }, totals.errors > 0 ? formatCount(totals.errors).padStart(errorWidth) : '');

  let out = renderTable(headers, rows, { align, footer: [totalRow], color: options.color });
  const hidden = sorted.slice(shown.length);
  if (hidden.length > 0) {
    const calls = hidden.reduce((n, r) => n + r.calls, 0);
    out += c.dim(`(${formatCount(hidden.length)} more syscalls with ${formatCount(calls)} calls not shown; totals include them)`) + '\n';
  }
  // Counts-only captures (the default bpftrace script, one-liners) have no time: say so rather than print zeros.
  if (!table.hasTime) out += latency ? 'time not measured: p50 and p99 are from --latency\n' : 'time not measured (add --latency)\n';
  if (table.threads !== undefined) out += `threads: ${formatCount(table.threads)}\n`;
  if (perReq) out += `requests: ${formatCount(requests)}\n`;
  const inFlight = Object.entries(table.inFlight ?? {});
  if (inFlight.length > 0) {
    // Part of the calls above: made, not yet returned when the capture ended.
    out += `in flight at the end (entered, not returned; counted above): ${inFlight.map(([name, n]) => `${name} ${formatCount(n)}`).join(', ')}\n`;
  }
  if (options.notes !== false) for (const note of table.notes ?? []) out += c.dim(`note: ${note}`) + '\n';
  return out;
}

/** The network-model verdict with the evidence that decided it. */
export function renderModelVerdict(verdict: ModelVerdict, options: { color?: boolean } = {}): string {
  const c = terminalColors(options.color);
  const label = verdict.label === 'unknown' ? c.yellow(verdict.label) : c.cyan.bold(verdict.label);
  const lines = [`network model: ${label} ${c.dim(`(confidence ${formatPercent(verdict.confidence, 0)})`)}`];
  for (const e of verdict.evidence) lines.push(c.dim(`  - ${e}`));
  return `${lines.join('\n')}\n`;
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
