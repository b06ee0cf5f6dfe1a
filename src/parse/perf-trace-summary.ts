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
import { ParseError } from '../model/errors.js';
import { SyscallTableBuilder } from '../model/syscalls.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

const SUMMARY_TITLE = /^ Summary of events:\s*$/;
// `comm (tid), N events, P%`; comm may itself contain spaces and parentheses, so anchor at the end.
const THREAD_BLOCK = /^ (.*) \((\d+)\), (\d+) events?, [\d.]+%\s*$/;
// Newer perf's --summary-mode=total prints one block without a thread.
const TOTAL_BLOCK = /^ total, (\d+) events?\s*$/;
const ERRNO_LINE = /^\s+(E[A-Z0-9_]+|errno_\d+|\d+|\(unknown\)): (\d+)\s*$/;
const DASHES = /^\s+-{3,}[\s-]*$/;
const UNITS = /^\s+\((msec|usec|%)\)/;

export const perfTraceSummaryParser: TextParser = {
  format: 'perf-trace-summary',
  detect(head) {
    return head.some((line) => SUMMARY_TITLE.test(line)) && head.some((line) => /^\s+syscall\s+calls\b/.test(line));
  },
  parse: parsePerfTraceSummary,
};

interface Columns {
  calls: number;
  errors: number | undefined;
  /** Index of the `total` (msec) column, when present. */
  total: number | undefined;
  count: number;
}

/** Sums the per-thread tables of `perf trace -s` output. */
export async function parsePerfTraceSummary(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const table = new SyscallTableBuilder();
  let lineNo = 0;
  let sawTitle = false;
  let columns: Columns | undefined;
  let lastRow: string | undefined;
  let threadBlocks = 0;

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
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
    if (/^\s+syscall\s+calls\b/.test(line)) {
      columns = columnsOf(line);
      if (columns.total !== undefined) table.hasTime = true;
      continue;
    }
    if (DASHES.test(line) || UNITS.test(line)) continue;

    const errno = ERRNO_LINE.exec(line);
    if (errno && lastRow !== undefined) {
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
  return { format: 'perf-trace-summary', syscalls: table.build(threadBlocks || undefined), meta: threadBlocks ? { threads: threadBlocks } : {} };
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
  // perf prints milliseconds with three decimals.
  table.add(name, cell(columns.calls), cell(columns.errors), cell(columns.total) / 1000);
  return name;
}
