// strace -c summary tables -> SyscallTable.
// Produced by: `strace -c -f -o FILE -- <cmd>` (also -w, -S <key>, -U <columns>, or on stderr mixed with
// `strace: Process N attached` lines and the tracee's own stderr).
// Reference: strace 6.1 src/count.c call_summary_pers() (https://github.com/strace/strace/blob/v6.1/src/count.c).
//
//   % time     seconds  usecs/call     calls    errors syscall
//   ------ ----------- ----------- --------- --------- -----------------------
//     0.00    0.000000           0        11         8 read      -> { name: 'read', calls: 11, errors: 8 }
//     0.00    0.000000           0         2           write     -> errors printed with %.0lu: blank means 0
//   ------ ----------- ----------- --------- --------- -----------------------
//   100.00    0.000000           0       120        23 total     -> checked against the sum of the rows
//
// Column widths grow with the data and -U reorders columns, so cells are cut at the divider's dash runs.
// A second table headed `System call usage summary for 32 bit mode:` (another personality) is merged
// into the first, by name, with a `personality-merged` warning: netprobe compares syscall patterns, and a
// 32-bit helper process is part of the same workload.
// count.c counts a call when it returns, so the table cannot show calls that never did: exit, exit_group,
// calls a thread died in and calls still blocked when strace detached. The result says so in `notes`
// (STRACE_C_NOTE); a strace log (`--strace-log`) or another backend counts them.
import { ParseError } from '../model/errors.js';
import { roundSeconds, SyscallTableBuilder } from '../model/syscalls.js';
import { COUNT_EXPECTED, isCount } from './counts.js';
import { detectStraceSummary } from './detectors.js';
import { DIVIDER, dividerExtents, headerTitles, TITLES, type ColumnKey } from './strace-table.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

const KNOWN_TITLES = Object.keys(TITLES).join(', ');

interface Column {
  key: ColumnKey;
  start: number;
  /** Exclusive; the last column runs to the end of the line. */
  end: number;
}

/** What a strace -c table leaves out; shown with the table and in run.json `capture.notes`. */
export const STRACE_C_NOTE =
  'strace -c counts a call only when it returns: exit, exit_group and calls still blocked when tracing ended are not in this table (a strace log, --strace-log, counts them)';

const PERSONALITY = /^System call usage summary for (.+) mode:$/;
const ROW_EXPECTED = 'a strace -c row with cells under the divider columns';

interface TableState {
  columns: Column[];
  rows: Array<{ name: string; calls: number; errors: number; seconds: number }>;
  personality?: string;
  sawDivider: boolean;
}

async function parseStraceSummary(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const builder = new SyscallTableBuilder();
  let hasTime = false;
  let tables = 0;
  let table: TableState | undefined;
  let personality: string | undefined;
  let previous: string | undefined;
  let lineNo = 0;

  for await (const raw of lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (table) {
      if (!table.sawDivider && DIVIDER.test(line)) {
        table.sawDivider = true;
      } else {
        const row = parseRow(line, table.columns, ctx, lineNo);
        if (table.sawDivider) {
          if (row.name !== 'total') throw new ParseError(ctx.file, lineNo, 'the `total` row of a strace -c table', line);
          checkTotals(table, row, ctx, lineNo);
          for (const r of table.rows) builder.add(r.name, r.calls, r.errors, r.seconds);
          tables++;
          if (tables > 1) {
            ctx.warn({
              kind: 'personality-merged',
              line: lineNo,
              message: `merged the ${table.personality ?? 'native'} mode table (${row.calls} calls) into the first table by syscall name`,
            });
          }
          table = undefined;
        } else {
          table.rows.push(row);
        }
      }
    } else {
      const extents = dividerExtents(line);
      if (extents && previous !== undefined) {
        const titles = headerTitles(previous, line);
        if (titles) {
          table = { columns: columnsOf(titles, extents, previous, ctx, lineNo - 1), rows: [], sawDivider: false, personality };
          hasTime ||= table.columns.some((c) => c.key === 'seconds' || c.key === 'wallTotal');
          personality = undefined;
        }
      }
      const mode = PERSONALITY.exec(line);
      if (mode) personality = mode[1];
    }
    previous = line;
  }

  if (table) throw new ParseError(ctx.file, lineNo + 1, `${ROW_EXPECTED}, or its dashed divider and \`total\` row`, '<end of input>');
  if (tables === 0) throw new ParseError(ctx.file, 1, 'a strace -c table (column titles over a dashed divider)', '<no table found>');
  builder.hasTime = hasTime;
  return { format: 'strace-summary', syscalls: { ...builder.build(), notes: [STRACE_C_NOTE] } };
}

