// Folded stacks -> profile: `root;...;leaf count` per line (FlameGraph's interchange format, docs/FORMATS.md §5).
//
// Produced by: `stackcollapse-perf.pl out.perf > out.folded`, `netprobe convert x --format folded`, bcc `profile -f`.
// Reference: flamegraph.pl's line grammar
// https://github.com/brendangregg/FlameGraph/blob/41fee1f99f9276008b7cd112fca19dc3ea84ac32/flamegraph.pl
// (counts may be fractional, `\d+(?:\.\d*)?`; a second count column makes a differential file).
//
//   dd;write;system_call_[k];sys_write_[k] 12        -> one stack of 4 frames, samples=12
//   dd;[unknown];read 14 13                          -> differential: before=14, after=13
//
// A single-column file has one sample type, `samples/count`. A differential file has two, `before/count` and
// `after/count`, and shows `after` by default (flamegraph.pl sizes frames by the second column too).
// Frame names are kept verbatim so folded -> profile -> folded is the identity on sorted, aggregated input;
// `_[k]`, `_[j]`, `_[i]` suffixes (stackcollapse annotations) set the frame kind or the inlined flag.
import { ParseError } from '../model/errors.js';
import { ProfileBuilder, type Frame, type SampleType } from '../model/profile.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

const COUNT = /^\d+(?:\.\d*)?$/;
const SINGLE: readonly SampleType[] = [{ type: 'samples', unit: 'count' }];
const DIFFERENTIAL: readonly SampleType[] = [
  { type: 'before', unit: 'count' },
  { type: 'after', unit: 'count' },
];

interface FoldedLine {
  stack: string;
  counts: number[];
}

/**
 * Splits `stack count [count]`; null when the line does not follow the grammar. Only the one space before a count
 * is a separator, as in flamegraph.pl (`^(.*)\s+?(\d+...)$`): the collapser's names may end in a space
 * (`Proxy<int ` from `Proxy<int (Parser::*)()>::Raw`), and a leaf frame must keep it.
 */
export function parseFoldedLine(line: string): FoldedLine | null {
  const s = line.trimEnd();
  const last = s.lastIndexOf(' ');
  if (last <= 0 || !COUNT.test(s.slice(last + 1))) return null;
  const count = Number(s.slice(last + 1));
  const rest = s.slice(0, last);
  const prev = rest.lastIndexOf(' ');
  if (prev > 0 && COUNT.test(rest.slice(prev + 1))) {
    const stack = rest.slice(0, prev);
    if (stack.trim() !== '') return { stack, counts: [Number(rest.slice(prev + 1)), count] };
  }
  return rest.trim() === '' ? null : { stack: rest, counts: [count] };
}

function frameFor(name: string): Frame {
  if (name.endsWith('_[k]')) return { name, kind: 'kernel' };
  if (name.endsWith('_[j]')) return { name, kind: 'jit' };
  if (name.endsWith('_[i]')) return { name, inlined: true };
  return { name };
}

// A strace -c table's divider or column titles: a table whose rows were reordered is still no stack list.
const STRACE_TABLE_LINE = /^-{6,}( +-{4,})+\s*$|^\s*(% time|syscall|calls)\s{2,}\S/;

function detect(head: readonly string[]): boolean {
  let total = 0;
  let matching = 0;
  for (const line of head) {
    if (line.trim() === '') continue;
    if (STRACE_TABLE_LINE.test(line)) return false;
    total++;
    const parsed = parseFoldedLine(line);
    // `name(...) = 3` is a strace line and `@x[...]: 3` a bpftrace map entry, never a stack.
    if (parsed && !/[=:]$/.test(parsed.stack)) matching++;
  }
  return total > 0 && matching >= Math.max(1, total * 0.8);
}

// What scanLine found: the stack is `text.slice(0, stackEnd)`, the counts the first `columns` of `counts`.
interface Scanned {
  text: string;
  stackEnd: number;
  columns: number;
  counts: number[];
}

/**
 * parseFoldedLine without the strings and arrays it makes (a million lines made a million of each): the same
 * grammar, read by character positions. False when the line does not follow it.
 */
