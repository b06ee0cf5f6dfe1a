// Every fixture of every format cut short: after each line (npm test: up to 24 lines spread over each file; npm run
// fuzz: every line) and in the middle of the next one, read with detection and as its own format. A capture cut
// by Ctrl-C, a full disk or a copy in progress ends in a result or one line, exit 2. pprof fixtures are cut at
// byte offsets instead.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cutPoints, fixtureInputs, linesWithEnds, LONG, outcome } from './harness.js';

afterAll(cleanUp);

const inputs = await fixtureInputs();
// Every line of every fixture under npm run fuzz, but at most 2,000 cuts (the two largest have 13k and 23k lines).
const CUTS = LONG ? 2000 : 24;

describe('fixtures cut short', () => {
  it('finds fixtures of every format', () => {
    expect(new Set(inputs.map((i) => i.format))).toEqual(
      new Set(['strace-summary', 'strace-log', 'perf-script', 'perf-trace-summary', 'bpftrace', 'bpftrace-offcpu', 'bpftrace-latency', 'folded', 'pprof']),
    );
  });

  for (const input of inputs.filter((i) => i.format !== 'pprof')) {
    it(`${input.name} (${input.format})`, async () => {
      const lines = linesWithEnds(input.bytes.toString('utf8'));
      // The whole file reads as its format; every cut reads, or is refused cleanly.
      expect((await outcome(input.bytes, { format: input.format })).ok).toBeDefined();
      for (const cut of cutPoints(lines.length, CUTS)) {
        const head = lines.slice(0, cut).join('');
        const next = lines[cut] ?? '';
        for (const text of [head, head + next.slice(0, Math.ceil(next.length / 2))]) {
          await outcome(text, { name: 'cut.txt' });
          await outcome(text, { name: 'cut.txt', format: input.format });
        }
      }
    });
  }

  for (const input of inputs.filter((i) => i.format === 'pprof')) {
    it(`${input.name} (pprof, cut at byte offsets, raw and gzipped)`, async () => {
      const raw = gunzipSync(input.bytes);
      for (const cut of cutPoints(raw.length, LONG ? 2000 : 48)) {
        const head = raw.subarray(0, cut);
        await outcome(head, { name: 'cut.pb' });
        await outcome(head, { name: 'cut.pb', format: 'pprof' });
        await outcome(gzipSync(head), { name: 'cut.pb.gz' });
      }
      // The gzip stream itself cut short.
      for (const cut of cutPoints(input.bytes.length, LONG ? 500 : 16)) await outcome(input.bytes.subarray(0, cut), { name: 'cut.pb.gz' });
    });
  }
});
