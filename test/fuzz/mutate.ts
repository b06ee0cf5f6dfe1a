// Mutations of text and bytes for the fuzz suite: syntax pieces of every format, line operations and byte damage.
import fc from 'fast-check';

// Pieces of every text format's syntax, so random lines come close to what parsers look for.
export const TOKENS = [
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
export const tokenLine = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));
export const EDGE_NUMBERS = ['0', '-1', '-0', '1e999', '1e308', '99999999999999999999', '9007199254740993', '4294967296', '0.5', 'NaN', '', '0x10', '1_000'];

export type Mutation =
  | { op: 'shuffle'; seed: number }
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number; times: number }
  | { op: 'insert'; at: number; line: string }
  | { op: 'numbers'; at: number; edge: number }
  | { op: 'cut'; at: number }
  | { op: 'crlf' }
  | { op: 'long'; at: number; times: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('shuffle' as const), seed: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 2000 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), line: fc.oneof(tokenLine, fc.string({ unit: 'binary', maxLength: 40 })) }),
  fc.record({ op: fc.constant('numbers' as const), at: fc.nat(), edge: fc.nat({ max: EDGE_NUMBERS.length - 1 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.constant({ op: 'crlf' as const }),
  fc.record({ op: fc.constant('long' as const), at: fc.nat(), times: fc.integer({ min: 100, max: 20_000 }) }),
);

export function mutate(text: string, mutations: readonly Mutation[]): string {
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
export const BAD_BYTES = [[0x00], [0xff], [0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x1b], [0x7f], [0x0d]];
export const byteDamage = fc.array(fc.record({ at: fc.nat(), bytes: fc.nat({ max: BAD_BYTES.length - 1 }) }), { maxLength: 4 });

export function damage(text: string, damages: readonly { at: number; bytes: number }[]): Buffer {
  let buf = Buffer.from(text);
  for (const d of damages) {
    const at = d.at % (buf.length + 1);
    buf = Buffer.concat([buf.subarray(0, at), Buffer.from(BAD_BYTES[d.bytes]!), buf.subarray(at)]);
  }
  return buf;
}