function scanLine(line: string, out: Scanned): boolean {
  // The common line ends in a digit, which trimEnd would keep.
  const last = line.length > 0 ? line.charCodeAt(line.length - 1) : 0;
  const s = last >= 0x30 && last <= 0x39 ? line : line.trimEnd();
  const space = s.lastIndexOf(' ');
  if (space <= 0 || !isCount(s, space + 1, s.length)) return false;
  out.text = s;
  const prev = s.lastIndexOf(' ', space - 1);
  if (prev > 0 && isCount(s, prev + 1, space) && !blank(s, prev)) {
    out.stackEnd = prev;
    out.columns = 2;
    out.counts[0] = countAt(s, prev + 1, space);
    out.counts[1] = countAt(s, space + 1, s.length);
    return true;
  }
  if (blank(s, space)) return false;
  out.stackEnd = space;
  out.columns = 1;
  out.counts[0] = countAt(s, space + 1, s.length);
  return true;
}

// COUNT (`\d+(?:\.\d*)?`, ASCII digits) over s[start, end).
function isCount(s: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i === start) return false;
  if (i === end) return true;
  if (s.charCodeAt(i) !== 0x2e) return false;
  for (i++; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

// Number(s.slice(start, end)) for a COUNT; up to 15 digits without a fraction are summed without the string.
function countAt(s: string, start: number, end: number): number {
  if (end - start > 15) return Number(s.slice(start, end));
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) return Number(s.slice(start, end));
    n = n * 10 + (c - 0x30);
  }
  return n;
}

// Whether s.slice(0, end).trim() is empty.
function blank(s: string, end: number): boolean {
  const first = s.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return s.slice(0, end).trim() === '';
}

async function parse(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  let builder: ProfileBuilder | undefined;
  let columns = 0;
  let lineNo = 0;
  const line: Scanned = { text: '', stackEnd: 0, columns: 0, counts: [0, 0] };
  const counts: number[] = [];
  // The previous stack and its frame ids: sorted folded files repeat most of each stack's frames on the next line,
  // and frames up to the last `;` both share are not looked up again.
  let prevText = '';
  let prevEnd = -1;
  const ids: number[] = [];
  let depth = 0;
  for await (const text of lines) {
    lineNo++;
    const first = text.charCodeAt(0);
    if (!(first > 0x20 && first < 0x7f) && text.trim() === '') continue;
    if (!scanLine(text, line)) {
      ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected \`frame;frame;... count\`, got \`${text}\`` });
      continue;
    }
    // Counts past 2^53 cannot be added exactly (99999999999999999999 would read as 100000000000000000000).
    if (line.counts[0]! > Number.MAX_SAFE_INTEGER || (line.columns === 2 && line.counts[1]! > Number.MAX_SAFE_INTEGER)) {
      throw new ParseError(ctx.file, lineNo, `counts up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`, text);
    }
    if (!builder) {
      columns = line.columns;
      builder = new ProfileBuilder(columns === 2 ? DIFFERENTIAL : SINGLE, columns - 1);
    } else if (line.columns !== columns) {
      ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected ${columns} count column(s) like the first line, got \`${text}\`` });
      continue;
    }
    for (let c = 0; c < columns; c++) counts[c] = line.counts[c]!;
    const s = line.text;
    const end = line.stackEnd;
    // Frames shared with the previous stack: those before the last `;` where the texts still agree.
    let shared = 0;
    let start = 0;
    const limit = Math.min(end, prevEnd);
    for (let i = 0; i < limit; i++) {
      const c = s.charCodeAt(i);
      if (c !== prevText.charCodeAt(i)) break;
      if (c === 0x3b) {
        shared++;
        start = i + 1;
      }
    }
    // The builder interns by name: a name seen before costs one lookup and makes no string.
    depth = shared;
    for (;;) {
      const semi = s.indexOf(';', start);
      const nameEnd = semi < 0 || semi > end ? end : semi;
      ids[depth++] = builder.frameIdByName(s, start, nameEnd, frameFor);
      if (nameEnd === end) break;
      start = nameEnd + 1;
    }
    builder.addStack(ids, counts, undefined, depth);
    prevText = s;
    prevEnd = end;
  }
  return { format: 'folded', profile: (builder ?? new ProfileBuilder(SINGLE)).build() };
}

export const foldedParser: TextParser = { format: 'folded', detect, parse };
