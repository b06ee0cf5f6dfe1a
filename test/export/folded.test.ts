import { describe, expect, it } from 'vitest';
import { foldedChunks, foldedLines, foldedStacks, sortedKeys, toFolded } from '../../src/export/folded.js';
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
    expect([...foldedChunks(new ProfileBuilder([{ type: 'samples', unit: 'count' }]).build())]).toEqual([]);
  });

  it('writes the same text as UTF-8 in chunks of about 1 MiB, lines whole, merged paths summed once', () => {
    const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
    // 40,000 distinct stacks with multi-byte names (~1.9 MB of text), each added twice under two thread labels.
    for (let i = 0; i < 40_000; i++) {
      for (const tid of [1, 2]) b.add([{ name: 'séance' }, { name: `fn_\u00e9${i}_${'x'.repeat(20)}` }, { name: '\u{1F600}' }], [1 + (i % 3)], { tid });
    }
    const p = b.build();
    const chunks = [...foldedChunks(p)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1 << 20);
    for (const c of chunks) expect(c.at(-1)).toBe(0x0a);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(toFolded(p));
    expect(text.split('\n')).toHaveLength(40_001);
    expect(text).toContain(`séance;fn_\u00e91_${'x'.repeat(20)};\u{1F600} 4\n`);
  });
});
