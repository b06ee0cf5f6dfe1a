// Profile -> folded stacks (`root;...;leaf count`), one line per distinct stack, sorted as stackcollapse-perf.pl
// sorts them (byte order of the UTF-8 text, i.e. code point order).
// Reference: https://github.com/brendangregg/FlameGraph/blob/41fee1f99f9276008b7cd112fca19dc3ea84ac32/stackcollapse-perf.pl
import type { Profile } from '../model/profile.js';

/** Sums one sample type per distinct frame-name path; stacks that differ only in labels or addresses merge. */
export function foldedStacks(profile: Profile, typeIndex = profile.defaultSampleType): Map<string, number> {
  const names = profile.frames.map((f) => f.name);
  const out = new Map<string, number>();
  const { frameIds } = profile.stacks;
  for (let s = 0; s < profile.stacks.count; s++) {
    const value = profile.stacks.value(s, typeIndex);
    const start = profile.stacks.start(s);
    const end = profile.stacks.end(s);
    if (value === 0 || end === start) continue;
    let key = names[frameIds[start]!]!;
    for (let i = start + 1; i < end; i++) key += `;${names[frameIds[i]!]}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

/** Folded lines (without newline) in output order. */
export function* foldedLines(profile: Profile, typeIndex = profile.defaultSampleType): Generator<string> {
  const stacks = foldedStacks(profile, typeIndex);
  for (const key of sortedKeys(stacks)) yield `${key} ${formatCount(stacks.get(key)!)}`;
}

/** The whole folded text, newline-terminated (empty for an empty profile). */
export function toFolded(profile: Profile, typeIndex = profile.defaultSampleType): string {
  let out = '';
  for (const line of foldedLines(profile, typeIndex)) out += `${line}\n`;
  return out;
}

/** Keys in UTF-8 byte order, which is what Perl's `cmp` and Rust's `sort` give. */
export function sortedKeys(map: Map<string, unknown>): string[] {
  const keys = [...map.keys()];
  // JS compares UTF-16 code units, which matches byte order except when surrogates meet U+E000..U+FFFF.
  const awkward = keys.some((k) => /[\uD800-\uFFFF]/.test(k));
  return keys.sort(awkward ? compareCodePoints : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral characters) sort after the rest of the BMP in code point order.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

// Integers print without exponent however large; fractions print as JavaScript writes them.
function formatCount(n: number): string {
  return Number.isInteger(n) && Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(n);
}
