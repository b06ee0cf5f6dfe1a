// `perf trace -s` summary: per-thread syscall tables summed into one SyscallTable.
//
// Produced by: perf trace -s [--errno-summary] -o out.txt -- <cmd>   (or -p <pid>)
// Reference: tools/perf/builtin-trace.c (trace__fprintf_threads_header, thread__dump_stats),
// https://github.com/torvalds/linux/blob/v6.1/tools/perf/builtin-trace.c
// Real input (perf 6.1, fixtures/perf-trace/threads-errno-summary.txt):
//    Summary of events:
//
//    gt (458), 2152 events, 32.7%
//
//      syscall            calls  errors  total       min       avg       max       stddev
//                                        (msec)    (msec)    (msec)    (msec)        (%)
//      --------------- --------  ------ -------- --------- --------- ---------     ------
//      openat                50     50     0.636     0.012     0.013     0.019      0.98%
//                                   ENOENT: 50
// becomes the row { name: 'openat', calls: 50, errors: 50, errnos: { ENOENT: 50 }, seconds: 0.000636 },
// summed over every thread block; threads = number of `comm (tid)` blocks.
//
// perf trace counts a call at sys_exit, so its summary leaves out calls that never returned: exit and
// exit_group, calls still blocked when the recording ended, and rt_sigreturn (its sys_exit carries id -1,
// observed with perf 6.1 on kernel 6.18). netprobe's perf backend (src/capture/backends/perf.ts) therefore
// appends two more outputs of perf for the same recording, and calls then count when they were made:
//   perf report -i DATA --stdio -n --sort raw_syscalls:sys_enter.id   sys_enter events per syscall number:
//     # Samples: 2K of event 'raw_syscalls:sys_enter'
//     # Overhead       Samples                  id
//         49.80%          1000                 110      -> getppid: 1000 calls (x86_64 numbers unless
//                                                         options.arch says otherwise); errors and time
//                                                         stay the summary's
//   perf script -i DATA -F tid,event,trace, only the sys_enter lines no sys_exit of the same thread followed
//   (unreturnedSyscallEntries below; exit and exit_group left out). Formatting every event's `trace` field
//   costs perf about 2 µs an event, so the backend first finds the threads that were inside a call with
//   `-F tid,event,time --show-task-events` (threadsInsideCalls, a third of the cost), then formats only
//   their last events (--tid, --time):
//     27504 raw_syscalls:sys_enter: NR 7 (0, 0, 32, 7f81d99a48d0, 0, 7ffd17eb0777)
//                                                      -> poll: 1 call in flight at the end
// Without them (a plain `perf trace -s` file) the table says in `notes` what it cannot show.
import { ParseError } from '../model/errors.js';
import { normalizeArch, syscallName, type SyscallArch } from '../model/syscall-numbers.js';
import { NEVER_RETURNING, SyscallTableBuilder, type SyscallTable } from '../model/syscalls.js';
import { COUNT_EXPECTED, isCount } from './counts.js';
import { detectPerfTraceSummary, PERF_TRACE_SUMMARY_TITLE as SUMMARY_TITLE, PERF_TRACE_SYSCALL_TITLES as SYSCALL_TITLES } from './detectors.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

/** What a perf trace -s summary leaves out; shown with the table when perf's sys_enter counts are not appended. */
export const PERF_TRACE_S_NOTE =
  'perf trace -s counts a call only when it returns: exit, exit_group, rt_sigreturn and calls still blocked when the recording ended are not in this table';

// `comm (tid), N events, P%`; comm may itself contain spaces and parentheses, so anchor at the end.
const THREAD_BLOCK = /^ (.*) \((\d+)\), (\d+) events?, [\d.]+%\s*$/;
// Newer perf's --summary-mode=total prints one block without a thread.
const TOTAL_BLOCK = /^ total, (\d+) events?\s*$/;
const ERRNO_LINE = /^\s+(E[A-Z0-9_]+|errno_\d+|\d+|\(unknown\)): (\d+)\s*$/;
const DASHES = /^\s+-{3,}[\s-]*$/;
const UNITS = /^\s+\((msec|usec|%)\)/;
// perf report: `# Samples: 2K of event 'raw_syscalls:sys_enter'`, `# Overhead  Samples  id`, `  49.80%  1000  110`.
const REPORT_EVENT = /^# Samples: .* of event '([^']+)'/;
const REPORT_ID_COLUMNS = /^#\s+Overhead\s+Samples\s+id\s*$/;
// Rows of other events (sys_exit: no sort key of theirs) have no id cell.
const REPORT_ROW = /^\s+[\d.]+%\s+(\d+)(?:\s+(\d+))?\s*$/;
const ENTER_EVENT = /^(?:raw_)?syscalls:sys_enter$/;
// perf script -F tid,event,trace: `27504 raw_syscalls:sys_enter: NR 7 (0, …)`, `27504  raw_syscalls:sys_exit: NR 7 = 0`.
const SCRIPT_EVENT = /^\s*(\d+)\s+(?:raw_)?syscalls:sys_(enter|exit):\s+NR (-?\d+)\b/;

