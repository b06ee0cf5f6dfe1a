// The parsers that do not take a user's input file: load generators' summaries (--load-cmd output) and ELF symbol
// tables (symbols after exit). Damaged or hostile bytes give null ("not mine"), a result with sane numbers, or one
// input error: never another exception, never a hang.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { readElfSymbols } from '../../src/parse/elf-symbols.js';
import { parseLoadOutput } from '../../src/parse/load-output.js';
import { parseStackFrame } from '../../src/parse/strace-line.js';
import { FIXTURES } from '../helpers.js';
import { params } from './harness.js';

const loadOutputs = readdirSync(join(FIXTURES, 'load'))
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(join(FIXTURES, 'load', f), 'utf8'));

const sane = (n: number | null | undefined) => n === null || n === undefined || (Number.isFinite(n) && n >= 0);

describe('load generator summaries', () => {
  it('damaged wrk and redis-benchmark output reads as null or sane numbers', () => {
    const edit = fc.record({ at: fc.nat(), text: fc.constantFrom('', '\n', '\r', '-1', '1e999', 'NaN', '99999999999999999999', ' requests in ', 'ms', '%', '\u0000', 'x'.repeat(100_000)) });
    fc.assert(
      fc.property(fc.nat({ max: loadOutputs.length - 1 }), fc.array(edit, { maxLength: 6 }), fc.nat(), (which, edits, cut) => {
        let text = loadOutputs[which]!;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.text + text.slice(at + (e.text.length % 3));
        }
        text = text.slice(0, cut % (text.length + 1) || text.length);
        const started = performance.now();
        const summary = parseLoadOutput(text);
        expect(performance.now() - started).toBeLessThan(20_000);
        if (summary) {
          for (const n of [summary.requests, summary.errors, summary.durationSeconds, summary.requestsPerSecond]) expect(sane(n), JSON.stringify(summary)).toBe(true);
        }
      }),
      params(200),
    );
  });
});

describe('ELF symbols', () => {
  const elf = readFileSync('/usr/bin/true');

  it('a damaged ELF file gives symbols, null or one input error', () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }), headerOnly: fc.boolean() });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), fc.nat(), (edits, cut) => {
        const bytes = Buffer.from(elf);
        // Half the edits hit the headers, where counts and offsets live.
        for (const e of edits) bytes[e.headerOnly ? e.at % 128 : e.at % bytes.length] = e.byte;
        const size = cut % 3 === 0 ? cut % (bytes.length + 1) : bytes.length;
        const read = (offset: number, length: number) => bytes.subarray(offset, Math.min(offset + length, size));
        try {
          const symbols = readElfSymbols(read, size, 'true');
          if (symbols) for (const s of symbols.symbols) expect(Number.isFinite(s.address) && Number.isFinite(s.size)).toBe(true);
        } catch (e) {
          expect(e, String((e as Error)?.stack)).toBeInstanceOf(NetprobeError);
          expect((e as NetprobeError).code).toBe('input');
        }
      }),
      params(300),
    );
  });
});

describe('strace -k frames', () => {
  // The one-regex reader parseStackFrame replaced (quadratic on long lines), as the reference on short ones.
  const FRAME = /^ > (.*?) \[(0x[0-9a-fA-F]+)\](?: (.+?):(\d+))?$/;
  function reference(line: string) {
    const m = FRAME.exec(line);
    if (!m) return undefined;
    return { where: m[1], offset: Number.parseInt(m[2]!, 16), file: m[3], line: m[4] === undefined ? undefined : Number(m[4]) };
  }

  it('read the same as the regex reference wherever a line has one ` [0x`', () => {
    const piece = fc.constantFrom(' > ', '/lib/x.so', '(', ')', 'sym', '+0x1f', ' [0x', '1a', ']', ' a.c:12', ':', '7', '<error>', ' ', 'operator()(int)');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
        const line = ` > ${pieces.join('')}`;
        fc.pre(line.split(' [0x').length <= 2);
        const want = reference(line);
        const got = parseStackFrame(line);
        expect(got === undefined, line).toBe(want === undefined);
        if (got && want) {
          expect([got.offset, got.file, got.line], line).toEqual([want.offset, want.file, want.line]);
          expect(`${got.module ?? ''}${got.symbol ?? ''}`.length <= want.where!.length, line).toBe(true);
        }
      }),
      params(2000),
    );
  });
});
