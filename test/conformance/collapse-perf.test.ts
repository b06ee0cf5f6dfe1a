// stackcollapse-perf.pl conformance: every case of ../shared/conformance/{flamegraph-perf,inferno-perf} through the
// perf script parser and the folded exporter (docs: ../shared/conformance/README.md).
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { toFolded } from '../../src/export/folded.js';
import { perfScriptParser } from '../../src/parse/perf-script.js';
import type { CollapseOptions, ParseWarning } from '../../src/parse/types.js';
import { BIN, CONFORMANCE, conformanceAvailable, runCli } from '../helpers.js';

interface Case {
  name: string;
  input: string;
  expected: string;
  option?: string;
  /** The upstream results were made by a collapser that dropped quotes: compare without them. */
  stripQuotes: boolean;
}

// Cases where the two reference suites disagree and we follow stackcollapse-perf.pl: inferno also records a
// last sample that no blank line ends; the Perl script (and so the flamegraph-perf results) drops it.
const PERL_DIFFERS = new Set(['go-stacks-collapsed.txt', 'java-inline-collapsed.txt', 'single-event-collapsed.txt', 'versioned-vmlinux-collapsed-kernel.txt']);

function cases(): Case[] {
  const out: Case[] = [];
  const fg = `${CONFORMANCE}/flamegraph-perf`;
  for (const f of readdirSync(`${fg}/results`).sort()) {
    const m = /^(.*)-collapsed-(\w+)\.txt$/.exec(f)!;
    // Rust symbols: the inferno-perf results (with demangling fixes) are the reference for this input.
    if (m[1]!.startsWith('perf-rust')) continue;
    out.push({ name: `flamegraph-perf/${f}`, input: `${fg}/${m[1]}.txt`, expected: `${fg}/results/${f}`, option: m[2], stripQuotes: true });
  }
  const inf = `${CONFORMANCE}/inferno-perf`;
  for (const f of readdirSync(`${inf}/results`).sort()) {
    const m = /^(.*)-collapsed(?:-(\w+))?\.txt$/.exec(f)!;
    const candidates = [`${inf}/${m[1]}.txt`, `${inf}/${m[1]}.txt.gz`, `${fg}/${m[1]}.txt`];
    out.push({ name: `inferno-perf/${f}`, input: candidates.find((c) => existsSync(c))!, expected: `${inf}/results/${f}`, option: m[2], stripQuotes: false });
  }
  return out;
}

function collapseOptions(option: string | undefined): CollapseOptions {
  if (option === undefined) return {};
  if (option === 'all') return { kernel: true, jit: true };
  return { [option]: true };
}

async function collapse(path: string, collapse: CollapseOptions) {
  let stream: NodeJS.ReadableStream = createReadStream(path);
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const result = await perfScriptParser.parse(lines, { file: path, options: { collapse }, warn: (w) => warnings.push(w) });
  return { folded: toFolded(result.profile!), warnings };
}

const available = conformanceAvailable();

describe.skipIf(!available)('stackcollapse-perf conformance', () => {
  const all = available ? cases() : [];

  it('has the 87 documented cases', () => {
    expect(all.length).toBe(87);
  });

  for (const c of all) {
    const differs = PERL_DIFFERS.has(c.name.split('/')[1]!);
    it(`${c.name}${differs ? ' (Perl behaviour: unterminated last sample dropped)' : ''}`, async () => {
      const { folded } = await collapse(c.input, collapseOptions(c.option));
      const strip = (s: string) => (c.stripQuotes ? s.replace(/["']/g, '') : s);
      const expected = strip(readFileSync(c.expected, 'utf8'));
      if (differs) {
        // Same output minus the one sample inferno keeps at end of input.
        const got = strip(folded).split('\n');
        const missing = expected.split('\n').filter((l) => !got.includes(l));
        expect(missing.length).toBe(1);
      } else {
        expect(strip(folded)).toBe(expected);
      }
    });
  }

  it('no-events.txt gives empty output', async () => {
    expect((await collapse(`${CONFORMANCE}/inferno-perf/no-events.txt`, {})).folded).toBe('');
  });

  it('empty-line.txt warns once about the stray frame line and still folds', async () => {
    const { folded, warnings } = await collapse(`${CONFORMANCE}/inferno-perf/empty-line.txt`, {});
    expect(warnings.map((w) => w.kind)).toEqual(['weird-event-line']);
    expect(folded).toBe('inline-counter 250000\ninline-counter;main 250000\n');
  });

  it('weird-stack-line.txt warns once and still folds', async () => {
    const { folded, warnings } = await collapse(`${CONFORMANCE}/inferno-perf/weird-stack-line.txt`, {});
    expect(warnings.map((w) => w.kind)).toEqual(['weird-stack-line']);
    expect(folded).toBe('inline-counter;main 250000\n');
  });

  // readInput detects the format itself and gunzips; these inputs are larger than its 64 KiB sniff window.
  it('through readInput: detection and gzip', async () => {
    const gz = await readInput(`${CONFORMANCE}/inferno-perf/example-perf-stacks.txt.gz`);
    expect(gz.format).toBe('perf-script');
    expect(toFolded(gz.profile!)).toBe(readFileSync(`${CONFORMANCE}/inferno-perf/results/example-perf-stacks-collapsed.txt`, 'utf8'));
    const vertx = await readInput(`${CONFORMANCE}/flamegraph-perf/perf-vertx-stacks-01.txt`, { collapse: { kernel: true, jit: true } });
    const expected = readFileSync(`${CONFORMANCE}/flamegraph-perf/results/perf-vertx-stacks-01-collapsed-all.txt`, 'utf8');
    expect(toFolded(vertx.profile!).replace(/["']/g, '')).toBe(expected.replace(/["']/g, ''));
  });

  // CLI level: needs the built binary (npm test builds it) and the convert command.
  it.skipIf(!existsSync(BIN) || !statSync(BIN).isFile())('netprobe convert --format folded --all', async () => {
    const input = `${CONFORMANCE}/flamegraph-perf/perf-vertx-stacks-01.txt`;
    const r = await runCli(['convert', input, '--format', 'folded', '--all']);
    expect(r.stderr).toMatch(/^warning: .*perf-vertx-stacks-01\.txt:9985: last sample is not followed by a blank line/);
    expect(r.exitCode).toBe(0);
    const expected = readFileSync(`${CONFORMANCE}/flamegraph-perf/results/perf-vertx-stacks-01-collapsed-all.txt`, 'utf8');
    expect(r.stdout.replace(/["']/g, '')).toBe(expected.replace(/["']/g, ''));
  });
});
