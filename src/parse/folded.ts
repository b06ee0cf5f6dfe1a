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

async function parse(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  let builder: ProfileBuilder | undefined;
  let columns = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const parsed = parseFoldedLine(line);
    if (!parsed) {
      ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected \`frame;frame;... count\`, got \`${line}\`` });
      continue;
    }
    // Counts past 2^53 cannot be added exactly (99999999999999999999 would read as 100000000000000000000).
    if (parsed.counts.some((c) => c > Number.MAX_SAFE_INTEGER)) throw new ParseError(ctx.file, lineNo, `counts up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`, line);
    if (!builder) {
      columns = parsed.counts.length;
      builder = new ProfileBuilder(columns === 2 ? DIFFERENTIAL : SINGLE, columns - 1);
    } else if (parsed.counts.length !== columns) {
      ctx.warn({ kind: 'malformed-folded-line', line: lineNo, message: `expected ${columns} count column(s) like the first line, got \`${line}\`` });
      continue;
    }
    // The builder interns by name first, so a name seen before costs one lookup.
    const ids = parsed.stack.split(';').map((name) => builder!.frameId(frameFor(name)));
    builder.addStack(ids, parsed.counts);
  }
  return { format: 'folded', profile: (builder ?? new ProfileBuilder(SINGLE)).build() };
}

export const foldedParser: TextParser = { format: 'folded', detect, parse };