function columnsOf(titles: string[], extents: Array<[number, number]>, header: string, ctx: ParseContext, headerLine: number): Column[] {
  const columns: Column[] = [];
  const seen = new Set<ColumnKey>();
  titles.forEach((title, i) => {
    const key = TITLES[title];
    if (!key || seen.has(key)) throw new ParseError(ctx.file, headerLine, `strace -c column titles (${KNOWN_TITLES}), each once`, header);
    seen.add(key);
    columns.push({ key, start: extents[i]![0], end: extents[i]![1] });
  });
  if (!seen.has('calls')) throw new ParseError(ctx.file, headerLine, 'a strace -c table with a `calls` column', header);
  return columns;
}

const INTEGER = /^\d+$/;
// strace prints with printf, so a locale with a decimal comma shows `0,003708`.
const DECIMAL = /^\d+(?:[.,]\d+)?$/;

function parseRow(line: string, columns: readonly Column[], ctx: ParseContext, lineNo: number): TableState['rows'][number] {
  const fail = () => new ParseError(ctx.file, lineNo, ROW_EXPECTED, line);
  const row = { name: '', calls: 0, errors: 0, seconds: 0 };
  let wallTotal: number | undefined;
  let hasSeconds = false;
  columns.forEach((col, i) => {
    // Cells are separated by one space; a character there means the row does not fit the divider.
    if (col.start > 0 && col.start <= line.length && line[col.start - 1] !== ' ') throw fail();
    const cell = line.slice(col.start, i === columns.length - 1 ? undefined : col.end).trim();
    switch (col.key) {
      case 'name':
        if (!/^[A-Za-z_][\w]*$/.test(cell)) throw fail();
        row.name = cell;
        break;
      case 'calls':
        if (!INTEGER.test(cell)) throw fail();
        row.calls = Number(cell);
        if (!isCount(row.calls)) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
        break;
      case 'errors':
        // `%.0lu`: zero errors print as blanks.
        if (cell !== '' && !INTEGER.test(cell)) throw fail();
        row.errors = cell === '' ? 0 : Number(cell);
        if (!isCount(row.errors)) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
        break;
      case 'seconds':
      case 'wallTotal': {
        if (!DECIMAL.test(cell)) throw fail();
        const value = Number(cell.replace(',', '.'));
        if (col.key === 'seconds') {
          row.seconds = value;
          hasSeconds = true;
        } else {
          wallTotal = value;
        }
        break;
      }
      case 'avg':
      case 'wallAvg':
        // The totals row left usecs/call blank before strace 5.7.
        if (cell !== '' && !DECIMAL.test(cell)) throw fail();
        break;
      default:
        if (!DECIMAL.test(cell)) throw fail();
    }
  });
  if (!hasSeconds && wallTotal !== undefined) row.seconds = wallTotal;
  return row;
}

function checkTotals(table: TableState, total: TableState['rows'][number], ctx: ParseContext, lineNo: number): void {
  const sum = table.rows.reduce((s, r) => ({ calls: s.calls + r.calls, errors: s.errors + r.errors, seconds: s.seconds + r.seconds }), {
    calls: 0,
    errors: 0,
    seconds: 0,
  });
  // Rows are rounded to microseconds after strace summed the exact values.
  const slack = 0.5e-6 * (table.rows.length + 1);
  const off: string[] = [];
  if (sum.calls !== total.calls) off.push(`calls ${sum.calls} vs ${total.calls}`);
  if (sum.errors !== total.errors) off.push(`errors ${sum.errors} vs ${total.errors}`);
  if (Math.abs(sum.seconds - total.seconds) > slack) off.push(`seconds ${roundSeconds(sum.seconds)} vs ${total.seconds}`);
  if (off.length > 0) {
    ctx.warn({ kind: 'totals-mismatch', line: lineNo, message: `the rows do not add up to the total row (${off.join(', ')}); using the rows` });
  }
}

export const straceSummaryParser: TextParser = {
  format: 'strace-summary',
  detect: detectStraceSummary,
  parse: parseStraceSummary,
};
