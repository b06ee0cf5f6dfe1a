// Hostile and damaged input for detection and for every parser (each format forced onto input it would not have
// detected): random bytes, fixtures with shuffled, deleted, duplicated, inserted and damaged lines, NUL, invalid
// UTF-8, absurd numbers, huge lines, deep and wide stacks, gzip bombs. Every case ends within its bound in a
// result without nonsense values or a one-line input/usage error (harness.ts).
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { setInputLimits } from '../../src/run/input.js';
import { ALL_FORMATS, cleanForAll, cleanUp, cutPoints, fixtureInputs, outcome, params, TEXT_FORMATS } from './harness.js';

afterAll(cleanUp);

const inputs = await fixtureInputs();
const texts = inputs.filter((i) => i.format !== 'pprof');
const pprofs = inputs.filter((i) => i.format === 'pprof');

// Pieces of every text format's syntax, so random lines come close to what parsers look for.
const TOKENS = [
  ' ', '  ', '\t', ';', ':', ',', '(', ')', '[', ']', '{', '}', '<', '>', '=', '"', '\\', '|', '@', '%', '+', '-', '.', '/', '0x',
  '0', '1', '7', '42', '-1', '100.00', '0.000123', '1e999', '99999999999999999999', '18446744073709551615', 'NaN',
  'read', 'write', 'epoll_wait', 'futex', 'total', 'calls', 'errors', 'syscall', 'usecs/call', 'seconds', '% time',
  '------', '= -1 EAGAIN (Resource temporarily unavailable)', '<unfinished ...>', '<... read resumed>', '+++ exited with 0 +++',
  '--- SIGCHLD {si_signo=SIGCHLD} ---', 'strace: Process 42 attached', ' > /bin/x(main+0x1) [0x401000]',
  '@calls', '@errors', '@offn', '@lat', '@inflight', '[1, 2)', '[512, 1K)', '[4M, 8M)', '|@@@@@|', 'Attaching 3 probes...',
  'ffffffff81000130', 'entry_SYSCALL_64', '([kernel.kallsyms])', '(/usr/bin/server)', 'cpu-clock:', 'syscalls:sys_enter_read:',
  'raw_syscalls:sys_enter:', 'NR 0', '12345/12345', 'server', ' Summary of events:', 'msec', 'min', 'avg', 'max', 'stddev',
  '_[k]', '_[j]', '_[i]', '[unknown]', 'netprobe: probes attached', '\u00e9', '\u202e', '\u001b[31m', '\ufeff',
];
const tokenLine = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));
const EDGE_NUMBERS = ['0', '-1', '-0', '1e999', '1e308', '99999999999999999999', '9007199254740993', '4294967296', '0.5', 'NaN', '', '0x10', '1_000'];

type Mutation =
  | { op: 'shuffle'; seed: number }
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number; times: number }
  | { op: 'insert'; at: number; line: string }
  | { op: 'numbers'; at: number; edge: number }
  | { op: 'cut'; at: number }
  | { op: 'crlf' }
  | { op: 'long'; at: number; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('shuffle' as const), seed: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 2000 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), line: fc.oneof(tokenLine, fc.string({ unit: 'binary', maxLength: 40 })) }),
  fc.record({ op: fc.constant('numbers' as const), at: fc.nat(), edge: fc.nat({ max: EDGE_NUMBERS.length - 1 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.constant({ op: 'crlf' as const }),
  fc.record({ op: fc.constant('long' as const), at: fc.nat(), times: fc.integer({ min: 100, max: 20_000 }) }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let lines = text.split('\n');
  let eol = '\n';
  const pick = (at: number) => (lines.length === 0 ? 0 : at % lines.length);
  for (const m of mutations) {
    switch (m.op) {
      case 'shuffle': {
        let s = m.seed >>> 0 || 1;
        for (let i = lines.length - 1; i > 0; i--) {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          const j = (s >>> 0) % (i + 1);
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        }
        break;
      }
      case 'delete':
        lines.splice(pick(m.at), 1);
        break;
      case 'duplicate':
        lines.splice(pick(m.at), 0, ...Array<string>(m.times).fill(lines[pick(m.at)] ?? ''));
        break;
      case 'insert':
        lines.splice(pick(m.at), 0, m.line);
        break;
      case 'numbers':
        lines[pick(m.at)] = (lines[pick(m.at)] ?? '').replace(/\d+(\.\d+)?/g, EDGE_NUMBERS[m.edge]!);
        break;
      case 'cut': {
        const joined = lines.join('\n');
        lines = joined.slice(0, m.at % (joined.length + 1)).split('\n');
        break;
      }
      case 'crlf':
        eol = '\r\n';
        break;
      case 'long': {
        const line = lines[pick(m.at)] ?? '';
        lines[pick(m.at)] = line.repeat(Math.min(m.times, Math.ceil(LINE_CAP / Math.max(1, line.length)))).slice(0, LINE_CAP);
        break;
      }
    }
    // Duplicated long lines multiply: keep a case at a size that reads in well under a second.
    let size = 0;
    const kept = lines.findIndex((l) => (size += l.length + 1) > TEXT_CAP);
    if (kept >= 0) lines = lines.slice(0, kept + 1);
  }
  return lines.join(eol).slice(0, TEXT_CAP);
}

const LINE_CAP = 4 * 1024 * 1024;
const TEXT_CAP = 8 * 1024 * 1024;

// Raw byte damage after the text mutations: NUL, invalid UTF-8 (lone continuation bytes, truncated sequences,
// overlongs, surrogates), control bytes.
const BAD_BYTES = [[0x00], [0xff], [0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x1b], [0x7f], [0x0d]];
const byteDamage = fc.array(fc.record({ at: fc.nat(), bytes: fc.nat({ max: BAD_BYTES.length - 1 }) }), { maxLength: 4 });

function damage(text: string, damages: readonly { at: number; bytes: number }[]): Buffer {
  let buf = Buffer.from(text);
  for (const d of damages) {
    const at = d.at % (buf.length + 1);
    buf = Buffer.concat([buf.subarray(0, at), Buffer.from(BAD_BYTES[d.bytes]!), buf.subarray(at)]);
  }
  return buf;
}

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
    const raw = pprofs.map((p) => Buffer.from(gzipSync(p.bytes)));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: pprofs.length - 1 }), fc.array(fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }), how: fc.constantFrom('flip', 'insert', 'delete') }), { minLength: 1, maxLength: 8 }), async (which, edits) => {
        let bytes = Buffer.from(pprofs[which]!.bytes);
        const { gunzipSync } = await import('node:zlib');
        bytes = Buffer.from(gunzipSync(bytes));
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
    expect(raw.length).toBe(pprofs.length);
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
      expect(r.ok!.profile!.stacks.length).toBeGreaterThan(n / 2);
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
