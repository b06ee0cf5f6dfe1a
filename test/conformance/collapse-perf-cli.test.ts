// The user's path: every conformance case and every perf script fixture through the built binary,
// `netprobe convert <input> --format folded [--pid|--tid|--kernel|--jit|--all|--addrs]`, with no format named, so
// format detection, gzip and the streaming reader run as they do for users. The folded text must be what the
// parser gives directly (collapse-perf.test.ts and test/parse/perf-script.test.ts pin that) and, where a reference
// result stands for the whole input, that result.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { toFolded } from '../../src/export/folded.js';
import { perfScriptParser } from '../../src/parse/perf-script.js';
import type { CollapseOptions } from '../../src/parse/types.js';
import { CONFORMANCE, conformanceAvailable, fixture, ROOT, runCli } from '../helpers.js';
import { comparable, conformanceCases, expectedFolded, readInputText } from './cases.js';

async function parsedDirectly(path: string, collapse: CollapseOptions): Promise<string> {
  const lines = (async function* () {
    yield* readInputText(path).split('\n');
  })();
  const result = await perfScriptParser.parse(lines, { file: path, options: { collapse }, warn: () => {} });
  return toFolded(result.profile!);
}

const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
if (!built) console.warn('SKIP: dist/ is missing; run `npm run build` (npm test does) to run the CLI conformance tests');
const available = conformanceAvailable();

describe.skipIf(!built || !available).concurrent(
  built ? 'netprobe convert --format folded on the conformance cases' : 'netprobe convert on the conformance cases: SKIPPED, dist/ not built',
  () => {
    for (const c of available ? conformanceCases() : []) {
      if (readInputText(c.input) === '') {
        // An empty file has no format to detect: the reader refuses it (src/run/input.ts) instead of printing the
        // empty result, with one line and exit code 2.
        it(`${c.name}: an empty input is refused, not folded to nothing`, async ({ expect }) => {
          const r = await runCli(['convert', c.input, '--format', 'folded', ...c.flags]);
          expect(readFileSync(c.expected, 'utf8')).toBe('');
          expect(r.exitCode).toBe(2);
          expect(r.stdout).toBe('');
          expect(r.stderr.startsWith(`netprobe: ${c.input}:1: expected `)).toBe(true);
          expect(r.stderr).toMatch(/got `<empty file>`\n$/);
        });
        continue;
      }
      it(`${c.name}${c.flags.length > 0 ? ` (${c.flags.join(' ')})` : ''}`, async ({ expect }) => {
        const r = await runCli(['convert', c.input, '--format', 'folded', ...c.flags]);
        expect(r.stderr).toBe('');
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toBe(await parsedDirectly(c.input, c.collapse));
        const expected = expectedFolded(c);
        if (expected !== undefined) expect(comparable(c, r.stdout)).toBe(expected);
      });
    }

    it('perf-java-stacks-02.txt (`java 19983 cycles:` headers, flush-left frames) on stdin', async ({ expect }) => {
      const input = `${CONFORMANCE}/flamegraph-perf/perf-java-stacks-02.txt`;
      const r = await runCli(['convert', '-', '--format', 'folded', '--pid'], { input: readFileSync(input) });
      expect(r.stderr).toBe('');
      const expected = readFileSync(`${CONFORMANCE}/flamegraph-perf/results/perf-java-stacks-02-collapsed-pid.txt`, 'utf8');
      expect(r.stdout.replace(/["']/g, '')).toBe(expected.replace(/["']/g, ''));
    });
  },
);

describe.skipIf(!built).concurrent('netprobe convert --format folded on the perf script fixtures', () => {
  for (const file of readdirSync(fixture('perf')).filter((f) => f.endsWith('.txt')).sort()) {
    const perl = fixture('folded', file.replace(/\.txt$/, '.folded'));
    const withPerl = existsSync(perl);
    it(`${file}${withPerl ? ' (equals stackcollapse-perf.pl output)' : ''}`, async ({ expect }) => {
      const input = fixture('perf', file);
      const r = await runCli(['convert', input, '--format', 'folded']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(await parsedDirectly(input, {}));
      if (withPerl) expect(r.stdout).toBe(readFileSync(perl, 'utf8'));
    });
  }
});
