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

const CLOCK_EVENTS = new Set(['cpu-clock', 'task-clock']);

/** Finds the header fields, or null when the line is not a sample header. */
export function parsePerfHeader(line: string): Header | null {
  const n = line.length;
  let pos = 0;
  for (;;) {
    while (pos < n && line.charCodeAt(pos) === 32) pos++;
    if (pos >= n) return null;
    const start = pos;
    while (pos < n && line.charCodeAt(pos) !== 32) pos++;
    // The word at column 0 is always the comm (which may itself be all digits); the pid needs a space after it.
    if (start === 0 || pos >= n) continue;
    const slash = pidTidSlash(line, start, pos);
    if (slash === -2) continue;
    const header = parseAfterPid(line, pos);
    if (!header) continue;
    header.comm = line.slice(0, start).trim();
    header.pid = slash < 0 ? '?' : line.slice(start, slash);
    header.tid = line.slice(slash < 0 ? start : slash + 1, pos);
    return header;
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

// Returns the header with comm, pid and tid still empty.
function parseAfterPid(line: string, pos: number): Header | null {
  const n = line.length;
  pos = skipSpaces(line, pos);
  if (line.charCodeAt(pos) === 91 /* [ */) {
    const close = line.indexOf(']', pos);
    if (close < 0 || !isDigits(line, pos + 1, close)) return null;
    pos = skipSpaces(line, close + 1);
  }
  // Optional time `secs.usecs:`.
  let p = pos;
  while (p < n && (isDigit(line.charCodeAt(p)) || line.charCodeAt(p) === 46)) p++;
  if (p > pos && line.charCodeAt(p) === 58 /* : */) pos = skipSpaces(line, p + 1);
  // Optional period.
  let period: number | undefined;
  p = pos;
  let value = 0;
  for (let c = line.charCodeAt(p); isDigit(c); c = line.charCodeAt(++p)) value = value * 10 + (c - 48);
  if (p > pos && line.charCodeAt(p) === 32) {
    // Beyond 15 digits the running sum may round differently from Number().
    period = p - pos > 15 ? Number(line.slice(pos, p)) : value;
    pos = skipSpaces(line, p);
  }
  // Event name: one word ending at the first `:` followed by a space or the end of line
  // (`cycles:u:`, `raw_syscalls:sys_enter:`).
  for (let q = pos; q < n; q++) {
    const c = line.charCodeAt(q);
    if (c === 32 || c === 9) return null;
    if (c === 58 && (q + 1 === n || line.charCodeAt(q + 1) === 32)) {
      if (q === pos) return null;
      return { comm: '', pid: '', tid: '', event: line.slice(pos, q), period, tail: q + 1 === n ? '' : line.slice(q + 1).trim() };
    }
  }
  return null;
}

function skipSpaces(line: string, pos: number): number {
  while (pos < line.length && line.charCodeAt(pos) === 32) pos++;
  return pos;
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
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
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
  let rawfunc = f.sym;
  const off = rawfunc.lastIndexOf('+0x');
  if (off >= 0 && (off + 3 === rawfunc.length || isHex(rawfunc.slice(off + 3)))) rawfunc = rawfunc.slice(0, off);
  // FlameGraph skips "process name" frames such as `(/usr/bin/foo)`.
  if (rawfunc.startsWith('(')) return [];
  const module = f.module ?? '';
  const perfInlined = f.module === 'inlined';
  const address = perfInlined ? undefined : safeAddress(f.pc);
  const kind = frameKind(perfInlined ? undefined : f.module);
  const pieces = rawfunc.split('->');
  return pieces.map((piece, i) => {
    let name = piece;
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
    const frame: Frame = { name, kind };
    if (f.module !== undefined && !perfInlined && f.module !== '[unknown]') frame.module = f.module;
    if (perfInlined || i > 0) frame.inlined = true;
    if (address !== undefined) frame.address = address;
    return frame;
  });
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
  threads: Map<string, StackEntry>;
}

function fingerprint(text: string, start: number, end: number): number {
  const n = end - start;
  let h = n;
  for (let i = 1; i <= 16; i++) h = (Math.imul(h, 31) + text.charCodeAt(start + (((n - 1) * i) >> 4))) | 0;
  return h;
}

interface StackEntry {
  /** The pid as printed, which with the process frame, tid and frames tells stacks apart. */
  pidText: string;
  /** Frame ids (our own numbering), leaf first, without the process frame. */
  leafFirst: number[];
  processFrame: number;
  pid?: number;
  tid?: number;
  samples: number;
  /** Sum of periods, 1 for samples without one: the collapser's count. */
  weight: number;
}

// Streams samples into aggregated stacks; only distinct frame lines and distinct stacks are kept in memory.
class PerfCollapser {
  /** Every frame seen; build() hands the profile only those some stack uses. */
  private readonly interner = new FrameInterner();
  /** Frame line text -> frame ids (leaf first), one cache for `java*` processes and one for the rest. */
  private readonly lineCache = [new Map<string, readonly number[]>(), new Map<string, readonly number[]>()];
  private readonly processIds = new Map<string, number>();
  private readonly stacks = new Map<string, StackEntry>();
  /** Callchain text -> its frames, one cache for `java*` processes and one for the rest (as lineCache). */
  private readonly blockCache = [new Map<number, CachedBlock[]>(), new Map<number, CachedBlock[]>()];
  private blockCacheChars = 0;
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

  // Current sample.
  private inSample = false;
  private skipSample = false;
  private header: Header | undefined;
  private java = 0;
  /** Root frame name of the current sample. */
  private processName = '';
  private readonly ids: number[] = [];
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
    else this.headerLine(line, lineNo);
  }

  /**
   * Consumes lines of `text` and returns the index of the first one it left for later: the unterminated last
   * line, or a callchain the text does not finish (so that it can be looked up whole with the next text).
   * Gives the same results as feeding the lines one by one to line(). `final`: no more text follows, so only
   * the unterminated last line is left.
   */
  text(text: string, final = false): number {
    let pos = 0;
    // Index of the next empty line's preceding newline at or after pos (-1: none in this text); searching once
    // per text region keeps inputs without `\n\n` (CRLF, no callchains) linear.
    let nextBreak = -2;
    for (;;) {
      if (this.inSample && !this.skipSample && this.ids.length === 0 && this.lastFrameLine === undefined) {
        if (nextBreak !== -1 && nextBreak < pos) nextBreak = text.indexOf('\n\n', pos);
        if (nextBreak > pos && nextBreak - pos <= MAX_BLOCK_CHARS) {
          pos = this.block(text, pos, nextBreak);
          continue;
        }
        if (nextBreak === -1 && !final && text.length - pos <= MAX_BLOCK_CHARS) return pos;
      }
      const nl = text.indexOf('\n', pos);
      if (nl < 0) return pos;
      this.line(text.slice(pos, nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      pos = nl + 1;
    }
  }

  /** The last line of the input, when it has no newline. */
  lastLine(line: string): void {
    this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  // The callchain text[start, end) (end: its last newline) followed by an empty line; returns the index after that line.
  private block(text: string, start: number, end: number): number {
    const key = text.slice(start, end);
    const fp = fingerprint(text, start, end);
    const cache = this.blockCache[this.java]!;
    const bucket = cache.get(fp);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        const hit = bucket[i]!;
        if (hit.text !== key) continue;
        this.lineNo += hit.lines + 1;
        this.record(this.header!, hit.ids, hit.idsKey, hit.threads);
        this.resetSample();
        return end + 2;
      }
    }
    const events = this.events;
    const lineNo = this.lineNo;
    let pos = start;
    while (pos <= end) {
      const nl = text.indexOf('\n', pos);
      this.line(text.slice(pos, nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      pos = nl + 1;
    }
    const fits = (bucket?.length ?? 0) < BUCKET_SIZE && this.blockCacheChars + key.length <= BLOCK_CACHE_CHARS;
    if (fits && this.events === events && this.inSample && !this.skipSample) {
      const ids = this.ids.slice();
      const entry = { text: copyString(key), ids, idsKey: ids.join(','), lines: this.lineNo - lineNo, threads: new Map() };
      if (bucket) bucket.push(entry);
      else cache.set(fp, [entry]);
      this.blockCacheChars += key.length;
    }
    return pos;
  }

  private warn(warning: Omit<ParseWarning, 'file'>): void {
    this.events++;
    this.ctx.warn(warning);
  }

  private headerLine(line: string, lineNo: number): void {
    const h = parsePerfHeader(line);
    if (!h) {
      this.warn({ kind: 'weird-event-line', line: lineNo, message: `not a perf sample header: ${line.trim()}` });
      return;
    }
    this.inSample = true;
    this.header = h;
    this.ids.length = 0;
    this.lastFrameLine = undefined;
    if (h.event !== this.rawEvent) {
      this.rawEvent = h.event;
      this.rawEventName = eventName(h.event);
    }
    const event = this.rawEventName;
    if (this.eventFilter === undefined) this.eventFilter = event;
    if (event !== this.eventFilter && h.event !== this.eventFilter) {
      this.skipSample = true;
      return;
    }
    this.event ??= event;
    this.processName = this.opts.tid || this.opts.pid || h.comm.includes(' ') ? processName(h, this.opts) : h.comm;
    this.java = this.processName === 'java' ? 1 : 0;
    // Without a callchain perf prints the single frame on the header line; a tracepoint prints its payload there.
    if (h.tail !== '' && /^[0-9a-fA-F]+ +\S/.test(h.tail) && h.tail.endsWith(')')) {
      this.frameLine(h.tail, lineNo);
      this.endSample();
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
      ids = this.intern(collapsedFrames(parsed, this.java === 1, this.opts));
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
    const h = this.header;
    if (this.inSample && !this.skipSample && h) this.record(h, this.ids, this.ids.join(','));
    this.resetSample();
  }

  private resetSample(): void {
    this.inSample = false;
    this.skipSample = false;
    this.header = undefined;
    // Setting an array's length is a runtime call even when it changes nothing; most samples end here empty.
    if (this.ids.length !== 0) this.ids.length = 0;
    this.lastFrameLine = undefined;
  }

  private record(h: Header, leafFirst: readonly number[], idsKey: string, threads?: Map<string, StackEntry>): void {
    const pname = this.processName;
    let processFrame = this.processIds.get(pname);
    if (processFrame === undefined) {
      processFrame = this.interner.id({ name: pname, kind: 'process' });
      this.processIds.set(pname, processFrame);
    }
    let entry = threads?.get(h.tid);
    if (entry === undefined || entry.processFrame !== processFrame || entry.pidText !== h.pid) {
      const key = `${processFrame}|${h.pid}|${h.tid}|${idsKey}`;
      entry = this.stacks.get(key);
      if (entry === undefined) {
        entry = { pidText: h.pid, leafFirst: leafFirst.slice(), processFrame, samples: 0, weight: 0 };
        if (h.pid !== '?') entry.pid = Number(h.pid);
        entry.tid = Number(h.tid);
        this.stacks.set(key, entry);
      }
      threads?.set(h.tid, entry);
    }
    entry.samples++;
    if (h.period !== undefined) {
      entry.weight += h.period;
      this.samplesWithPeriod++;
    } else {
      entry.weight += 1;
      this.samplesWithoutPeriod++;
    }
  }

  build(): Profile {
    const types = this.sampleTypes();
    const builder = new ProfileBuilder(types.sampleTypes, types.defaultType);
    // Only frames some stack uses: a frame line later completed by a srcline leaves its plain twin unused.
    const remap: number[] = [];
    const id = (own: number) => (remap[own] ??= builder.frameId(this.interner.frames[own]!));
    for (const e of this.stacks.values()) {
      const frames = [id(e.processFrame)];
      for (let i = e.leafFirst.length - 1; i >= 0; i--) frames.push(id(e.leafFirst[i]!));
      const values = [e.samples, types.cpuFromWeight ? e.weight : 0];
      if (types.sampleTypes.length > 2) values.push(e.weight);
      const labels: Record<string, number> = {};
      if (e.pid !== undefined) labels.pid = e.pid;
      if (e.tid !== undefined) labels.tid = e.tid;
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

async function parseText(chunks: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const collapser = new PerfCollapser(ctx, ctx.options.collapse ?? {});
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest === '' ? chunk : rest + chunk;
    rest = text.slice(collapser.text(text));
  }
  const last = collapser.text(rest, true);
  if (last < rest.length) collapser.lastLine(rest.slice(last));
  collapser.endOfInput();
  return { format: 'perf-script', profile: collapser.build() };
}

export const perfScriptParser: TextParser = { format: 'perf-script', detect, parse, parseText };
