// bpftrace latency histograms from real captures of netprobe's latency script (fixtures/bpftrace/README.md):
// fixtures/ground-truth/sleeps.c (500 x 1 ms clock_nanosleep, 1000 getppid) and `sh -c 'sleep 1.2'` (G labels).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bpftraceLatencyParser } from '../../src/parse/bpftrace-latency.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import type { ParseResult, ParseWarning } from '../../src/parse/types.js';
import { readInput } from '../../src/run/input.js';
import { fixture, parseFixtureFile, type FixtureParse } from '../helpers.js';

function parseFixture(name: string, arch = 'x86_64'): Promise<FixtureParse> {
  return parseFixtureFile(bpftraceLatencyParser, fixture('bpftrace', name), { arch });
}

async function parseLines(lines: string[], arch = 'x86_64'): Promise<{ result: ParseResult; warnings: Omit<ParseWarning, 'file'>[] }> {
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const result = await bpftraceLatencyParser.parse(
    (async function* () {
      yield* lines;
    })(),
    { file: 'lat.txt', options: { arch }, warn: (w) => warnings.push(w) },
  );
  return { result, warnings };
}

const HEADER = ['Attaching 8 probes...', 'netprobe: probes attached; @inflight lists calls in flight at the end', '', ''];
const bar = (n: number) => `|${'@'.repeat(n).padEnd(52)}|`;

describe('bpftrace latency parser on real captures', () => {
  it('reads the ground truth: 500 clock_nanosleep in the bucket holding 1 ms, the exact max from @latmax', async () => {
    const { result, warnings, head } = await parseFixture('netprobe-latency-sleeps.txt');
    expect(warnings).toEqual([]);
    expect(detectTextFormat(head)?.format).toBe('bpftrace-latency');
    expect(result.format).toBe('bpftrace-latency');
    expect(result.syscalls).toBeUndefined();
    const latency = result.latency!;
    // `[512K, 1M) 500` and `@latmax[230]: 1040372`: the percentiles are the bucket's upper bound, lowered to the max.
    expect(latency.clock_nanosleep).toEqual({
      calls: 500,
      p50: 0.001040372,
      p90: 0.001040372,
      p99: 0.001040372,
      max: 0.001040372,
      buckets: [[524_288e-9, 1_048_576e-9, 500]],
    });
    expect(latency.nanosleep).toBeUndefined();
    // `[512, 1K) 997`, `[1K, 2K) 1`, empty `[2K, 4K)` ... `[8K, 16K)` left out, `[16K, 32K) 1`, `[32K, 64K) 1`.
    expect(latency.getppid).toEqual({
      calls: 1000,
      p50: 1_024e-9,
      p90: 1_024e-9,
      p99: 1_024e-9,
      max: 45_128e-9,
      buckets: [
        [512e-9, 1_024e-9, 997],
        [1_024e-9, 2_048e-9, 1],
        [16_384e-9, 32_768e-9, 1],
        [32_768e-9, 65_536e-9, 1],
      ],
    });
    // The main thread's pthread_join waits for the sleeper: one futex of about half a second.
    expect(latency.futex).toMatchObject({ calls: 1, buckets: [[268_435_456e-9, 536_870_912e-9, 1]] });
    expect(Object.keys(latency)).toHaveLength(28);
  });

  it('reads G labels: a 1.2 s sleep of a followed child and the shell waiting for it', async () => {
    const { result, warnings, head } = await parseFixture('netprobe-latency-sh-sleep.txt');
    expect(warnings).toEqual([]);
    expect(detectTextFormat(head)?.format).toBe('bpftrace-latency');
    expect(result.latency!.clock_nanosleep).toEqual({
      calls: 1,
      p50: 1.200100774,
      p90: 1.200100774,
      p99: 1.200100774,
      max: 1.200100774,
      buckets: [[2 ** 30 * 1e-9, 2 ** 31 * 1e-9, 1]],
    });
    // Two quick wait4 calls, the wait for the 1 ms-ish /bin/true and the 1.2 s one: percentiles by rank.
    expect(result.latency!.wait4).toMatchObject({ calls: 4, p50: 2_048e-9, p90: 1.200395053, max: 1.200395053 });
  });

  it('is what the user\'s path detects: readInput on the capture', async () => {
    const input = await readInput(fixture('bpftrace', 'netprobe-latency-sleeps.txt'), { arch: 'x86_64' });
    expect(input.format).toBe('bpftrace-latency');
    expect(input.warnings).toEqual([]);
    expect(input.latency!.clock_nanosleep!.calls).toBe(500);
    expect(input.latency!.getppid!.calls).toBe(1000);
  });

  it('leaves every other bpftrace capture to the plain bpftrace format (hist-mixed.txt has an lhist() @lat)', async () => {
    const others = readdirSync(fixture('bpftrace')).filter((f) => /\.(txt|json)$/.test(f) && !f.startsWith('netprobe-latency'));
    expect(others).toContain('hist-mixed.txt');
    for (const name of others) {
      const { head } = await parseFixtureFile({ ...bpftraceLatencyParser, parse: async () => ({ format: 'bpftrace-latency' }) }, fixture('bpftrace', name));
      expect(detectTextFormat(head)?.format, name).not.toBe('bpftrace-latency');
    }
  });
});

