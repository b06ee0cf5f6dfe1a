// Hostile and damaged input for detection and for every parser (each format forced onto input it would not have
// detected): random bytes, fixtures with shuffled, deleted, duplicated, inserted and damaged lines, NUL, invalid
// UTF-8, absurd numbers, huge lines, deep and wide stacks, gzip bombs. Every case ends within its bound in a
// result without nonsense values or a one-line input/usage error (harness.ts).
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stackList } from '../../src/model/profile.js';
import { setInputLimits } from '../../src/run/input.js';
import { ALL_FORMATS, cleanForAll, cleanUp, cutPoints, fixtureInputs, outcome, params, TEXT_FORMATS } from './harness.js';
import { byteDamage, damage, mutate, mutation, tokenLine } from './mutate.js';

afterAll(cleanUp);

const inputs = await fixtureInputs();
const texts = inputs.filter((i) => i.format !== 'pprof');
const pprofs = inputs.filter((i) => i.format === 'pprof');

describe('random input', () => {
  it('random bytes, raw and gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (bytes, gzip) => {
        await cleanForAll(gzip ? gzipSync(bytes) : bytes);
      }),
      params(),
    );
  });

  it('random lines made of every format\'s syntax', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tokenLine, { maxLength: 60 }), async (lines) => {
        await cleanForAll(lines.join('\n'));
      }),
      params(),
    );
  });

  it('pprof bytes with random bytes flipped, inserted or deleted', async () => {
    const raw = pprofs.map((p) => gunzipSync(p.bytes));
    const edit = fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }), how: fc.constantFrom('flip', 'insert', 'delete') });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: raw.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 8 }), async (which, edits) => {
        let bytes = Buffer.from(raw[which]!);
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.how === 'flip' && at < bytes.length) bytes[at] = e.byte;
          else if (e.how === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([e.byte]), bytes.subarray(at)]);
          else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        }
        await outcome(bytes, { name: 'edited.pb' });
        await outcome(bytes, { name: 'edited.pb', format: 'pprof' });
      }),
      params(),
    );
  });
});

describe('damaged fixtures', () => {
  it('every text fixture with shuffled, deleted, duplicated, inserted, renumbered, cut and long lines, CRLF, NUL and invalid UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: texts.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), byteDamage, async (which, mutations, damages) => {
        const text = mutate(texts[which]!.bytes.toString('utf8'), mutations);
        await cleanForAll(damage(text, damages), [undefined, texts[which]!.format, ...TEXT_FORMATS.filter((f) => f !== texts[which]!.format)]);
      }),
      params(),
    );
  });

  it('absurd numbers on lines of every fixture: past 2^53, 1e308, negative, fractional', async () => {
    for (const input of texts) {
      // The first 400 lines: what the number does to its own line is the point, not the size of the file.
      const lines = input.bytes.toString('utf8').split('\n').slice(0, 400);
      for (const at of cutPoints(lines.length - 1, 4)) {
        for (const edge of ['99999999999999999999', '9007199254740993', '1e308', '-1', '0.5']) {
          const text = [...lines.slice(0, at), lines[at]!.replace(/\d+/g, edge), ...lines.slice(at + 1)].join('\n');
          await cleanForAll(text, [undefined, input.format]);
        }
      }
    }
  });

  it('each text fixture shuffled, read as every format', async () => {
    for (const input of texts) {
      const text = mutate(input.bytes.toString('utf8'), [{ op: 'shuffle', seed: 7 }]);
      await cleanForAll(text);
    }
  });
});

