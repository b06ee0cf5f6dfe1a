// perf trace -s output (perf 6.1) of fixtures/bpftrace/src/ground-truth.c and of a small shell pipeline, and
// netprobe's perf backend output: the summary followed by perf report's sys_enter counts and perf script's
// unreturned entries (fixtures/ground-truth/syscalls.c, fixtures/strace/src/exits.c).
import { describe, expect, it } from 'vitest';
import { detectTextFormat } from '../../src/parse/detect.js';
import { PERF_TRACE_S_NOTE, perfTraceSummaryParser, threadsInsideCalls, unreturnedSyscallEntries } from '../../src/parse/perf-trace-summary.js';
import type { ParseResult } from '../../src/parse/types.js';
import { fixture, parseFixtureFile, type FixtureParse } from '../helpers.js';

function parseFixture(name: string, arch?: string): Promise<FixtureParse> {
  return parseFixtureFile(perfTraceSummaryParser, fixture('perf-trace', name), arch ? { arch } : {});
}

/** `lines` as text cut every `size` characters, lines and all. */
async function* inPieces(lines: readonly string[], size: number, finalNewline = true): AsyncIterable<string> {
  const text = lines.join('\n') + (finalNewline ? '\n' : '');
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const rows = (r: ParseResult) => r.syscalls!.rows.map((x) => [x.name, x.calls, x.errors, x.errnos]);

describe('perf trace -s parser', () => {
  it('sums per-thread blocks; threads = blocks; msec become seconds', async () => {
    const { result, warnings, head } = await parseFixture('threads-summary.txt');
    expect(detectTextFormat(head)?.format).toBe('perf-trace-summary');
    expect(rows(result).slice(0, 3)).toEqual([
      ['getppid', 3000, 0, {}],
      ['openat', 152, 150, {}],
      ['close', 62, 60, {}],
    ]);
    expect(result.syscalls!.threads).toBe(4);
    expect(result.meta?.threads).toBe(4);
    expect(result.syscalls!.hasTime).toBe(true);
    // 21.926 + 13.345 + 12.045 msec of getppid in the three worker blocks
    expect(result.syscalls!.rows[0]!.seconds).toBeCloseTo(0.047316, 9);
    expect(warnings).toEqual([]);
    // A plain summary counts calls when they return: it says what it cannot show, and knows nothing in flight.
    expect(result.syscalls!.notes).toEqual([PERF_TRACE_S_NOTE]);
    expect(result.syscalls!.inFlight).toBeUndefined();
    expect(rows(result).find(([name]) => name === 'exit')).toBeUndefined();
  });

  it('attaches --errno-summary lines to the row above them', async () => {
    const { result } = await parseFixture('threads-errno-summary.txt');
    const byName = new Map(result.syscalls!.rows.map((r) => [r.name, r]));
    expect(byName.get('openat')).toMatchObject({ calls: 152, errors: 150, errnos: { ENOENT: 150 } });
    expect(byName.get('close')).toMatchObject({ calls: 62, errors: 60, errnos: { EBADF: 60 } });
    expect(byName.get('ioctl')).toMatchObject({ errors: 1, errnos: { ENOTTY: 1 } });
    expect(result.syscalls!.totals.errors).toBe(Object.values(result.syscalls!.rows).reduce((n, r) => n + Object.values(r.errnos).reduce((a, b) => a + b, 0), 0));
  });

  it('reads blocks of several processes (sh, ls, cat)', async () => {
    const { result, head } = await parseFixture('sh-children-errno-summary.txt');
    expect(detectTextFormat(head)?.format).toBe('perf-trace-summary');
    expect(result.syscalls!.threads).toBe(3);
    const execve = result.syscalls!.rows.find((r) => r.name === 'execve')!;
    expect(execve.calls).toBe(3);
  });

  it("netprobe's perf output: calls count at sys_enter (perf report), so exit and exit_group are in; errors and time stay the summary's", async () => {
    const { result, warnings, head } = await parseFixture('netprobe-ground-truth.txt', 'x86_64');
    expect(detectTextFormat(head)?.format).toBe('perf-trace-summary');
    expect(warnings).toEqual([]);
    const byName = new Map(result.syscalls!.rows.map((r) => [r.name, r]));
    expect(byName.get('getppid')).toMatchObject({ calls: 1000, errors: 0 });
    expect(byName.get('getpgid')).toMatchObject({ calls: 300, errors: 200, errnos: { ESRCH: 200 } });
    expect(byName.get('faccessat')).toMatchObject({ calls: 160, errors: 160, errnos: { ENOENT: 120, ENOTDIR: 40 } });
    expect(byName.get('dup')).toMatchObject({ calls: 80, errors: 80, errnos: { EBADF: 80 } });
    // Never in perf trace -s: 3 threads ended in exit, the process in exit_group.
    expect(byName.get('exit')).toMatchObject({ calls: 3, errors: 0, seconds: 0 });
    expect(byName.get('exit_group')).toMatchObject({ calls: 1, errors: 0 });
    expect(byName.get('getppid')!.seconds).toBeGreaterThan(0);
    expect(result.syscalls!.inFlight).toEqual({});
    expect(result.syscalls!.notes).toBeUndefined();
    expect(result.syscalls!.threads).toBe(4);
  });

  it("netprobe's perf output of an attached capture: the sys_enter lines no sys_exit followed are the calls in flight", async () => {
    const { result, warnings } = await parseFixture('netprobe-exits-attached.txt', 'x86_64');
    expect(warnings).toEqual([]);
    // The reader thread's read of a pipe and main's read of stdin were blocked when perf stopped.
    expect(result.syscalls!.inFlight).toEqual({ read: 2 });
    const byName = new Map(result.syscalls!.rows.map((r) => [r.name, r]));
    expect(byName.get('exit')).toMatchObject({ calls: 2 });
    expect(byName.get('getppid')).toMatchObject({ calls: 4 });
    expect(byName.has('exit_group')).toBe(false);
  });

  it("netprobe's perf output of an idle target: perf report has no sys_enter section, nothing was made or is in flight", async () => {
    const { result, warnings } = await parseFixture('netprobe-idle.txt', 'x86_64');
    expect(warnings).toEqual([]);
    expect(result.syscalls).toMatchObject({ rows: [], totals: { calls: 0, errors: 0 }, inFlight: {} });
    expect(result.syscalls!.notes).toBeUndefined();
  });

  it('unreturnedSyscallEntries keeps, per thread, a last sys_enter that no sys_exit followed (not exit or exit_group)', async () => {
    const lines = [
      '  101 raw_syscalls:sys_enter: NR 7 (0, 0, 32, 0, 0, 0)',
      '  102 raw_syscalls:sys_enter: NR 0 (3, 7f00, 1, 0, 0, 0)',
      '  101  raw_syscalls:sys_exit: NR 7 = 0',
      '  101 raw_syscalls:sys_enter: NR 15 (0, 0, 0, 0, 0, 0)',
      '  101  raw_syscalls:sys_exit: NR -1 = 0', // rt_sigreturn returns with id -1
      '  103 raw_syscalls:sys_enter: NR 60 (0, 0, 0, 0, 0, 0)', // exit: never returns, never in flight
      '  104  raw_syscalls:sys_exit: NR 232 = 1', // a call entered before the recording began
      '  104 raw_syscalls:sys_enter: NR 232 (4, 7f00, 1, ffffffff, 0, 0)',
    ];
    const kept = await unreturnedSyscallEntries(inPieces(lines, 13), 'x86_64');
    expect(kept).toEqual([lines[1], lines[7]]);
  });

  it('threadsInsideCalls finds the threads whose last event is a sys_enter, and when it was, from text in any pieces', async () => {
    const lines = [
      '    0     0.000000: PERF_RECORD_COMM: perf-exec:17056/17056',
      '17056   820.270872: PERF_RECORD_COMM exec: syscalls:17056/17056',
      '17078   820.275854: raw_syscalls:sys_enter: ', // exit: then the thread is gone
      '17078   820.275856: PERF_RECORD_EXIT(17056:17078):(17049:17049)',
      '17079   820.275860: raw_syscalls:sys_enter: ',
      '17079   820.275861:  raw_syscalls:sys_exit: ',
      '17080   820.275870: raw_syscalls:sys_enter: ', // still inside
      '17081   820.275880:  raw_syscalls:sys_exit: ', // entered before the recording
      '17081   820.275890: raw_syscalls:sys_enter: ', // still inside, no newline at the end of the text
    ];
    for (const size of [1, 7, 64, 4096]) {
      const inside = await threadsInsideCalls(inPieces(lines, size, false));
      expect([...inside]).toEqual([
        ['17080', '820.275870'],
        ['17081', '820.275890'],
      ]);
    }
  });

  it('rejects rows that do not fit the header', async () => {
    const text = [' Summary of events:', '', ' gt (1), 3 events, 100.0%', '', '   syscall            calls  errors  total       min       avg       max       stddev', '   read  x  y'];
    const parse = perfTraceSummaryParser.parse(
      (async function* () {
        yield* text;
      })(),
      { file: 'p.txt', options: {}, warn: () => {} },
    );
    await expect(parse).rejects.toThrow(/p\.txt:6: expected a syscall row with 8 columns/);
  });
});
