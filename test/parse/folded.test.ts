import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFolded } from '../../src/export/folded.js';
import { ProfileBuilder, stackList, type Frame } from '../../src/model/profile.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import { foldedParser, parseFoldedLine } from '../../src/parse/folded.js';
import type { ParseWarning } from '../../src/parse/types.js';
import { CONFORMANCE, conformanceAvailable, fixture } from '../helpers.js';

async function parseFolded(text: string) {
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const lines = text.split('\n');
  const result = await foldedParser.parse((async function* () { yield* lines; })(), { file: 'x', options: {}, warn: (w) => warnings.push(w) });
  return { profile: result.profile!, warnings };
}

// The way the input reader feeds it: decoded chunks, cut anywhere (here every `cut` characters).
async function parseFoldedChunks(text: string, cut: number) {
  const warnings: Omit<ParseWarning, 'file'>[] = [];
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += cut) chunks.push(text.slice(at, at + cut));
  const result = await foldedParser.parseText!((async function* () { yield* chunks; })(), { file: 'x', options: {}, warn: (w) => warnings.push(w) });
  return { profile: result.profile!, warnings };
}

describe('folded parser', () => {
  for (const file of ['busy-cpu-clock.folded', 'go-cpu-clock.folded']) {
    it(`${file} (stackcollapse-perf.pl output): detected, round-trips exactly`, async () => {
      const text = readFileSync(fixture('folded', file), 'utf8');
      expect(detectTextFormat(text.split('\n'))?.format).toBe('folded');
      const { profile, warnings } = await parseFolded(text);
      expect(warnings).toEqual([]);
      expect(profile.sampleTypes).toEqual([{ type: 'samples', unit: 'count' }]);
      expect(toFolded(profile)).toBe(text);
    });
  }

  it('a two-column file (difffolded.pl output) is differential: before and after, after by default', async () => {
    const text = readFileSync(fixture('folded', 'busy-vs-go.diff.folded'), 'utf8');
    expect(detectTextFormat(text.split('\n'))?.format).toBe('folded');
    const { profile } = await parseFolded(text);
    expect(profile.sampleTypes.map((t) => t.type)).toEqual(['before', 'after']);
    expect(profile.defaultSampleType).toBe(1);
    expect(toFolded(profile, 0)).toBe(readFileSync(fixture('folded', 'busy-cpu-clock.folded'), 'utf8'));
    expect(toFolded(profile, 1)).toBe(readFileSync(fixture('folded', 'go-cpu-clock.folded'), 'utf8'));
  });

  it('reads fractional counts and annotation suffixes', async () => {
    const { profile } = await parseFolded('a;b_[k];c_[j] 1.5\na;b_[k] 2.\n');
    expect(toFolded(profile)).toBe('a;b_[k] 2\na;b_[k];c_[j] 1.5\n');
    expect(profile.frames.map((f) => f.kind)).toEqual([undefined, 'kernel', 'jit']);
  });

  it('keeps spaces inside frame names', () => {
    expect(parseFoldedLine('x;std::function<void (int)>::operator 3')).toEqual({ stack: 'x;std::function<void (int)>::operator', counts: [3] });
  });

  it('keeps a space that ends the leaf name (stackcollapse-perf.pl cuts `Proxy<int (P::*)()>::Raw` to `Proxy<int `)', () => {
    expect(parseFoldedLine('x;Proxy<int  3')).toEqual({ stack: 'x;Proxy<int ', counts: [3] });
    expect(parseFoldedLine('x;Proxy<int  3 4')).toEqual({ stack: 'x;Proxy<int ', counts: [3, 4] });
  });

  it.skipIf(!conformanceAvailable())('warns about and skips malformed lines (inferno bad_before.txt)', async () => {
    const { profile, warnings } = await parseFolded(readFileSync(`${CONFORMANCE}/inferno-diff-folded/bad_before.txt`, 'utf8'));
    expect(warnings.map((w) => [w.kind, w.line])).toEqual([['malformed-folded-line', 3]]);
    expect(stackList(profile).length).toBe(7);
  });

  it('does not claim strace, strace -c or bpftrace text', () => {
    const strace = ['getpid()                                = 13075', 'write(1, "hi", 2)                       = 2'];
    const straceC = ['% time     seconds  usecs/call     calls    errors syscall', '------ ----------- ----------- --------- --------- ----------------', '100.00    0.254729         719       354        59 total'];
    const bpftrace = ['Attaching 1 probe...', '', '@calls[read]: 12', '@calls[write]: 3'];
    for (const head of [strace, straceC, bpftrace]) expect(foldedParser.detect(head)).toBe(false);
  });

  // The parser reads lines by character positions and reuses the previous line's frames; this is the plain way it
  // replaced (parseFoldedLine, split, a frame per name), which it must match on any input.
  it('reads any lines exactly as parseFoldedLine and a frame per name would', async () => {
    const reference = (lines: string[]) => {
      const warnings: string[] = [];
      let builder: ProfileBuilder | undefined;
      let columns = 0;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line.trim() === '') continue;
        const parsed = parseFoldedLine(line);
        if (!parsed) {
          warnings.push(`${i + 1} expected \`frame;frame;... count\`, got \`${line}\``);
          continue;
        }
        if (parsed.counts.some((c) => c > Number.MAX_SAFE_INTEGER)) return { error: i + 1 };
        if (!builder) {
          columns = parsed.counts.length;
          builder = new ProfileBuilder(columns === 2 ? [{ type: 'before', unit: 'count' }, { type: 'after', unit: 'count' }] : [{ type: 'samples', unit: 'count' }], columns - 1);
        } else if (parsed.counts.length !== columns) {
          warnings.push(`${i + 1} expected ${columns} count column(s) like the first line, got \`${line}\``);
          continue;
        }
        const frames = parsed.stack.split(';').map((name): Frame => (name.endsWith('_[k]') ? { name, kind: 'kernel' } : name.endsWith('_[j]') ? { name, kind: 'jit' } : name.endsWith('_[i]') ? { name, inlined: true } : { name }));
        builder.add(frames, parsed.counts);
      }
      const profile = (builder ?? new ProfileBuilder([{ type: 'samples', unit: 'count' }])).build();
      return { warnings, profile };
    };
    const name = fc.constantFrom('a', 'b', 'main', 'x y', 'f ', ' g', '', 'read_[k]', 'jit_[j]', 'in_[i]', 'ünï', '😀', '1', '2.5', '\t');
    const count = fc.constantFrom('1', '2', '007', '3.', '4.25', '.5', '1e3', '-1', '99999999999999999999', '123456789012345678', 'x');
    const line = fc.oneof(
      fc.tuple(fc.array(name, { minLength: 1, maxLength: 5 }), fc.array(count, { minLength: 1, maxLength: 2 }), fc.constantFrom(' ', '  ', '\t'), fc.constantFrom('', ' ', '\r', '\t', '\u00a0', '\u3000')).map(([names, counts, sep, end]) => `${names.join(';')}${sep}${counts.join(' ')}${end}`),
      fc.constantFrom('', ' ', '\t', '\u00a0', '  7', '\u00a0 7', 'a;b', '@x[y]: 3'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 1, max: 40 }), async (lines, newline, cut) => {
        // Read from a file, a line loses one `\r` before its `\n` (and at the end of the file).
        const crlf = lines.join(newline).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        for (const [read, expected] of [
          [() => parseFolded(lines.join('\n')), reference(lines)],
          [() => parseFoldedChunks(lines.join(newline), cut), reference(crlf)],
        ] as const) {
          let got;
          try {
            got = await read();
          } catch (e) {
            expect((e as { line?: number }).line).toBe(expected.error);
            continue;
          }
          expect(expected.error).toBeUndefined();
          expect(got.warnings.map((w) => `${w.line} ${w.message}`)).toEqual(expected.warnings);
          expect(got.profile.sampleTypes).toEqual(expected.profile!.sampleTypes);
          expect(got.profile.defaultSampleType).toBe(expected.profile!.defaultSampleType);
          expect(got.profile.frames).toEqual(expected.profile!.frames);
          expect(stackList(got.profile)).toEqual(stackList(expected.profile!));
        }
      }),
      { seed: 20261129, numRuns: 300 },
    );
  });

  it('reuses frames from the previous line only up to the last `;` both share', async () => {
    const { profile } = await parseFolded('a;bc;d 1\na;b;d 2\na;bc 3\na;bc;d;e 4\na;bc;d 5\n');
    expect(toFolded(profile)).toBe('a;b;d 2\na;bc 3\na;bc;d 6\na;bc;d;e 4\n');
    expect(profile.frames.map((f) => f.name)).toEqual(['a', 'bc', 'd', 'b', 'e']);
  });
});
