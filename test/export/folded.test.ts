import { describe, expect, it } from 'vitest';
import { foldedLines, foldedStacks, sortedKeys, toFolded } from '../../src/export/folded.js';
import { ProfileBuilder } from '../../src/model/profile.js';

function profile() {
  const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }], 1);
  b.add([{ name: 'sh', kind: 'process' }, { name: 'main', address: 1 }, { name: 'read' }], [1, 10], { tid: 1 });
  b.add([{ name: 'sh', kind: 'process' }, { name: 'main', address: 2 }, { name: 'read' }], [2, 20], { tid: 2 });
  b.add([{ name: 'sh', kind: 'process' }, { name: 'Main' }], [1, 0]);
  return b.build();
}

describe('folded export', () => {
  it('merges stacks that differ only in labels or addresses and uses the default type', () => {
    expect(toFolded(profile())).toBe('sh;main;read 30\n');
    expect(foldedStacks(profile()).get('sh;main;read')).toBe(30);
  });

  it('exports another sample type on request, sorted in byte order', () => {
    expect([...foldedLines(profile(), 0)]).toEqual(['sh;Main 1', 'sh;main;read 3']);
  });

  it('sorts astral characters after the rest of the BMP, as UTF-8 bytes do', () => {
    const keys = sortedKeys(new Map([['a\u{1F600}', 1], ['a\uFF21', 1], ['a', 1]]));
    expect(keys).toEqual(['a', 'a\uFF21', 'a\u{1F600}']);
  });

  it('prints nothing for an empty profile', () => {
    expect(toFolded(new ProfileBuilder([{ type: 'samples', unit: 'count' }]).build())).toBe('');
  });
});
