// strace -c tables: real captures of one deterministic program in every column layout, plus broken tables.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/model/errors.js';
import type { SyscallTable } from '../../src/model/syscalls.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import { STRACE_C_NOTE, straceSummaryParser } from '../../src/parse/strace-summary.js';
import type { ParseResult, ParseWarning } from '../../src/parse/types.js';
import { fixture } from '../helpers.js';

function linesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

async function* stream(lines: readonly string[]): AsyncIterable<string> {
  yield* lines;
}

async function parseLines(lines: readonly string[], file = 'test.txt'): Promise<{ result: ParseResult; warnings: ParseWarning[] }> {
  const warnings: ParseWarning[] = [];
  const result = await straceSummaryParser.parse(stream(lines), { file, options: {}, warn: (w) => warnings.push({ ...w, file }) });
  return { result, warnings };
}

/** Parses a fixture after checking that detection alone (no file-name hint) picks this parser. */
async function parseFixture(name: string): Promise<{ table: SyscallTable; warnings: ParseWarning[] }> {
  const lines = linesOf(fixture('strace', 'summary', name));
  expect(detectTextFormat(lines.slice(0, 200))?.format).toBe('strace-summary');
  const { result, warnings } = await parseLines(lines, name);
  expect(result.format).toBe('strace-summary');
  return { table: result.syscalls!, warnings };
}

/** `name calls errors` per row, sorted by name: what every layout of the same run must agree on. */
function counts(table: SyscallTable): string[] {
  return table.rows.map((r) => `${r.name} ${r.calls} ${r.errors}`).sort();
}

const MIX_TABLES = [
  'mix-c.txt',
  'mix-c-w.txt',
  'mix-c-S-calls.txt',
  'mix-c-S-name.txt',
  'mix-c-U-name-first.txt',
  'mix-c-w-U-name-middle.txt',
  'mix-c-stderr.txt',
];

describe('strace -c tables of the deterministic mix program', () => {
  it('reads the default layout: 33 syscalls, 120 calls, 23 errors', async () => {
    const { table, warnings } = await parseFixture('mix-c.txt');
    expect(warnings).toEqual([]);
    expect(table.rows).toHaveLength(33);
    expect(table.totals).toEqual({ calls: 120, errors: 23, seconds: 0.000873 });
    expect(table.hasTime).toBe(true);
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    expect(byName.get('openat')).toMatchObject({ calls: 17, errors: 14 });
    expect(byName.get('read')).toMatchObject({ calls: 11, errors: 8 });
    expect(byName.get('getpid')).toMatchObject({ calls: 21, errors: 0 });
    expect(byName.get('pause')).toBeUndefined(); // ended by exit_group: never returned, never counted
    expect(byName.get('sched_get_priority_max')).toMatchObject({ calls: 1 });
  });

  it('says that a -c table cannot show calls that never returned (exit, exit_group, still blocked)', async () => {
    const { table } = await parseFixture('mix-c.txt');
    // mix ends two processes with exit_group: a log of the same program counts them, the table cannot.
    expect(table.rows.find((r) => r.name === 'exit_group')).toBeUndefined();
    expect(table.notes).toEqual([STRACE_C_NOTE]);
    expect(STRACE_C_NOTE).toMatch(/exit, exit_group and calls still blocked/);
    expect(table.inFlight).toBeUndefined();
  });

  it.each(MIX_TABLES)('%s has the same calls and errors per syscall as every other layout', async (name) => {
    const reference = counts((await parseFixture('mix-c.txt')).table);
    const { table, warnings } = await parseFixture(name);
    expect(warnings).toEqual([]);
    expect(counts(table)).toEqual(reference);
    expect(table.totals.calls).toBe(120);
    expect(table.totals.errors).toBe(23);
  });

  it('takes seconds from the seconds column wherever -U puts it', async () => {
    // ` 61.84    0.170457       42614         4           clock_nanosleep         0.020092 0.050127`
    const middle = await parseFixture('mix-c-w-U-name-middle.txt');
    expect(middle.table.rows.find((r) => r.name === 'clock_nanosleep')?.seconds).toBe(0.170457);
    expect(middle.table.rows.find((r) => r.name === 'clone')?.seconds).toBe(0.000415);
    expect(middle.table.totals.seconds).toBeCloseTo(0.275641, 5);
    // This run measured system time and strace rounded every call to 0.000000.
    const first = await parseFixture('mix-c-U-name-first.txt');
    expect(first.table.totals.seconds).toBe(0);
    expect(first.table.hasTime).toBe(true);
  });

  it('skips strace attach messages and tracee stderr before a table printed on stderr', async () => {
    const lines = linesOf(fixture('strace', 'summary', 'mix-c-stderr.txt'));
    expect(lines[0]).toMatch(/^strace: Process \d+ attached$/);
    expect(lines).toContain('mix: stderr line from the tracee');
    const { table } = await parseFixture('mix-c-stderr.txt');
    expect(table.totals.calls).toBe(120);
  });

  it('cuts columns that grew past their default width (longest = 10.500112)', async () => {
    const { table, warnings } = await parseFixture('sleep-long-w.txt');
    expect(warnings).toEqual([]);
    expect(table.rows.find((r) => r.name === 'clock_nanosleep')).toMatchObject({ calls: 1, errors: 0, seconds: 10.500112 });
    expect(table.rows.find((r) => r.name === 'openat')).toMatchObject({ calls: 30, errors: 13 });
    expect(table.totals).toMatchObject({ calls: 109, errors: 14 });
  });

  it('merges the 32 bit mode table into the native one, by name, with a warning', async () => {
    const { table, warnings } = await parseFixture('x32-c.txt');
    expect(warnings.map((w) => w.kind)).toEqual(['personality-merged']);
    expect(warnings[0]!.message).toContain('32 bit');
    expect(table.totals).toMatchObject({ calls: 60, errors: 3 });
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    expect(byName.get('getpid')).toMatchObject({ calls: 3 }); // 1 native (sh) + 2 in 32 bit mode
    expect(byName.get('open')).toMatchObject({ calls: 1, errors: 1 });
    expect(byName.get('execve')).toMatchObject({ calls: 2 });
  });
});

