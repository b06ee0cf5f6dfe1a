// StringKeyedIds: a string-keyed index over strings the caller holds, which must find exactly what a Map would.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rangeHash, StringKeyedIds, stringHash } from '../../src/model/string-ids.js';

describe('StringKeyedIds', () => {
  it('finds ids like a Map from the same strings, by string and by range of a longer text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', 'a', 'ünï', '😀', 'x;y')), { maxLength: 3000 }), (words) => {
        const keys: string[] = [];
        const ids = new StringKeyedIds((id) => keys[id]!);
        const map = new Map<string, number>();
        for (const w of words) {
          const found = ids.get(w);
          expect(found).toBe(map.get(w) ?? -1);
          const text = `<${w}>`;
          expect(ids.getRange(text, 1, text.length - 1, rangeHash(text, 1, text.length - 1))).toBe(found);
          if (found < 0) {
            map.set(w, keys.length);
            keys.push(w);
            ids.add(keys.length - 1);
          }
        }
        expect(ids.size).toBe(map.size);
      }),
      { seed: 20261129, numRuns: 50 },
    );
  });

  it('holds ids in any order, many of them (growing past its first table)', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `fn_${i}`);
    const ids = new StringKeyedIds((id) => keys[id]!);
    for (let i = keys.length - 1; i >= 0; i -= 2) ids.add(i);
    for (let i = 0; i < keys.length; i++) expect(ids.get(keys[i]!)).toBe(i % 2 === 1 ? i : -1);
  });

  it('rangeHash of a range is stringHash of that slice', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), fc.nat(), (s, a, b) => {
        const [start, end] = [Math.min(a, b) % (s.length + 1), Math.max(a, b) % (s.length + 1)].sort((x, y) => x - y) as [number, number];
        expect(rangeHash(s, start, end)).toBe(stringHash(s.slice(start, end)));
      }),
      { seed: 20261129, numRuns: 200 },
    );
  });
});
