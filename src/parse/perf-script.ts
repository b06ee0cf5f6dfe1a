// perf script text -> CPU profile whose frames are named exactly as FlameGraph's stackcollapse-perf.pl names them.
//
// Produced by: `perf record -g -F 999 -o perf.data -- <cmd>; perf script -i perf.data` (perf 6.1, kernel 6.18).
// Reference: https://github.com/brendangregg/FlameGraph/blob/41fee1f99f9276008b7cd112fca19dc3ea84ac32/stackcollapse-perf.pl
// and inferno https://github.com/jonhoo/inferno/blob/929be68e19a27da062623c6da5255e8b96faebbc/src/collapse/perf.rs
// (whose Rust-symbol fixes and period weighting we follow). Grammar: docs/FORMATS.md §1.
//
//   busy  1880   579.955973:    1001001 cpu-clock:ppp:
//   	            11e4 work+0x34 (/tmp/pf/busy)
//   	            1087 main+0x27 (/tmp/pf/busy)
//   	           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)
//
// becomes the stack `busy;__libc_start_call_main;main;work` with samples=1 and cpu=1001001 ns.
//
// Weights: the folded weight of a sample is its period (1 when perf printed none), as in the collapser.
// The profile always starts with CPU_SAMPLE_TYPES (samples/count, cpu/nanoseconds). cpu is filled only for
// cpu-clock/task-clock events, whose period is in nanoseconds; for other events (cycles, page-faults, ...)
// cpu stays 0 and a third type `<event>/count` carries the summed periods. The default sample type is the
// one whose totals equal the collapser's counts.
import { setFlagsFromString } from 'node:v8';
import { ParseError } from '../model/errors.js';
import { CPU_SAMPLE_TYPES, FrameInterner, ProfileBuilder, type Frame, type FrameKind, type Profile, type SampleType } from '../model/profile.js';
import type { CollapseOptions, ParseContext, ParseResult, ParseWarning, TextParser } from './types.js';

interface Header {
  comm: string;
  /** Decimal text, or `?` when perf printed the tid only. */
  pid: string;
  tid: string;
  event: string;
  period?: number;
  /** What follows `event:` on the header line: empty, a tracepoint payload or a single frame. */
  tail: string;
}

/**
 * Where the fields of a sample header lie in its text, as scanPerfHeader finds them: offsets, so that the parser
 * can compare them with the previous header's fields instead of cutting new strings for every sample.
 */
interface HeaderBounds {
  /** The comm is the text from the line start to here, spaces around it included. */
  commEnd: number;
  /** -1 when perf printed the tid only. */
  pidStart: number;
  pidEnd: number;
  tidStart: number;
  tidEnd: number;
  /** Their values; pid -1 when perf printed the tid only. */
  pid: number;
  tid: number;
  /** -1 when perf printed no period. */
  period: number;
  eventStart: number;
  eventEnd: number;
  /** What follows `event:`, up to the line end (spaces included). */
  tailStart: number;
}

const CLOCK_EVENTS = new Set(['cpu-clock', 'task-clock']);

function newHeaderBounds(): HeaderBounds {
  return { commEnd: 0, pidStart: -1, pidEnd: -1, tidStart: 0, tidEnd: 0, pid: -1, tid: 0, period: -1, eventStart: 0, eventEnd: 0, tailStart: 0 };
}

/** Finds the header fields, or null when the line is not a sample header. */
export function parsePerfHeader(line: string): Header | null {
  const b = newHeaderBounds();
  if (!scanPerfHeader(line, 0, line.length, b)) return null;
  return {
    comm: line.slice(0, b.commEnd).trim(),
    pid: b.pidStart < 0 ? '?' : line.slice(b.pidStart, b.pidEnd),
    tid: line.slice(b.tidStart, b.tidEnd),
    event: line.slice(b.eventStart, b.eventEnd),
    period: b.period < 0 ? undefined : b.period,
    tail: line.slice(b.tailStart).trim(),
  };
}

/**
 * The one header recogniser (detection and the parser both use it): whether text[start, end) is a sample header,
 * filling `out` with where its fields are. `[comm] pid[/tid] [[cpu]] [time:] [period] event:[ tail]`, docs/FORMATS.md §1.
 */
function scanPerfHeader(text: string, start: number, end: number, out: HeaderBounds): boolean {
  let pos = start;
  for (;;) {
    while (pos < end && text.charCodeAt(pos) === 32) pos++;
    if (pos >= end) return false;
    const word = pos;
    while (pos < end && text.charCodeAt(pos) !== 32) pos++;
    // The word at column 0 is always the comm (which may itself be all digits); the pid needs a space after it.
    if (word === start || pos >= end) continue;
    const slash = pidTidSlash(text, word, pos);
    if (slash === -2 || !scanAfterPid(text, pos, end, out)) continue;
    out.commEnd = word;
    out.pidStart = slash < 0 ? -1 : word;
    out.pidEnd = slash < 0 ? -1 : slash;
    out.tidStart = slash < 0 ? word : slash + 1;
    out.tidEnd = pos;
    out.pid = slash < 0 ? -1 : decimal(text, word, slash);
    out.tid = decimal(text, out.tidStart, pos);
    return true;
  }
}