describe('shapes', () => {
  const MB = 1024 * 1024;

  it('huge lines of every shape, read as every format', async () => {
    const shapes = ['a', '(', '{', '[', ';', ' ', '0', '"\\x', '@[', ', ', 'f;', '0x'].map((unit) => unit.repeat(Math.ceil(MB / unit.length)));
    for (const line of shapes) await cleanForAll(`${line}\n${line.slice(0, 1000)} 1\n`);
  });

  it('a 2 MB line of strace -k frames ending in junk reads in linear time (a lazy regex took 32 s)', async () => {
    const line = ' > /usr/bin/x(f+0x1) [0x1] a'.repeat((2 * MB) / 28);
    const r = await outcome(`42 read(3, "x", 1) = 1\n${line}\n`, { format: 'strace-log' });
    expect(r.ok?.format).toBe('strace-log');
  });

  it('deep stacks in every stack format', async () => {
    const depth = 100_000;
    const frames = (make: (i: number) => string) => Array.from({ length: depth }, (_, i) => make(i)).join('\n');
    const cases: [string, string][] = [
      ['folded', `${Array.from({ length: depth }, (_, i) => `f${i % 50}`).join(';')} 3\nmain;leaf 1\n`],
      ['perf-script', `server 42/42 1.000000: 1 cpu-clock:\n${frames((i) => `\t    ffffffff8100${(i % 4096).toString(16).padStart(4, '0')} func_${i % 50}+0x1 (/usr/bin/server)`)}\n\n`],
      ['strace-log', `42 read(3, "x", 1) = 1\n${frames((i) => ` > /usr/bin/server(func_${i % 50}+0x1) [0x${(0x401000 + i).toString(16)}]`)}\n`],
      ['bpftrace-offcpu', `Attaching 7 probes...\n@offn[\n${frames((i) => `\t7f97d9c0${(i % 4096).toString(16).padStart(4, '0')} func_${i % 50}+1`)}\n, \n\tffffffff821f8b58 __schedule+1560\n, 42]: 5\n`],
    ];
    for (const [format, text] of cases) {
      const r = await outcome(text, { format: format as (typeof ALL_FORMATS)[number] });
      expect(r.error?.message).toBeUndefined();
      await outcome(text);
    }
  });

  it('wide profiles: 50,000 distinct stacks in every stack format', async () => {
    const n = 50_000;
    const rows = (make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('');
    const cases: [string, string][] = [
      ['folded', rows((i) => `main;handler_${i % 100};leaf_${i} ${1 + (i % 9)}\n`)],
      ['perf-script', rows((i) => `server 42/42 ${i}.000000: 1 cpu-clock:\n\t    401${(i % 4096).toString(16)} leaf_${i}+0x1 (/usr/bin/server)\n\t    401000 main+0x1 (/usr/bin/server)\n\n`)],
      ['strace-log', rows((i) => `42 read(3, "x", 1) = 1\n > /usr/bin/server(leaf_${i}+0x1) [0x${(0x500000 + i).toString(16)}]\n > /usr/bin/server(main+0x1) [0x401000]\n`)],
    ];
    for (const [format, text] of cases) {
      const r = await outcome(text, { format: format as (typeof ALL_FORMATS)[number] });
      expect(stackList(r.ok!.profile!).length).toBeGreaterThan(n / 2);
    }
  });

  it('NUL and invalid UTF-8 at the start and in the middle of every fixture', async () => {
    for (const input of texts) {
      for (const bad of [[0x00], [0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80]]) {
        const mid = Math.floor(input.bytes.length / 2);
        await cleanForAll(Buffer.concat([Buffer.from(bad), input.bytes]), [undefined, input.format]);
        await cleanForAll(Buffer.concat([input.bytes.subarray(0, mid), Buffer.from(bad), input.bytes.subarray(mid)]), [undefined, input.format]);
      }
    }
  });

  it('gzip bombs are refused once past the bound; nested, concatenated and cut gzip are clean', async () => {
    setInputLimits({ maxDecompressedBytes: 2 * MB });
    try {
      for (const bomb of [Buffer.alloc(32 * MB), Buffer.alloc(32 * MB, 0x0a), Buffer.from('main;handler;read 1\n'.repeat((32 * MB) / 20))]) {
        const gz = gzipSync(bomb, { level: 9 });
        expect(gz.length).toBeLessThan(MB / 2);
        for (const format of [undefined, ...ALL_FORMATS]) {
          const r = await outcome(gz, { name: 'bomb.gz', format });
          expect(r.error?.message).toMatch(/decompresses to more than 2\.0 MiB|expected|has no|refus/);
        }
      }
      const text = texts[0]!.bytes;
      await cleanForAll(gzipSync(gzipSync(text)));
      await cleanForAll(Buffer.concat([gzipSync(text), gzipSync(text)]));
      await cleanForAll(Buffer.concat([gzipSync(text), Buffer.from('trailing junk')]));
    } finally {
      setInputLimits({ maxDecompressedBytes: 2 * 1024 * MB });
    }
  });
});
