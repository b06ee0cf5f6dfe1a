import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { foldedStacks } from '../../src/export/folded.js';
import { foldedParser } from '../../src/parse/folded.js';
import { diffFolded, formatDiffRows, stripHex, type DiffFoldedOptions } from '../../src/report/diff-folded.js';
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
});