describe('broken or foreign strace -c input', () => {
  const mix = () => linesOf(fixture('strace', 'summary', 'mix-c.txt'));

  it('a table cut in half is a ParseError one line past the end', async () => {
    const cut = mix().slice(0, 10);
    const err = await parseLines(cut, 'cut.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(11);
    expect((err as ParseError).message).toMatch(/^cut\.txt:11: expected a strace -c row/);
  });

  it('a table whose total row is missing is a ParseError', async () => {
    const lines = mix().slice(0, -1); // ends on the closing divider
    const err = await parseLines(lines).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(lines.length + 1);
  });

  it('a row of the wrong shape is a ParseError at that row', async () => {
    const lines = mix();
    lines[5] = '  0.00    0.000000           0'; // truncated mid-row
    const err = await parseLines(lines).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(6);
    expect((err as ParseError).message).toContain('0.00    0.000000');
  });

  it('a row that does not fit the divider columns is a ParseError', async () => {
    const lines = mix();
    const at = lines.findIndex((l) => l.endsWith(' mmap'));
    lines[at] = lines[at]!.replace('         9 ', '12345678901 '); // calls spill over the column separator
    const err = await parseLines(lines).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(at + 1);
  });

  it('an unknown column title is a ParseError on the header line', async () => {
    const lines = mix();
    lines[0] = lines[0]!.replace('usecs/call', 'usecs/byte');
    const err = await parseLines(lines).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(1);
    expect((err as ParseError).message).toContain('usecs/byte');
  });

  it('a total row that disagrees with the rows is a warning, and the rows win', async () => {
    const lines = mix();
    const last = lines.length - 1;
    lines[last] = lines[last]!.replace('   120   ', '   121   ');
    const { result, warnings } = await parseLines(lines);
    expect(warnings.map((w) => [w.kind, w.line])).toEqual([['totals-mismatch', lines.length]]);
    expect(warnings[0]!.message).toContain('calls 120 vs 121');
    expect(result.syscalls!.totals.calls).toBe(120);
  });

  it('text without a table is a ParseError', async () => {
    const err = await parseLines(['hello', 'world']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
  });

  it.each([
    ['log', 'mix-ttt-T.log'],
    ['log', 'mix-C.log'],
    ['log', 'go-http.log'],
    ['foreign', 'perf-trace-s.txt'],
    ['foreign', 'perf-script.txt'],
    ['foreign', 'bpftrace.txt'],
  ])('is not detected in %s/%s', (dir, name) => {
    const head = linesOf(fixture('strace', dir, name)).slice(0, 200);
    expect(straceSummaryParser.detect(head)).toBe(false);
  });
});
