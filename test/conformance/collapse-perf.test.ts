// stackcollapse-perf.pl conformance: every case of ../shared/conformance/{flamegraph-perf,inferno-perf} through the
// perf script parser and the folded exporter (docs: ../shared/conformance/README.md). The same cases through
// format detection and the built binary: collapse-perf-cli.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toFolded } from '../../src/export/folded.js';
import { profileTotal } from '../../src/model/profile.js';
import { perfScriptParser } from '../../src/parse/perf-script.js';
import type { CollapseOptions, ParseWarning } from '../../src/parse/types.js';
import { CONFORMANCE, conformanceAvailable } from '../helpers.js';
import { comparable, conformanceCases, expectedFolded, NESTED_PARENS_LINE, readInputText } from './cases.js';

async function collapse(text: string, collapse: CollapseOptions) {
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const lines = (async function* () {
    yield* text.split('\n');
  })();
  const result = await perfScriptParser.parse(lines, { file: 'test', options: { collapse }, warn: (w) => warnings.push(w) });
  return { folded: toFolded(result.profile!), samples: profileTotal(result.profile!, 0), warnings };
}

const available = conformanceAvailable();

describe.skipIf(!available)('stackcollapse-perf conformance', () => {
  const all = available ? conformanceCases() : [];

  it('has the 87 documented cases: 36 end without a blank line, 1 where inferno keeps nested parentheses', () => {
    expect(all.length).toBe(87);
    expect(all.filter((c) => c.divergence === 'unterminated').length).toBe(36);
    expect(all.filter((c) => c.divergence === 'nested-parens').map((c) => c.name)).toEqual(['inferno-perf/cpp-stacks-std-function-collapsed.txt']);
  });

  for (const c of all) {
    if (c.divergence === 'unterminated') {
      it(`${c.name} (input without a final blank line: the Perl result lacks the last sample, netprobe keeps it)`, async () => {
        const text = readInputText(c.input);
        const cut = text.slice(0, text.lastIndexOf('\n\n') + 2);
        const before = await collapse(cut, c.collapse);
        expect(comparable(c, before.folded)).toBe(comparable(c, readFileSync(c.expected, 'utf8')));
        const whole = await collapse(text, c.collapse);
        expect(whole.samples).toBe(before.samples + 1);
        expect(whole.warnings).toEqual([]);
      });
    } else {
      it(`${c.name}${c.divergence === 'nested-parens' ? ' (cut at the first `(` as stackcollapse-perf.pl does; inferno keeps `(` nested in `<>`)' : ''}`, async () => {
        const { folded } = await collapse(readInputText(c.input), c.collapse);
        if (c.divergence === 'nested-parens') expect(readFileSync(c.expected, 'utf8')).toContain(NESTED_PARENS_LINE.inferno);
        expect(comparable(c, folded)).toBe(expectedFolded(c));
      });
    }
  }

  it('no-events.txt gives empty output', async () => {
    expect((await collapse(readInputText(`${CONFORMANCE}/inferno-perf/no-events.txt`), {})).folded).toBe('');
  });

  it('empty-line.txt warns once about the stray frame line and still folds', async () => {
    const { folded, warnings } = await collapse(readInputText(`${CONFORMANCE}/inferno-perf/empty-line.txt`), {});
    expect(warnings.map((w) => w.kind)).toEqual(['weird-event-line']);
    expect(folded).toBe('inline-counter 250000\ninline-counter;main 250000\n');
  });

  it('weird-stack-line.txt warns once and still folds', async () => {
    const { folded, warnings } = await collapse(readInputText(`${CONFORMANCE}/inferno-perf/weird-stack-line.txt`), {});
    expect(warnings.map((w) => w.kind)).toEqual(['weird-stack-line']);
    // The last sample's only line is the weird one, so it counts for the process alone (as an empty callchain does).
    expect(folded).toBe('inline-counter 250000\ninline-counter;main 250000\n');
  });
});