// -2: not `\d+` or `\d+/\d+`; -1: digits only; otherwise the index of the slash.
function pidTidSlash(line: string, start: number, end: number): number {
  let slash = -1;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 47 && slash < 0 && i > start && i < end - 1) slash = i;
    else if (c < 48 || c > 57) return -2;
  }
  return slash;
}

// Everything after the pid: fills the period, event and tail bounds of `out`.
function scanAfterPid(text: string, pos: number, end: number, out: HeaderBounds): boolean {
  pos = skipSpaces(text, pos, end);
  if (pos < end && text.charCodeAt(pos) === 91 /* [ */) {
    const close = text.indexOf(']', pos);
    if (close < 0 || close >= end || !isDigits(text, pos + 1, close)) return false;
    pos = skipSpaces(text, close + 1, end);
  }
  // Optional time `secs.usecs:`.
  let p = pos;
  let c = 0;
  while (p < end && (isDigit((c = text.charCodeAt(p))) || c === 46)) p++;
  if (p > pos && p < end && c === 58 /* : */) pos = skipSpaces(text, p + 1, end);
  // Optional period.
  let period = -1;
  p = pos;
  while (p < end && isDigit((c = text.charCodeAt(p)))) p++;
  if (p > pos && p < end && c === 32) {
    period = decimal(text, pos, p);
    pos = skipSpaces(text, p, end);
  }
  // Event name: one word ending at the first `:` followed by a space or the end of line
  // (`cycles:u:`, `raw_syscalls:sys_enter:`).
  for (let q = pos; q < end; q++) {
    const c = text.charCodeAt(q);
    if (c === 32 || c === 9) return false;
    if (c === 58 && (q + 1 === end || text.charCodeAt(q + 1) === 32)) {
      if (q === pos) return false;
      out.period = period;
      out.eventStart = pos;
      out.eventEnd = q;
      out.tailStart = q + 1;
      return true;
    }
  }
  return false;
}