export const perfTraceSummaryParser: TextParser = {
  format: 'perf-trace-summary',
  detect: detectPerfTraceSummary,
  parse: parsePerfTraceSummary,
};

interface Columns {
  calls: number;
  errors: number | undefined;
  /** Index of the `total` (msec) column, when present. */
  total: number | undefined;
  count: number;
}

/** What perf counted per syscall at sys_enter (perf report) and the calls in flight at the end (perf script). */
class Entries {
  /** perf report's sys_enter section was read: calls count from it. */
  counted = false;
  /** perf report printed anything (with no sys_enter section when perf recorded no syscall at all). */
  reported = false;
  readonly calls = new Map<string, number>();
  readonly inFlight = new Map<string, number>();
  /** The event of the perf report section being read, and whether it is sorted by syscall id. */
  private event: string | undefined;
  private idColumn = false;

  constructor(private readonly arch: SyscallArch) {}

  /** Reads one line after the summary; false when it is neither perf report nor perf script output. */
  line(line: string, ctx: ParseContext, lineNo: number): boolean {
    const event = REPORT_EVENT.exec(line);
    if (event) {
      this.event = event[1];
      this.idColumn = false;
      return true;
    }
    if (line.startsWith('#')) {
      this.reported = true;
      if (REPORT_ID_COLUMNS.test(line) && this.event !== undefined && ENTER_EVENT.test(this.event)) this.idColumn = this.counted = true;
      return true;
    }
    const row = REPORT_ROW.exec(line);
    if (row) {
      if (!isCount(Number(row[1]))) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
      if (this.idColumn && row[2] !== undefined) add(this.calls, syscallName(Number(row[2]), this.arch), Number(row[1]));
      return true;
    }
    const entry = SCRIPT_EVENT.exec(line);
    if (entry && entry[2] === 'enter') {
      add(this.inFlight, syscallName(Number(entry[3]), this.arch), 1);
      return true;
    }
    return false;
  }

