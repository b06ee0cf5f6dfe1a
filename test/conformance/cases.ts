// The stackcollapse-perf conformance cases of ../shared/conformance (see its README) and the two places where
// the reference suites disagree with each other, so that netprobe can match only one of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { CollapseOptions } from '../../src/parse/types.js';
import { CONFORMANCE } from '../helpers.js';

export interface Case {
  /** `<suite>/<result file>`. */
  name: string;
  input: string;
  expected: string;
  /** The collapser option of the result file, if any (`pid`, `tid`, `kernel`, `jit`, `all`, `addrs`). */
  option?: string;
  collapse: CollapseOptions;
  /** The same option as `netprobe convert` flags. */
  flags: string[];
  /** The upstream flamegraph-perf results were made by a collapser that dropped quotes: compare without them. */
  stripQuotes: boolean;
  divergence?: Divergence;
}

/**
 * - `unterminated`: the input's last sample has no blank line after it. stackcollapse-perf.pl, which made the
 *   flamegraph-perf results, drops that sample; netprobe keeps it (as inferno does), so it must match the
 *   result on the input cut after its last blank line and count exactly one sample more on the whole input.
 * - `nested-parens`: inferno keeps parentheses nested in `<>` (`std::function<int (int, int)>::operator`);
 *   netprobe cuts at the first `(` as stackcollapse-perf.pl does, which changes one line of this result.
 */
export type Divergence = 'unterminated' | 'nested-parens';

/** inferno's line of cpp-stacks-std-function and what stackcollapse-perf.pl (and netprobe) print instead. */
export const NESTED_PARENS_LINE = {
  inferno: 'main;std::function<int (int, int)>::operator;std::_Function_handler<int (int, int), main::{lambda(int, int)#1}>::_M_invoke 3306084',
  perl: 'main;std::function<int ;std::_Function_handler<int  3306084',
};

export function conformanceCases(): Case[] {
  const out: Case[] = [];
  const fg = `${CONFORMANCE}/flamegraph-perf`;
  for (const f of readdirSync(`${fg}/results`).sort()) {
    const m = /^(.*)-collapsed-(\w+)\.txt$/.exec(f)!;
    // Rust symbols: the inferno-perf results (with demangling fixes) are the reference for this input.
    if (m[1]!.startsWith('perf-rust')) continue;
    const input = `${fg}/${m[1]}.txt`;
    out.push({
      ...withOption(m[2]),
      name: `flamegraph-perf/${f}`,
      input,
      expected: `${fg}/results/${f}`,
      stripQuotes: true,
      divergence: endsWithBlankLine(readInputText(input)) ? undefined : 'unterminated',
    });
  }
  const inf = `${CONFORMANCE}/inferno-perf`;
  for (const f of readdirSync(`${inf}/results`).sort()) {
    const m = /^(.*)-collapsed(?:-(\w+))?\.txt$/.exec(f)!;
    const candidates = [`${inf}/${m[1]}.txt`, `${inf}/${m[1]}.txt.gz`, `${fg}/${m[1]}.txt`];
    out.push({
      ...withOption(m[2]),
      name: `inferno-perf/${f}`,
      input: candidates.find((c) => existsSync(c))!,
      expected: `${inf}/results/${f}`,
      stripQuotes: false,
      divergence: f === 'cpp-stacks-std-function-collapsed.txt' ? 'nested-parens' : undefined,
    });
  }
  return out;
}

function withOption(option: string | undefined): Pick<Case, 'option' | 'collapse' | 'flags'> {
  if (option === undefined) return { collapse: {}, flags: [] };
  const collapse = option === 'all' ? { kernel: true, jit: true } : { [option]: true };
  return { option, collapse, flags: [`--${option}`] };
}

/** An input's text (gunzipped). */
export function readInputText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

function endsWithBlankLine(text: string): boolean {
  return /\n[ \t]*\n$/.test(text);
}

/** The expected folded text as compared: quotes dropped where the upstream results had them. */
export function comparable(c: Case, folded: string): string {
  return c.stripQuotes ? folded.replace(/["']/g, '') : folded;
}

/**
 * What netprobe must print for a case's whole input: the result file, except for the `nested-parens` line.
 * Undefined for `unterminated` cases, whose result file stands for the input without its last sample.
 */
export function expectedFolded(c: Case): string | undefined {
  if (c.divergence === 'unterminated') return undefined;
  const expected = comparable(c, readFileSync(c.expected, 'utf8'));
  if (c.divergence === 'nested-parens') return expected.replace(NESTED_PARENS_LINE.inferno, NESTED_PARENS_LINE.perl);
  return expected;
}
