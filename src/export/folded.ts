// Profile -> folded stacks (`root;...;leaf count`), one line per distinct stack, sorted as stackcollapse-perf.pl
// sorts them (byte order of the UTF-8 text, i.e. code point order).
// Reference: https://github.com/brendangregg/FlameGraph/blob/41fee1f99f9276008b7cd112fca19dc3ea84ac32/stackcollapse-perf.pl
import type { Profile } from '../model/profile.js';
import { utf8Chunks } from './chunks.js';

/** Sums one sample type per distinct frame-name path; stacks that differ only in labels or addresses merge. */
export function foldedStacks(profile: Profile, typeIndex = profile.defaultSampleType): Map<string, number> {
  const out = new Map<string, number>();
  for (const [path, value] of stackPaths(profile, typeIndex)) out.set(path, (out.get(path) ?? 0) + value);
  return out;
}

/**
 * Folded lines (without newline) in output order. Each stack's path is made once and the stacks sorted by it;
 * equal paths (stacks that differ only in labels or addresses) are then neighbours and merge as they are
 * written, summed in stack order as foldedStacks sums them (the sort is stable). No map of every path: for a
 * million distinct stacks that map was 100 MB more than the paths themselves.
 */
export function* foldedLines(profile: Profile, typeIndex = profile.defaultSampleType): Generator<string> {
  const paths: string[] = [];
  const values: number[] = [];
  for (const [path, value] of stackPaths(profile, typeIndex)) {
    paths.push(path);
    values.push(value);
  }
  const compare = byteOrder(paths);
  const order = Array.from(paths.keys()).sort((a, b) => compare(paths[a]!, paths[b]!));
  for (let i = 0; i < order.length; ) {
    const path = paths[order[i]!]!;
    let sum = 0;
    for (; i < order.length && paths[order[i]!] === path; i++) sum += values[order[i]!]!;
    yield `${path} ${formatCount(sum)}`;
  }
}

/** Each stack with a value and a frame, in stack order: its frame-name path and its value of one sample type. */
function* stackPaths(profile: Profile, typeIndex: number): Generator<[string, number]> {
  const names = profile.frames.map((f) => f.name);
  const { frameIds } = profile.stacks;
  // join() makes one flat string per path; `+=` made a rope of a node per frame, flattened again when hashed.
  const parts: string[] = [];
  for (let s = 0; s < profile.stacks.count; s++) {
    const value = profile.stacks.value(s, typeIndex);
    const start = profile.stacks.start(s);
    const end = profile.stacks.end(s);
    if (value === 0 || end === start) continue;
    parts.length = end - start;
    for (let i = start; i < end; i++) parts[i - start] = names[frameIds[i]!]!;
    yield [parts.join(';'), value];
  }
}

/** The whole folded text as UTF-8, newline-terminated, in chunks made as they are written (export/chunks.ts). */
export function foldedChunks(profile: Profile, typeIndex = profile.defaultSampleType): Generator<Uint8Array> {
  return utf8Chunks(withNewlines(foldedLines(profile, typeIndex)));
}

function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) yield `${line}\n`;
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
  return keys.sort(byteOrder(keys));
}

/** A comparison of these strings in UTF-8 byte order. */
function byteOrder(strings: readonly string[]): (a: string, b: string) => number {
  // JS compares UTF-16 code units, which matches byte order except when surrogates meet U+E000..U+FFFF.
  const awkward = strings.some((k) => /[\uD800-\uFFFF]/.test(k));
  return awkward ? compareCodePoints : (a, b) => (a < b ? -1 : a > b ? 1 : 0);
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