  /** The summary's errors, errnos and time with calls as made. */
  apply(summary: SyscallTable): SyscallTable {
    const made = new SyscallTableBuilder();
    made.hasTime = summary.hasTime;
    const rest = new Map(this.calls);
    for (const row of summary.rows) {
      made.add(row.name, rest.get(row.name) ?? 0, row.errors, row.seconds, row.errnos);
      rest.delete(row.name);
    }
    for (const [name, calls] of rest) made.add(name, calls);
    made.tracksInFlight();
    for (const [name, n] of this.inFlight) made.addInFlight(name, n);
    return made.build(summary.threads);
  }
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * The `perf script -F tid,event,trace` lines of sys_enter events that no sys_exit of the same thread followed
 * before the end: calls still in flight when the recording ended (exit and exit_group, which never return, left out).
 * `text` is perf's output in pieces of any size.
 */
export async function unreturnedSyscallEntries(text: AsyncIterable<string>, arch: string = process.arch): Promise<string[]> {
  const table = normalizeArch(arch);
  const open = new Map<string, string>();
  await eachLine(text, (line) => {
    const m = SCRIPT_EVENT.exec(line);
    if (!m) return;
    if (m[2] === 'exit') open.delete(m[1]!);
    else if (NEVER_RETURNING.has(syscallName(Number(m[3]), table))) open.delete(m[1]!);
    else open.set(m[1]!, line);
  });
  return [...open.values()];
}

/**
 * Threads whose last event in `perf script -F tid,event,time --show-task-events` output is a sys_enter: each was
 * inside a call when the recording ended (a thread that exited has a PERF_RECORD_EXIT after its last call). Returns
 * tid -> the time of that sys_enter as perf printed it (`2237.886298`), for `perf script --time`. `text` is perf's
 * output in pieces of any size; a recording holds millions of events, so lines are cut by hand, not by regex:
 *   20184  2237.886298: raw_syscalls:sys_enter:
 *   20184  2237.886301:  raw_syscalls:sys_exit:
 *   17078   820.275856: PERF_RECORD_EXIT(17056:17078):(17049:17049)
 */
export async function threadsInsideCalls(text: AsyncIterable<string>): Promise<Map<string, string>> {
  const inside = new Map<string, string>();
  await eachLine(text, (line) => {
    let i = 0;
    while (line.charCodeAt(i) === 32) i++;
    let j = i;
    while (line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
    if (j === i) return;
    const tid = line.slice(i, j);
    const event = line.indexOf('sys_e', j);
    if (event >= 0 && line.charCodeAt(event + 5) === 110 /* n: sys_enter */) {
      const colon = line.indexOf(':', j);
      inside.set(tid, line.slice(j, colon).trim());
    } else if (event >= 0 || line.includes('PERF_RECORD_EXIT', j)) {
      inside.delete(tid);
    }
  });
  return inside;
}

/** Calls `each` with every line of text that arrives in pieces of any size. */
async function eachLine(text: AsyncIterable<string>, each: (line: string) => void): Promise<void> {
  let rest = '';
  for await (const piece of text) {
    const chunk = rest + piece;
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      each(chunk.slice(start, nl));
      start = nl + 1;
    }
    rest = chunk.slice(start);
  }
  if (rest !== '') each(rest);
}

/** Sums the per-thread tables of `perf trace -s` output. */
export async function parsePerfTraceSummary(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const table = new SyscallTableBuilder();
  const entries = new Entries(normalizeArch(ctx.options.arch ?? process.arch));
  let lineNo = 0;
  let sawTitle = false;
  let columns: Columns | undefined;
  let lastRow: string | undefined;
  let threadBlocks = 0;
  // Past the summary: perf report and perf script lines appended by netprobe's perf backend.
  let appended = false;

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (sawTitle && (appended || line.startsWith('#') || SCRIPT_EVENT.test(line))) {
      appended = true;
      if (!entries.line(line, ctx, lineNo)) ctx.warn({ kind: 'unexpected-line', line: lineNo, message: `skipped a line after the summary that is neither perf report nor perf script output: ${line.trim()}` });
      continue;
    }
    if (SUMMARY_TITLE.test(line)) {
      sawTitle = true;
      continue;
    }
    const thread = THREAD_BLOCK.exec(line);
    if (thread) {
      threadBlocks++;
      table.seeThread(thread[2]!);
      columns = undefined;
      lastRow = undefined;
      continue;
    }
    if (TOTAL_BLOCK.test(line)) {
      columns = undefined;
      lastRow = undefined;
      continue;
    }
    if (SYSCALL_TITLES.test(line)) {
      columns = columnsOf(line);
      if (columns.total !== undefined) table.hasTime = true;
      continue;
    }
    if (DASHES.test(line) || UNITS.test(line)) continue;

    const errno = ERRNO_LINE.exec(line);
    if (errno && lastRow !== undefined) {
      if (!isCount(Number(errno[2]))) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
      table.addErrno(lastRow, errno[1] === '(unknown)' ? 'unknown' : errno[1]!, Number(errno[2]));
      continue;
    }
    if (!columns) {
      if (!sawTitle) throw new ParseError(ctx.file, lineNo, 'perf trace -s output starting with ` Summary of events:`', line);
      ctx.warn({ kind: 'unexpected-line', line: lineNo, message: `skipped a line outside any syscall table: ${line.trim()}` });
      continue;
    }
    lastRow = addRow(table, columns, line, ctx, lineNo);
  }

  if (!sawTitle) throw new ParseError(ctx.file, Math.max(lineNo, 1), 'perf trace -s output starting with ` Summary of events:`');
  // Blocks are per thread by default; without any (summary-mode=total) the thread count is unknown.
  const summary = table.build(threadBlocks || undefined);
  // perf report prints no section for an event without samples: nothing entered, and nothing returned either.
  const counted = entries.counted || (entries.reported && summary.totals.calls === 0);
  const syscalls = counted ? entries.apply(summary) : { ...summary, notes: [PERF_TRACE_S_NOTE] };
  return { format: 'perf-trace-summary', syscalls, meta: threadBlocks ? { threads: threadBlocks } : {} };
}

function columnsOf(header: string): Columns {
  const titles = header.trim().split(/\s+/);
  const at = (name: string) => {
    const i = titles.indexOf(name);
    return i < 0 ? undefined : i;
  };
  return { calls: at('calls')!, errors: at('errors'), total: at('total'), count: titles.length };
}

function addRow(table: SyscallTableBuilder, columns: Columns, line: string, ctx: ParseContext, lineNo: number): string {
  const cells = line.trim().replace(/%$/, '').split(/\s+/);
  const numbers = cells.slice(1).map(Number);
  if (cells.length !== columns.count || numbers.some((n) => !Number.isFinite(n))) {
    throw new ParseError(ctx.file, lineNo, `a syscall row with ${columns.count} columns`, line);
  }
  const name = cells[0]!;
  const cell = (i: number | undefined) => (i === undefined ? 0 : Number(cells[i]));
  if (!isCount(cell(columns.calls)) || !isCount(cell(columns.errors))) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
  // perf prints milliseconds with three decimals.
  table.add(name, cell(columns.calls), cell(columns.errors), cell(columns.total) / 1000);
  return name;
}