// The value of the digits text[start, end).
function decimal(text: string, start: number, end: number): number {
  // Beyond 15 digits the running sum may round differently from Number().
  if (end - start > 15) return Number(text.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

function skipSpaces(text: string, pos: number, end: number): number {
  while (pos < end && text.charCodeAt(pos) === 32) pos++;
  return pos;
}

// Whether text[start, end) is `s` (no new string needed).
function sameText(text: string, start: number, end: number, s: string): boolean {
  return end - start === s.length && text.startsWith(s, start);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isDigits(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function isBlank(line: string): boolean {
  return isBlankRange(line, 0, line.length);
}

function isBlankRange(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

interface FrameLine {
  pc: string;
  /** Symbol as printed (with `+0x` offset), `" "` when perf printed none (the collapser's convention). */
  sym: string;
  /** Text inside the final parentheses: a dso path, `[kernel.kallsyms]`, `[unknown]`, `inlined`; undefined when absent. */
  module?: string;
}

/** Splits `ip sym[+0xoff] (dso)`; the dso is the balanced parenthesised group at the end (dsos may contain spaces). */
export function parseFrameLine(line: string): FrameLine | null {
  const s = line.trim();
  const sp = s.indexOf(' ');
  if (sp < 0) return null;
  const pc = s.slice(0, sp);
  if (!isHex(pc)) return null;
  const rest = s.slice(sp + 1);
  let module: string | undefined;
  let symEnd = rest.length;
  if (rest.endsWith(')')) {
    let depth = 0;
    for (let i = rest.length - 1; i >= 0; i--) {
      const c = rest.charCodeAt(i);
      if (c === 41) depth++;
      else if (c === 40 && --depth === 0) {
        if (i === 0 || rest.charCodeAt(i - 1) === 32) {
          module = rest.slice(i + 1, -1);
          symEnd = i;
        }
        break;
      }
    }
  }
  const sym = rest.slice(0, symEnd).trim();
  return { pc, sym: sym === '' ? ' ' : sym, module };
}

// `-F +srcline` prints `  file.c:123`, `  libc.so.6[27b25]` or `??:0` below a frame.
function isSrcline(line: string): boolean {
  const s = line.trim();
  return /:\d+$/.test(s) || /\[[0-9a-fx]+\]$/.test(s);
}

const RUST_HASH_LENGTH = 17;
const RUST_ESCAPES: readonly [string, string][] = [
  ['$SP$', '@'],
  ['$BP$', '*'],
  ['$RF$', '&'],
  ['$LT$', '<'],
  ['$GT$', '>'],
  ['$LP$', '('],
  ['$RP$', ')'],
  ['$C$', ','],
  ['$u7e$', '~'],
  ['$u20$', ' '],
  ['$u27$', "'"],
  ['$u3d$', '='],
  ['$u5b$', '['],
  ['$u5d$', ']'],
  ['$u7b$', '{'],
  ['$u7d$', '}'],
  ['$u3b$', ';'],
  ['$u2b$', '+'],
  ['$u21$', '!'],
  ['$u22$', '"'],
];

// perf leaves some legacy Rust symbols half demangled (`_$LT$std..fs..File$GT$::read::h5d84059cf335c8e6`);
// finishing the job as rustc-demangle does keeps one name per function (inferno collapse/common.rs).
export function fixRustSymbol(symbol: string): string {
  const hashStart = symbol.length - RUST_HASH_LENGTH;
  if (hashStart < 0 || symbol[hashStart] !== 'h' || !isHex(symbol.slice(hashStart + 1))) return symbol;
  let rest = symbol.slice(0, hashStart);
  if (rest.endsWith('::')) rest = rest.slice(0, -2);
  if (rest.startsWith('_$')) rest = rest.slice(1);
  let out = '';
  while (rest.length > 0) {
    if (rest[0] === '.') {
      if (rest[1] === '.') {
        out += '::';
        rest = rest.slice(2);
      } else {
        out += '.';
        rest = rest.slice(1);
      }
    } else if (rest[0] === '$') {
      const esc = RUST_ESCAPES.find(([pat]) => rest.startsWith(pat));
      if (!esc) {
        out += rest;
        break;
      }
      out += esc[1];
      rest = rest.slice(esc[0].length);
    } else {
      let i = 0;
      while (i < rest.length && rest[i] !== '$' && rest[i] !== '.') i++;
      out += rest.slice(0, i);
      rest = rest.slice(i);
    }
  }
  return out;
}

// Drops argument lists as stackcollapse-perf.pl does: everything from the first `(` that does not open
// `(anonymous namespace)` (FlameGraph PR #93), at any depth, so `Proxy<int (Parser::*)(), &on_body>::Raw` becomes
// `Proxy<int `; names with `.(` ... `).` anywhere are Go methods (`net/http.(*Client).Do`, PR #72) and stay whole.
// inferno instead keeps parentheses nested in `<>`, `{}` or `[]`; we follow the classic collapser (DESIGN.md).
export function tidyGeneric(func: string): string {
  func = func.replaceAll(';', ':');
  const goDot = func.indexOf('.(');
  if (goDot >= 0 && func.indexOf(').', goDot + 2) >= 0) return func;
  let paren = func.indexOf('(');
  while (paren >= 0 && func.startsWith('(anonymous namespace)', paren)) paren = func.indexOf('(', paren + 1);
  return paren < 0 ? func : func.slice(0, paren);
}

function isVmlinux(module: string): boolean {
  const at = module.lastIndexOf('vmlinux');
  return at >= 0 && /^[A-Za-z0-9._-]*$/.test(module.slice(at));
}

// The collapser's notion of a kernel dso: `[kernel.kallsyms]`, `[nf_conntrack]`, `*.ko`, `vmlinux*`.
function isKernelModule(module: string): boolean {
  return (module.startsWith('[') || module.endsWith('.ko') || isVmlinux(module)) && module !== '[unknown]';
}

function isJitModule(module: string): boolean {
  return (module.startsWith('/tmp/perf-') && module.endsWith('.map')) || (module.includes('/jitted-') && module.endsWith('.so'));
}

function frameKind(module: string | undefined): FrameKind {
  if (module === undefined) return 'user';
  if (isJitModule(module)) return 'jit';
  // [vdso] and [vsyscall] pages run in user mode even though the collapser annotates them like kernel code.
  if (isKernelModule(module) && module !== '[vdso]' && module !== '[vsyscall]') return 'kernel';
  return 'user';
}

// The frames one perf frame line stands for (root first): several when a Java agent joined inlined methods with `->`.
export function collapsedFrames(f: FrameLine, java: boolean, opts: CollapseOptions): Frame[] {
  const out: Frame[] = [];
  collapseFrameLine(f, java, opts, out);
  return out;
}

// collapsedFrames() into `out`. The parser passes one reused array and every frame has the same properties in the
// same order (undefined when unknown): arrays and frames of varying shapes made V8 discard and recompile the
// parser's main loop each time a new combination turned up. build() drops the undefined properties.
function collapseFrameLine(f: FrameLine, java: boolean, opts: CollapseOptions, out: Frame[]): void {
  let rawfunc = f.sym;
  const off = rawfunc.lastIndexOf('+0x');
  if (off >= 0 && (off + 3 === rawfunc.length || isHex(rawfunc.slice(off + 3)))) rawfunc = rawfunc.slice(0, off);
  // FlameGraph skips "process name" frames such as `(/usr/bin/foo)`.
  if (rawfunc.startsWith('(')) return;
  const module = f.module ?? '';
  const perfInlined = f.module === 'inlined';
  const address = perfInlined ? undefined : safeAddress(f.pc);
  const kind = frameKind(perfInlined ? undefined : f.module);
  const frameModule = f.module !== undefined && !perfInlined && f.module !== '[unknown]' ? f.module : undefined;
  for (let i = 0, from = 0; ; i++) {
    const arrow = rawfunc.indexOf('->', from);
    let name = arrow < 0 ? rawfunc.slice(from) : rawfunc.slice(from, arrow);
    if (name === '[unknown]') {
      if (module === '[unknown]' || module === '') name = opts.addrs ? `[unknown <${f.pc}>]` : '[unknown]';
      else {
        const base = module.slice(module.lastIndexOf('/') + 1);
        name = opts.addrs ? `[${base} <${f.pc}>]` : `[${base}]`;
      }
    }
    // Arguments are cut from the name as perf printed it, as the Perl collapser (which demangles nothing) sees it;
    // finishing a Rust name's demangling afterwards keeps the parentheses of `Extend<(K, V)>` (inferno's results).
    name = tidyGeneric(name);
    const rust = fixRustSymbol(name);
    if (rust !== name) name = rust.replaceAll(';', ':');
    if (java && name.startsWith('L') && name.includes('/')) name = name.slice(1);
    if (i > 0) {
      if (!name.includes('_[i]')) name += '_[i]';
    } else if (opts.kernel && isKernelModule(module)) name += '_[k]';
    else if (opts.jit && isJitModule(module) && !name.includes('_[j]')) name += '_[j]';
    out.push({ name, kind, module: frameModule, inlined: perfInlined || i > 0 ? true : undefined, address });
    if (arrow < 0) return;
    from = arrow + 2;
  }
}

// Kernel addresses do not fit in a double; they are left out rather than rounded to a wrong value.
function safeAddress(pc: string): number | undefined {
  if (pc.length > 13) return undefined;
  const v = parseInt(pc, 16);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Root frame name, as the collapser builds it: `comm[-pid[/tid]]` with spaces turned into `_`. */
export function processName(h: Pick<Header, 'comm' | 'pid' | 'tid'>, opts: CollapseOptions): string {
  let name = h.comm;
  if (opts.tid) name += `-${h.pid}/${h.tid}`;
  else if (opts.pid) name += `-${h.pid}`;
  return name.replaceAll(' ', '_');
}

// `cycles:u` and `cycles:ppp` are one event with different modifiers (perf-list(1) "EVENT MODIFIERS");
// `raw_syscalls:sys_enter` is a tracepoint whose full name matters.
export function eventName(event: string): string {
  const colon = event.indexOf(':');
  if (colon < 0) return event;
  return /^[ukhIGHpPSDWeb]+$/.test(event.slice(colon + 1)) ? event.slice(0, colon) : event;
}

// The text fast path caches whole callchains (the lines between a header and the blank line after it): in a
// profile the same few stacks recur thousands of times, and comparing one callchain text replaces a lookup per
// frame line. Hashing whole callchains would cost more than comparing them, so the cache is keyed by a
// fingerprint of a few characters and each bucket holds a few texts that are compared in full. Longer callchains
// go line by line; shorter ones cut by the end of a text chunk wait for the next chunk to be looked up whole.
const MAX_BLOCK_CHARS = 16 * 1024;
const BUCKET_SIZE = 8;
// Distinct callchain texts kept, in characters: bounds memory on inputs where few stacks repeat.
const BLOCK_CACHE_CHARS = 16 * 1024 * 1024;

interface CachedBlock {
  text: string;
  /** Frame ids, leaf first. */
  ids: readonly number[];
  idsKey: string;
  /** Number of lines in the block. */
  lines: number;
  /** tid -> the stack of this callchain in that thread, when its process and pid still match (a shortcut into `stacks`). */
  threads: Map<number, StackEntry>;
}

function fingerprint(text: string, start: number, end: number): number {
  const n = end - start;
  let h = n;
  for (let i = 1; i <= 16; i++) h = (Math.imul(h, 31) + text.charCodeAt(start + (((n - 1) * i) >> 4))) | 0;
  return h;
}

interface StackEntry {
  /** The pid (-1: not printed), which with the process frame, tid and frames tells stacks apart. */
  pidKey: number;
  /** Frame ids (our own numbering), leaf first, without the process frame. */
  leafFirst: number[];
  processFrame: number;
  pid: number | undefined;
  tid: number;
  samples: number;
  /** Where its weight (sum of periods, 1 for samples without one: the collapser's count) is in `weights`. */
  index: number;
}

// Streams samples into aggregated stacks; only distinct frame lines and distinct stacks are kept in memory.
class PerfCollapser {
  /** Every frame seen; build() hands the profile only those some stack uses. */
  private readonly interner = new FrameInterner();
  /** Frame line text -> frame ids (leaf first), one cache for `java*` processes and one for the rest. */
  private readonly lineCache = [new Map<string, readonly number[]>(), new Map<string, readonly number[]>()];
  private readonly processIds = new Map<string, number>();
  private readonly stacks = new Map<string, StackEntry>();
  // Weights sum nanosecond periods and pass 2^31 early; in an object field that started as a small integer that
  // makes V8 throw away the compiled code using it, while a Float64Array holds doubles from the start.
  private weights = new Float64Array(1024);
  /** Callchain text -> its frames, one cache for `java*` processes and one for the rest (as lineCache). */
  private readonly blockCache = [new Map<number, CachedBlock[]>(), new Map<number, CachedBlock[]>()];
  private blockCacheChars = 0;
  /** The callchain being read line by line because it was not cached: missText[missStart, missEnd), read by the
   * text() call numbered missCall (a number, so that a test per line does not compare strings). */
  private missText = '';
  private missCall = -1;
  private textCalls = 0;
  private missStart = 0;
  private missEnd = -2;
  private missEvents = 0;
  private missLineNo = 0;
  /** Warnings and sample ends so far: a callchain during which neither happened can be cached. */
  private events = 0;
  private lineNo = 0;

  private eventFilter: string | undefined;
  /** eventName() of the last header's event, which is nearly always the one before. */
  private rawEvent = '';
  private rawEventName = '';
  private event: string | undefined;
  private samplesWithPeriod = 0;
  private samplesWithoutPeriod = 0;

  // Current sample: its header's fields, kept as strings that are reused while the next header has the same text.
  private inSample = false;
  private skipSample = false;
  private readonly bounds = newHeaderBounds();
  /** The header text before the pid (the comm with its padding) and the comm it gives. */
  private commText = '';
  private comm = '';
  /** pid -1 when perf printed the tid only. */
  private pid = -1;
  private tid = -1;
  /** -1 when perf printed no period. */
  private period = -1;
  private java = 0;
  /** Root frame name of the current sample, and its frame id (-1: not interned yet). */
  private processName = '';
  private processFrame = -1;
  private readonly ids: number[] = [];
  /** Scratch space of frameLine(). */
  private readonly frames: Frame[] = [];
  private lastFrameLine: string | undefined;
  private lastGroupStart = 0;

  constructor(
    private readonly ctx: ParseContext,
    private readonly opts: CollapseOptions,
  ) {
    this.eventFilter = ctx.options.event;
  }

  line(line: string): void {
    const lineNo = ++this.lineNo;
    if (line.length === 0 || isBlank(line)) {
      this.endSample();
      return;
    }
    if (line.charCodeAt(0) === 35 /* # */) return;
    if (this.inSample) this.frameLine(line, lineNo);
    else this.headerLine(line, 0, line.length, lineNo);
  }

  /**
   * Consumes lines of `text` from `from` on and returns the index of the first one it left for later: the
   * unterminated last line, or a callchain the text does not finish (so that it can be looked up whole with the
   * next text). Gives the same results as feeding the lines one by one to line(). `final`: no more text follows,
   * so only the unterminated last line is left.
   */
  text(text: string, from = 0, final = false): number {
    let pos = from;
    const call = ++this.textCalls;
    // Index of the next empty line's preceding newline at or after pos (-1: none in this text); searching once
    // per text region keeps inputs without `\n\n` (CRLF, no callchains) linear.
    let nextBreak = -2;
    for (;;) {
      if (pos === this.missEnd + 1 && call === this.missCall) this.cacheMissedBlock();
      if (this.inSample && !this.skipSample && this.ids.length === 0 && this.lastFrameLine === undefined && this.missCall !== call) {
        if (nextBreak !== -1 && nextBreak < pos) nextBreak = text.indexOf('\n\n', pos);
        if (nextBreak > pos && nextBreak - pos <= MAX_BLOCK_CHARS) {
          const next = this.cachedBlock(text, pos, nextBreak);
          if (next >= 0) {
            pos = next;
            continue;
          }
          // Not cached: its lines are read one by one below, and it is cached when they are done.
          this.missText = text;
          this.missCall = call;
          this.missStart = pos;
          this.missEnd = nextBreak;
          this.missEvents = this.events;
          this.missLineNo = this.lineNo;
        } else if (nextBreak === -1 && !final && text.length - pos <= MAX_BLOCK_CHARS) return pos;
      }
      const nl = text.indexOf('\n', pos);
      if (nl < 0) return pos;
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      // A header is read where it is in the text; a line starting with a space may be blank, and `#` is a comment.
      const c = text.charCodeAt(pos);
      if (!this.inSample && end > pos && c !== 32 && c !== 9 && c !== 13 && c !== 35) this.headerLine(text, pos, end, ++this.lineNo);
      else this.line(text.slice(pos, end));
      pos = nl + 1;
    }
  }

  /** The last line of the input, when it has no newline. */
  lastLine(line: string): void {
    this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  // The callchain text[start, end) (end: its last newline) followed by an empty line, when it is cached: records
  // it and returns the index after that line; -1 otherwise. (The reading of uncached callchains stays out of this
  // function so that the engine does not compile all of the line parsing into it a second time.)
  private cachedBlock(text: string, start: number, end: number): number {
    const bucket = this.blockCache[this.java]!.get(fingerprint(text, start, end));
    if (bucket === undefined) return -1;
    const key = text.slice(start, end);
    for (let i = 0; i < bucket.length; i++) {
      const hit = bucket[i]!;
      if (hit.text !== key) continue;
      this.lineNo += hit.lines + 1;
      this.record(hit.ids, hit.idsKey, hit.threads);
      this.resetSample();
      return end + 2;
    }
    return -1;
  }

  // The callchain that cachedBlock() did not know has been read line by line; caches it unless something made it
  // different from a plain callchain (a warning, or the sample ended early).
  private cacheMissedBlock(): void {
    const text = this.missText;
    this.missText = '';
    this.missCall = -1;
    if (this.events !== this.missEvents || !this.inSample || this.skipSample) return;
    const start = this.missStart;
    const end = this.missEnd;
    const fp = fingerprint(text, start, end);
    const cache = this.blockCache[this.java]!;
    const bucket = cache.get(fp);
    if ((bucket?.length ?? 0) >= BUCKET_SIZE || this.blockCacheChars + (end - start) > BLOCK_CACHE_CHARS) return;
    const ids = this.ids.slice();
    const entry = { text: copyString(text.slice(start, end)), ids, idsKey: ids.join(','), lines: this.lineNo - this.missLineNo, threads: new Map() };
    if (bucket) bucket.push(entry);
    else cache.set(fp, [entry]);
    this.blockCacheChars += end - start;
  }

  private warn(warning: Omit<ParseWarning, 'file'>): void {
    this.events++;
    this.ctx.warn(warning);
  }

  // The header text[start, end).
  private headerLine(text: string, start: number, end: number, lineNo: number): void {
    const b = this.bounds;
    if (!scanPerfHeader(text, start, end, b)) {
      this.warn({ kind: 'weird-event-line', line: lineNo, message: `not a perf sample header: ${text.slice(start, end).trim()}` });
      return;
    }
    this.inSample = true;
    if (this.ids.length !== 0) this.ids.length = 0;
    this.lastFrameLine = undefined;
    if (!sameText(text, b.eventStart, b.eventEnd, this.rawEvent)) {
      this.rawEvent = copyString(text.slice(b.eventStart, b.eventEnd));
      this.rawEventName = eventName(this.rawEvent);
    }
    const event = this.rawEventName;
    if (this.eventFilter === undefined) this.eventFilter = event;
    if (event !== this.eventFilter && this.rawEvent !== this.eventFilter) {
      this.skipSample = true;
      return;
    }
    this.event ??= event;
    this.period = b.period;
    // A period past 2^53 cannot be summed exactly (99999999999999999999 would weigh 100000000000000000000).
    if (b.period > Number.MAX_SAFE_INTEGER) throw new ParseError(this.ctx.file, lineNo, `a sample period up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`, text.slice(start, end));
    // Strings are cut only when a field differs from the previous header's (and copied, so as not to pin the text).
    let changed = false;
    if (!sameText(text, start, b.commEnd, this.commText)) {
      this.commText = copyString(text.slice(start, b.commEnd));
      this.comm = this.commText.trim();
      changed = true;
    }
    if (b.pid !== this.pid || b.tid !== this.tid) {
      this.pid = b.pid;
      this.tid = b.tid;
      changed ||= this.opts.pid === true || this.opts.tid === true;
    }
    if (changed) {
      // The collapser prints pid and tid as perf did (`java-?/25607` when only the tid is there).
      const h = { comm: this.comm, pid: b.pidStart < 0 ? '?' : text.slice(b.pidStart, b.pidEnd), tid: text.slice(b.tidStart, b.tidEnd) };
      this.processName = this.opts.tid || this.opts.pid || h.comm.includes(' ') ? copyString(processName(h, this.opts)) : h.comm;
      this.processFrame = -1;
      this.java = this.processName === 'java' ? 1 : 0;
    }
    // Without a callchain perf prints the single frame on the header line; a tracepoint prints its payload there.
    if (!isBlankRange(text, b.tailStart, end)) {
      const tail = text.slice(b.tailStart, end).trim();
      if (tail !== '' && /^[0-9a-fA-F]+ +\S/.test(tail) && tail.endsWith(')')) {
        this.frameLine(tail, lineNo);
        this.endSample();
      }
    }
  }

  private frameLine(line: string, lineNo: number): void {
    if (this.skipSample) return;
    const cache = this.lineCache[this.java]!;
    let ids = cache.get(line);
    if (ids === undefined) {
      const parsed = parseFrameLine(line);
      if (!parsed) {
        if (this.lastFrameLine !== undefined && isSrcline(line)) {
          this.srcline(line);
          return;
        }
        this.warn({ kind: 'weird-stack-line', line: lineNo, message: `not a perf stack frame: ${line.trim()}` });
        return;
      }
      const frames = this.frames;
      frames.length = 0;
      collapseFrameLine(parsed, this.java === 1, this.opts, frames);
      ids = this.intern(frames);
      cache.set(copyString(line), ids);
    }
    this.lastFrameLine = line;
    this.lastGroupStart = this.ids.length;
    for (let i = 0; i < ids.length; i++) this.ids.push(ids[i]!);
  }

  // Replaces the frames of the previous line with copies that carry the source position.
  private srcline(line: string): void {
    const key = `${this.lastFrameLine}\n${line}`;
    const cache = this.lineCache[this.java]!;
    let ids = cache.get(key);
    if (ids === undefined) {
      const src = line.trim();
      const m = /^(.*):(\d+)$/.exec(src);
      const parsed = parseFrameLine(this.lastFrameLine!)!;
      const frames = collapsedFrames(parsed, this.java === 1, this.opts);
      if (m && m[1] !== '??') {
        // Only the real (outermost) frame of the group gets the position; perf prints it for that line.
        const last = frames[frames.length - 1];
        if (last) {
          last.file = m[1];
          last.line = Number(m[2]);
        }
      }
      ids = this.intern(frames);
      cache.set(key, ids);
    }
    this.ids.length = this.lastGroupStart;
    for (let i = 0; i < ids.length; i++) this.ids.push(ids[i]!);
    this.lastFrameLine = undefined;
  }

  // Returns ids leaf first (the order perf prints lines in).
  private intern(frames: Frame[]): number[] {
    const ids: number[] = [];
    for (let i = frames.length - 1; i >= 0; i--) ids.push(this.interner.id(frames[i]!));
    return ids;
  }

  // The last sample counts even when no blank line ends it (perf script always prints one, but files get cut);
  // inferno keeps it too, while stackcollapse-perf.pl drops it because it records a sample at the blank line.
  endOfInput(): void {
    if (this.inSample) this.endSample();
  }

  endSample(): void {
    this.events++;
    if (this.inSample && !this.skipSample) this.record(this.ids, this.ids.join(','));
    this.resetSample();
  }

  private resetSample(): void {
    this.inSample = false;
    this.skipSample = false;
    // Setting an array's length is a runtime call even when it changes nothing; most samples end here empty.
    if (this.ids.length !== 0) this.ids.length = 0;
    this.lastFrameLine = undefined;
  }

  private record(leafFirst: readonly number[], idsKey: string, threads?: Map<number, StackEntry>): void {
    let processFrame = this.processFrame;
    if (processFrame < 0) {
      const pname = this.processName;
      processFrame = this.processIds.get(pname) ?? -1;
      if (processFrame < 0) {
        processFrame = this.interner.id({ name: pname, kind: 'process' });
        this.processIds.set(pname, processFrame);
      }
      this.processFrame = processFrame;
    }
    const pid = this.pid;
    const tid = this.tid;
    let entry = threads?.get(tid);
    if (entry === undefined || entry.processFrame !== processFrame || entry.pidKey !== pid) {
      const key = `${processFrame}|${pid}|${tid}|${idsKey}`;
      entry = this.stacks.get(key);
      if (entry === undefined) {
        const index = this.stacks.size;
        if (index === this.weights.length) {
          const grown = new Float64Array(index * 2);
          grown.set(this.weights);
          this.weights = grown;
        }
        entry = { pidKey: pid, leafFirst: leafFirst.slice(), processFrame, pid: pid >= 0 ? pid : undefined, tid, samples: 0, index };
        this.stacks.set(key, entry);
      }
      threads?.set(tid, entry);
    }
    entry.samples++;
    if (this.period >= 0) {
      this.weights[entry.index] += this.period;
      this.samplesWithPeriod++;
    } else {
      this.weights[entry.index] += 1;
      this.samplesWithoutPeriod++;
    }
  }

  build(): Profile {
    const types = this.sampleTypes();
    const builder = new ProfileBuilder(types.sampleTypes, types.defaultType);
    // Only frames some stack uses: a frame line later completed by a srcline leaves its plain twin unused.
    const remap: number[] = [];
    const id = (own: number) => (remap[own] ??= builder.frameId(definedFields(this.interner.frames[own]!)));
    for (const e of this.stacks.values()) {
      const frames = [id(e.processFrame)];
      for (let i = e.leafFirst.length - 1; i >= 0; i--) frames.push(id(e.leafFirst[i]!));
      const weight = this.weights[e.index]!;
      const values = [e.samples, types.cpuFromWeight ? weight : 0];
      if (types.sampleTypes.length > 2) values.push(weight);
      const labels: Record<string, number> = {};
      if (e.pid !== undefined) labels.pid = e.pid;
      labels.tid = e.tid;
      builder.addStack(frames, values, labels);
    }
    return builder.build();
  }

  private sampleTypes(): { sampleTypes: readonly SampleType[]; defaultType: number; cpuFromWeight: boolean } {
    const event = this.event ?? 'events';
    if (this.samplesWithPeriod === 0) return { sampleTypes: CPU_SAMPLE_TYPES, defaultType: 0, cpuFromWeight: false };
    if (CLOCK_EVENTS.has(event) && this.samplesWithoutPeriod === 0) {
      return { sampleTypes: CPU_SAMPLE_TYPES, defaultType: 1, cpuFromWeight: true };
    }
    const eventType = { type: event, unit: 'count' };
    return { sampleTypes: [...CPU_SAMPLE_TYPES, eventType], defaultType: 2, cpuFromWeight: false };
  }
}

// The frame without its undefined properties, as other parsers build frames.
function definedFields(frame: Frame): Frame {
  const out: Frame = { name: frame.name };
  for (const key of Object.keys(frame) as (keyof Frame)[]) if (frame[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = frame[key];
  return out;
}

// Map keys must not be slices of readline's chunk strings, or every cached line would pin a whole chunk.
function copyString(s: string): string {
  return (` ${s}`).slice(1);
}

// Detection reads the first sample with the parser's own recognisers: a header (any layout parsePerfHeader
// accepts: with or without cpu, time and period, e.g. `java 19983 cycles:` from older perf or
// `-F comm,pid,event,ip,sym,dso`) followed by what the parser takes after a header: a frame line, the blank
// line that ends the sample, or the next header (samples without a callchain).
function detect(head: readonly string[]): boolean {
  let i = 0;
  while (i < head.length && (head[i]!.startsWith('#') || isBlank(head[i]!))) i++;
  if (i >= head.length || !parsePerfHeader(head[i]!)) return false;
  const next = head[i + 1];
  return next === undefined || isBlank(next) || looksLikeFrameLine(next) || parsePerfHeader(next) !== null;
}

// Older perf printed frames without indentation (`ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])`);
// those must show their dso, or any line starting with a hex-looking word would pass.
function looksLikeFrameLine(line: string): boolean {
  const frame = parseFrameLine(line);
  return frame !== null && (line.charCodeAt(0) === 9 || line.charCodeAt(0) === 32 || frame.module !== undefined);
}

async function parse(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const collapser = new PerfCollapser(ctx, ctx.options.collapse ?? {});
  for await (const line of lines) collapser.line(line);
  collapser.endOfInput();
  return { format: 'perf-script', profile: collapser.build() };
}

// V8's optimizing compiler runs on other threads while the parser runs, and its work counts in the CPU time of
// every conversion: inlining the collapser's small methods into its loops made it compile much of the same code
// several times (perf script -> folded, 50 MB, perf stat -e task-clock -r 15: Java 183 -> 163 ms, C++ 219 -> 187,
// kernel 199 -> 175, Go unchanged), while the parse itself got no slower without it. So inlining is switched off
// for the optimizations made while perf script text is parsed, and back on afterwards for the rest of the program
// (left alone when node was started with an inlining flag of its own).
async function parseText(chunks: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  if (INLINING_SET_BY_USER) return collapseText(chunks, ctx);
  setFlagsFromString('--no-turbo-inlining');
  try {
    return await collapseText(chunks, ctx);
  } finally {
    setFlagsFromString('--turbo-inlining');
  }
}

// (NODE_OPTIONS cannot carry V8 flags such as this one.)
const INLINING_SET_BY_USER = process.execArgv.some((a) => /^--(no-)?turbo[-_]inlining$/.test(a));

async function collapseText(chunks: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const collapser = new PerfCollapser(ctx, ctx.options.collapse ?? {});
  let rest = '';
  for await (const chunk of chunks) {
    // What the last chunk left (a sample it cut) is joined with this chunk only up to the chunk's first blank line,
    // and the chunk is then read in place: joining whole chunks made V8 copy every chunk once more (flattening the
    // joined string), and reading a slice of it costs an indirection per character.
    let text = chunk;
    let from = 0;
    if (rest !== '') {
      const cut = chunk.indexOf('\n\n');
      if (cut < 0) text = rest + chunk;
      else {
        const head = rest + chunk.slice(0, cut + 2);
        const left = collapser.text(head);
        if (left === head.length) from = cut + 2;
        else text = head.slice(left) + chunk.slice(cut + 2);
      }
    }
    rest = text.slice(collapser.text(text, from));
  }
  const last = collapser.text(rest, 0, true);
  if (last < rest.length) collapser.lastLine(rest.slice(last));
  collapser.endOfInput();
  return { format: 'perf-script', profile: collapser.build() };
}

export const perfScriptParser: TextParser = { format: 'perf-script', detect, parse, parseText };