describe('bpftrace latency parser on hist() output of every shape', () => {
  it('reads [0] and [1] as [0, 1) and [1, 2) ns, K/M/G/T as powers of 1024, and leaves empty buckets out', async () => {
    const { result, warnings } = await parseLines([
      ...HEADER,
      '@lat[0]: ',
      `[0]                    2 ${bar(52)}`,
      `[1]                    0 ${bar(0)}`,
      `[2, 4)                 1 ${bar(26)}`,
      `[1T, 2T)               1 ${bar(26)}`,
      '',
      '@latmax[0]: 1500000000000',
    ]);
    expect(warnings).toEqual([]);
    expect(result.latency).toEqual({
      read: { calls: 4, p50: 1e-9, p90: 1.5e3, p99: 1.5e3, max: 1.5e3, buckets: [[0, 1e-9, 2], [2e-9, 4e-9, 1], [2 ** 40 * 1e-9, 2 ** 41 * 1e-9, 1]] },
    });
  });

  it('without @latmax the max is the upper bound of the highest bucket; percentiles are upper bounds of their buckets', async () => {
    const lines = [...HEADER, '@lat[1]: '];
    // 100 calls: 50 in [1K, 2K), 40 in [2K, 4K), 9 in [64K, 128K), 1 in [1M, 2M).
    lines.push(`[1K, 2K)              50 ${bar(52)}`, `[2K, 4K)              40 ${bar(41)}`);
    for (const label of ['[4K, 8K)', '[8K, 16K)', '[16K, 32K)', '[32K, 64K)']) lines.push(`${label.padEnd(16)}       0 ${bar(0)}`);
    lines.push(`[64K, 128K)            9 ${bar(9)}`, `[128K, 256K)           0 ${bar(0)}`, `[256K, 512K)           0 ${bar(0)}`);
    lines.push(`[512K, 1M)             0 ${bar(0)}`, `[1M, 2M)               1 ${bar(1)}`);
    const { result } = await parseLines(lines);
    expect(result.latency!.write).toMatchObject({ calls: 100, p50: 2_048e-9, p90: 4_096e-9, p99: 131_072e-9, max: 2_097_152e-9 });
  });

  it('names syscall numbers for the architecture asked for', async () => {
    const lines = [...HEADER, '@lat[101]: ', `[1M, 2M)               3 ${bar(52)}`, '', '@latmax[101]: 1100000'];
    expect(Object.keys((await parseLines(lines, 'aarch64')).result.latency!)).toEqual(['nanosleep']);
    expect(Object.keys((await parseLines(lines, 'x86_64')).result.latency!)).toEqual(['ptrace']);
  });

  it('merges the histograms of one syscall printed twice (concatenated captures)', async () => {
    const block = ['@lat[35]: ', `[1M, 2M)               3 ${bar(52)}`, ''];
    const { result } = await parseLines([...HEADER, ...block, ...block, '@latmax[35]: 1100000', '@latmax[35]: 1200000']);
    expect(result.latency!.nanosleep).toMatchObject({ calls: 6, max: 0.0012, buckets: [[2 ** 20 * 1e-9, 2 ** 21 * 1e-9, 6]] });
  });

  it('skips other maps (and their buckets), keys that are not syscall numbers and negative times, with named warnings', async () => {
    const { result, warnings } = await parseLines([
      ...HEADER,
      '@usecs: ',
      `[0]                    5 ${bar(52)}`,
      '',
      '@calls[0]: 12',
      '@lat[read]: ',
      `[1K, 2K)               1 ${bar(52)}`,
      '',
      '@lat[3]: ',
      `(..., 0)               1 ${bar(52)}`,
      `[1K, 2K)               2 ${bar(52)}`,
      '',
      '@latmax[7]: 10',
      'some printf line',
    ]);
    expect(result.latency).toEqual({ close: { calls: 2, p50: 2_048e-9, p90: 2_048e-9, p99: 2_048e-9, max: 2_048e-9, buckets: [[1_024e-9, 2_048e-9, 2]] } });
    expect(warnings.map((w) => [w.kind, w.line])).toEqual([
      ['unknown-map', 5],
      ['unknown-map', 8],
      ['unknown-key', 9],
      ['negative-latency', 13],
      ['printf-line', 17],
      ['max-without-histogram', 16],
    ]);
  });

  it('an idle capture (the ready line, no map) is an empty table', async () => {
    expect((await parseLines([...HEADER, '', ''])).result).toEqual({ format: 'bpftrace-latency', latency: {} });
  });

  it('throws a ParseError naming the line for linear buckets, a broken bucket line, or no bpftrace output at all', async () => {
    await expect(parseLines([...HEADER, '@lat[0]: ', `[0, 2)                 3 ${bar(52)}`])).rejects.toThrow(/lat\.txt:6: expected a log2 hist\(\) bucket/);
    await expect(parseLines([...HEADER, '@lat[0]: ', '[1K, 2K)   three |@|'])).rejects.toThrow(/lat\.txt:6: expected a hist\(\) bucket/);
    await expect(parseLines(['hello'])).rejects.toThrow(/lat\.txt:1: expected bpftrace output with @lat histograms/);
  });
});
