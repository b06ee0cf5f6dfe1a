// perf trace -s output (perf 6.1) of fixtures/bpftrace/src/ground-truth.c and of a small shell pipeline.
import { describe, expect, it } from 'vitest';
import { detectTextFormat } from '../../src/parse/detect.js';
import { perfTraceSummaryParser } from '../../src/parse/perf-trace-summary.js';
import type { ParseResult } from '../../src/parse/types.js';
import { fixture, parseFixtureFile, type FixtureParse } from '../helpers.js';

function parseFixture(name: string): Promise<FixtureParse> {
  return parseFixtureFile(perfTraceSummaryParser, fixture('perf-trace', name));
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
