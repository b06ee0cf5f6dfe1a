import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toFolded } from '../../src/export/folded.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import { foldedParser, parseFoldedLine } from '../../src/parse/folded.js';
import type { ParseWarning } from '../../src/parse/types.js';
import { CONFORMANCE, conformanceAvailable, fixture } from '../helpers.js';
import { stackList } from '../../src/model/profile.js';

async function parseFolded(text: string) {
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const lines = text.split('\n');
  const result = await foldedParser.parse((async function* () { yield* lines; })(), { file: 'x', options: {}, warn: (w) => warnings.push(w) });
  return { profile: result.profile!, warnings };
}

describe('folded parser', () => {
  for (const file of ['busy-cpu-clock.folded', 'go-cpu-clock.folded']) {
    it(`${file} (stackcollapse-perf.pl output): detected, round-trips exactly`, async () => {
      const text = readFileSync(fixture('folded', file), 'utf8');
      expect(detectTextFormat(text.split('\n'))?.format).toBe('folded');
      const { profile, warnings } = await parseFolded(text);
      expect(warnings).toEqual([]);
      expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
      expect(toFolded(profile)).toBe(text);
    });
  }

  it('a two-column file (difffolded.pl output) is differential: before and after, after by default', async () => {
    const text = readFileSync(fixture('folded', 'busy-vs-go.diff.folded'), 'utf8');
    expect(detectTextFormat(text.split('\n'))?.format).toBe('folded');
    const { profile } = await parseFolded(text);
    expect(profile.sampleTypes.map((t) => t.type)).toEqual(['before', 'after']);
    expect(profile.defaultSampleType).toBe(1);
    expect(toFolded(profile, 0)).toBe(readFileSync(fixture('folded', 'busy-cpu-clock.folded'), 'utf8'));
    expect(toFolded(profile, 1)).toBe(readFileSync(fixture('folded', 'go-cpu-clock.folded'), 'utf8'));
  });

  it('reads fractional counts and annotation suffixes', async () => {
    const { profile } = await parseFolded('a;b_[k];c_[j] 1.5\na;b_[k] 2.\n');
    expect(toFolded(profile)).toBe('a;b_[k] 2\na;b_[k];c_[j] 1.5\n');
    expect(profile.frames.map((f) => f.kind)).toEqual([undefined, 'kernel', 'jit']);
  });

  it('keeps spaces inside frame names', () => {
    expect(parseFoldedLine('x;std::function<void (int)>::operator 3')).toEqual({ stack: 'x;std::function<void (int)>::operator', counts: [3] });
  });

  it('keeps a space that ends the leaf name (stackcollapse-perf.pl cuts `Proxy<int (P::*)()>::Raw` to `Proxy<int `)', () => {
    expect(parseFoldedLine('x;Proxy<int  3')).toEqual({ stack: 'x;Proxy<int ', counts: [3] });
    expect(parseFoldedLine('x;Proxy<int  3 4')).toEqual({ stack: 'x;Proxy<int ', counts: [3, 4] });
  });

  it.skipIf(!conformanceAvailable())('warns about and skips malformed lines (inferno bad_before.txt)', async () => {
    const { profile, warnings } = await parseFolded(readFileSync(`${CONFORMANCE}/inferno-diff-folded/bad_before.txt`, 'utf8'));
    expect(warnings.map((w) => [w.kind, w.line])).toEqual([['malformed-folded-line', 3]]);
    expect(stackList(profile).length).toBe(7);
  });

  it('does not claim strace, strace -c or bpftrace text', () => {
    const strace = ['getpid()                                = 13075', 'write(1, "hi", 2)                       = 2'];
    const straceC = ['% time     seconds  usecs/call     calls    errors syscall', '------ ----------- ----------- --------- --------- ----------------', '100.00    0.254729         719       354        59 total'];
    const bpftrace = ['Attaching 1 probe...', '', '@calls[read]: 12', '@calls[write]: 3'];
    for (const head of [strace, straceC, bpftrace]) expect(foldedParser.detect(head)).toBe(false);
  });
});
