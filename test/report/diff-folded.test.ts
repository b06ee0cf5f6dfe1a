import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { foldedStacks } from '../../src/export/folded.js';
import { foldedParser } from '../../src/parse/folded.js';
import {
  diffFolded,
  diffFoldedScaling,
  diffNormalisationOf,
  diffNormalisationWords,
  formatDiffRows,
  stripHex,
  type DiffFoldedOptions,
} from '../../src/report/diff-folded.js';
import { CONFORMANCE, conformanceAvailable } from '../helpers.js';

const DIR = `${CONFORMANCE}/inferno-diff-folded`;

async function stacksOf(file: string) {
  const lines = readFileSync(`${DIR}/${file}`, 'utf8').split('\n');
  const warnings: string[] = [];
  const r = await foldedParser.parse((async function* () { yield* lines; })(), { file, options: {}, warn: (w) => warnings.push(w.kind) });
  return { stacks: foldedStacks(r.profile!), warnings };
}

const sortedLines = (text: string) => text.trimEnd().split('\n').sort();

describe.skipIf(!conformanceAvailable())('differential folding (inferno-diff-folded)', () => {
  const CASES: [string, string, DiffFoldedOptions][] = [
    ['default.txt', 'before.txt', {}],
    ['normalize.txt', 'before.txt', { normalize: true }],
    ['strip_hex.txt', 'before.txt', { stripHex: true }],
    ['fractionals.txt', 'before_fractionals.txt', {}],
  ];
  for (const [result, beforeFile, opts] of CASES) {
    it(result, async () => {
      const before = await stacksOf(beforeFile);
      const after = await stacksOf('after.txt');
      const rows = diffFolded(before.stacks, after.stacks, opts);
      // inferno prints in hash order; the reference suite compares sorted lines.
      expect(sortedLines(formatDiffRows(rows))).toEqual(sortedLines(readFileSync(`${DIR}/results/${result}`, 'utf8')));
    });
  }

  it('bad_before.txt: the malformed line is warned about and skipped', async () => {
    const before = await stacksOf('bad_before.txt');
    expect(before.warnings).toEqual(['malformed-folded-line']);
    const rows = diffFolded(before.stacks, (await stacksOf('after.txt')).stacks);
    expect(rows.find((r) => r.stack === 'dd;[unknown];read;system_call_[k];__fdget_pos_[k]')).toEqual({
      stack: 'dd;[unknown];read;system_call_[k];__fdget_pos_[k]', before: 0, after: 15,
    });
  });
});

describe('diffFolded', () => {
  it('returns rows sorted by stack with zeros for one-sided stacks', () => {
    expect(diffFolded(new Map([['b', 2]]), new Map([['a', 1]]))).toEqual([
      { stack: 'a', before: 0, after: 1 },
      { stack: 'b', before: 2, after: 0 },
    ]);
  });

  it('strips hex addresses, merging stacks they alone told apart', () => {
    expect(stripHex('a;0x1f;0x;0xZ')).toBe('a;0x...;0x;0xZ');
    expect(diffFolded(new Map([['a;0x1', 1], ['a;0x2', 2]]), new Map(), { stripHex: true })).toEqual([{ stack: 'a;0x...', before: 3, after: 0 }]);
  });

  it('scales the base per request: a change that splits writes leaves the reads unchanged', () => {
    // 20,000 requests each: 1 read + 1 write per request before, 1 read + 2 writes after.
    const before = new Map([['serve;read', 20000], ['serve;write', 20000]]);
    const after = new Map([['serve;read', 20000], ['serve;write', 40000]]);
    expect(diffFolded(before, after, { perRequest: { before: 20000, after: 20000 } })).toEqual([
      { stack: 'serve;read', before: 20000, after: 20000 },
      { stack: 'serve;write', before: 20000, after: 40000 },
    ]);
    // By total the unchanged reads would look smaller: 20,000 base reads become 30,000 of a 60,000 total.
    expect(diffFolded(before, after, { normalize: true })[0]).toEqual({ stack: 'serve;read', before: 30000, after: 20000 });
    // Different loads: the base is scaled by new / base requests, whatever the totals.
    expect(diffFolded(before, new Map([['serve;read', 10000]]), { perRequest: { before: 20000, after: 10000 }, normalize: true })[0]).toEqual({
      stack: 'serve;read',
      before: 10000,
      after: 10000,
    });
  });
});

describe('diffNormalisationOf', () => {
  it.each([
    [true, 20000, 19000, 'per request: base scaled by 19,000 / 20,000 requests (new / base)'],
    [true, 20000, undefined, "by total: base scaled to the new profile's total (only the base input knows its request count)"],
    [true, undefined, 5, "by total: base scaled to the new profile's total (only the new input knows its request count)"],
    [true, 0, undefined, "by total: base scaled to the new profile's total (neither input knows its request count)"],
    [false, 20000, 20000, 'raw values: base not scaled (--no-normalize)'],
  ])('normalize %s, requests %s and %s: %s', (normalize, before, after, words) => {
    const n = diffNormalisationOf(normalize, before, after);
    expect(diffNormalisationWords(n)).toBe(words);
  });

  it('hands diffFolded the matching options', () => {
    expect(diffFoldedScaling(diffNormalisationOf(true, 10, 20))).toEqual({ perRequest: { before: 10, after: 20 } });
    expect(diffFoldedScaling(diffNormalisationOf(true, undefined, 20))).toEqual({ normalize: true });
    expect(diffFoldedScaling(diffNormalisationOf(false, 10, 20))).toEqual({ normalize: false });
  });
});
