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

// Lines are read by character positions in the text they came in (a chunk of the file, or the line itself): a
// million lines made a million line strings, trimmed copies, count strings, arrays of names and Frame objects.

// What scanLine found: the stack is `text.slice(start, stackEnd)`, the counts the first `columns` of `counts`.
interface Scanned {
  text: string;
  start: number;
  stackEnd: number;
  columns: number;
  counts: number[];
}

/** parseFoldedLine over `text.slice(start, end)`, by position: the same grammar. False when the line does not follow it. */
function scanLine(text: string, start: number, end: number, out: Scanned): boolean {
  // The common line ends in a digit, which trimEnd would keep; otherwise the line is trimmed as a string.
  const last = end > start ? text.charCodeAt(end - 1) : 0;
  if (!(last >= 0x30 && last <= 0x39)) {
    text = text.slice(start, end).trimEnd();
    start = 0;
    end = text.length;
  }
  const space = text.lastIndexOf(' ', end - 1);
  if (space <= start || !isCount(text, space + 1, end)) return false;
  out.text = text;
  out.start = start;
  const prev = text.lastIndexOf(' ', space - 1);
  if (prev > start && isCount(text, prev + 1, space) && !blank(text, start, prev)) {
    out.stackEnd = prev;
    out.columns = 2;
    out.counts[0] = countAt(text, prev + 1, space);
    out.counts[1] = countAt(text, space + 1, end);
    return true;
  }
  if (blank(text, start, space)) return false;
  out.stackEnd = space;
  out.columns = 1;
  out.counts[0] = countAt(text, space + 1, end);
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

// Whether s.slice(start, end).trim() is empty.
function blank(s: string, start: number, end: number): boolean {
  if (end <= start) return true;
  const first = s.charCodeAt(start);
  if (first > 0x20 && first < 0x7f) return false;
  return s.slice(start, end).trim() === '';
}

class FoldedReader {
  private builder: ProfileBuilder | undefined;
  private columns = 0;
  private lineNo = 0;
  private readonly scanned: Scanned = { text: '', start: 0, stackEnd: 0, columns: 0, counts: [0, 0] };
  private readonly counts: number[] = [];
  // The previous stack and its frame ids: sorted folded files repeat most of each stack's frames on the next
  // line, and frames up to the last `;` both share are not looked up again.
  private prevText = '';
  private prevStart = 0;
  private prevEnd = 0;
  private readonly ids: number[] = [];

  constructor(private readonly ctx: ParseContext) {}

  /** One line: `text.slice(start, end)`, without its line terminator. */
  line(text: string, start: number, end: number): void {
    const lineNo = ++this.lineNo;
    const first = text.charCodeAt(start);
    if (!(first > 0x20 && first < 0x7f) && text.slice(start, end).trim() === '') return;
    const line = this.scanned;
    if (!scanLine(text, start, end, line)) {
      this.ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected \`frame;frame;... count\`, got \`${text.slice(start, end)}\`` });
      return;
    }
    // Counts past 2^53 cannot be added exactly (99999999999999999999 would read as 100000000000000000000).
    if (line.counts[0]! > Number.MAX_SAFE_INTEGER || (line.columns === 2 && line.counts[1]! > Number.MAX_SAFE_INTEGER)) {
      throw new ParseError(this.ctx.file, lineNo, `counts up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`, text.slice(start, end));
    }
    if (!this.builder) {
      this.columns = line.columns;
      this.builder = new ProfileBuilder(this.columns === 2 ? DIFFERENTIAL : SINGLE, this.columns - 1);
    } else if (line.columns !== this.columns) {
      this.ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected ${this.columns} count column(s) like the first line, got \`${text.slice(start, end)}\`` });
      return;
    }
    const builder = this.builder;
    for (let c = 0; c < this.columns; c++) this.counts[c] = line.counts[c]!;
    const s = line.text;
    const from = line.start;
    const stackEnd = line.stackEnd;
    // Frames shared with the previous stack: those before the last `;` where the texts still agree.
    const prev = this.prevText;
    const offset = this.prevStart - from;
    const limit = Math.min(stackEnd, this.prevEnd - offset);
    let depth = 0;
    let name = from;
    for (let i = from; i < limit; i++) {
      const c = s.charCodeAt(i);
      if (c !== prev.charCodeAt(i + offset)) break;
      if (c === 0x3b) {
        depth++;
        name = i + 1;
      }
    }
    // The builder interns by name: a name seen before costs one lookup and makes no string.
    const ids = this.ids;
    for (;;) {
      const semi = s.indexOf(';', name);
      const nameEnd = semi < 0 || semi > stackEnd ? stackEnd : semi;
      ids[depth++] = builder.frameIdByName(s, name, nameEnd, frameFor);
      if (nameEnd === stackEnd) break;
      name = nameEnd + 1;
    }
    builder.addStack(ids, this.counts, undefined, depth);
    this.prevText = s;
    this.prevStart = from;
    this.prevEnd = stackEnd;
  }

  result(): ParseResult {
    return { format: 'folded', profile: (this.builder ?? new ProfileBuilder(SINGLE)).build() };
  }
}

async function parse(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const reader = new FoldedReader(ctx);
  for await (const line of lines) reader.line(line, 0, line.length);
  return reader.result();
}

// Lines as the input reader's splitLines gives them (CRLF tolerated), read in place in each chunk.
async function parseText(chunks: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const reader = new FoldedReader(ctx);
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest === '' ? chunk : rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      reader.line(text, start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') reader.line(rest, 0, rest.endsWith('\r') ? rest.length - 1 : rest.length);
  return reader.result();
}

export const foldedParser: TextParser = { format: 'folded', detect, parse, parseText };
