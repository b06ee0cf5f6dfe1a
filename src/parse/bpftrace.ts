// bpftrace map output (text or `-f json`) -> syscall table and, when maps hold stacks, a profile.
//
// Produced by: classic one-liners and tools, e.g.
//   bpftrace -e 'tracepoint:raw_syscalls:sys_enter /pid == 123/ { @[args->id] = count(); }'
//   bpftrace /usr/sbin/syscount.bt          (`@syscall[<nr>]`, `@process[<comm>]`)
//   bpftrace -e 'profile:hz:99 /pid == 123/ { @[ustack, kstack] = count(); }'
//   and netprobe's own script (src/capture/bpftrace-script.ts: @calls, @returns, @threads, @stacks; earlier
//   versions printed @errors, @ns and @inflight instead of @returns).
// References: bpftrace 0.17 output (src/output.cpp) https://github.com/bpftrace/bpftrace/blob/v0.17.0/src/output.cpp,
// FlameGraph's stackcollapse-bpftrace.pl for multi-line stack keys. Real input (bpftrace 0.17, fixtures/bpftrace/):
//   @calls[257]: 150                  -> openat: 150 calls (x86_64 numbers unless options.arch says otherwise)
//   @errors[257, 2]: 150              -> openat: 150 errors, ENOENT 150
//   @ns[257]: 339480                  -> openat: 0.00033948 s
//   @[tracepoint:syscalls:sys_enter_getppid]: 3000   -> getppid: 3000 calls
//   @stacks[
//   	7f988f0332ec __libc_read+76 (/usr/lib/x86_64-linux-gnu/libc.so.6)
//   , 0]: 1                           -> profile sample __libc_read;read (calls 1)
//   {"type": "map", "data": {"@errors": {"3,9": 60}}}   -> close: 60 errors, EBADF 60
//   @returns[0, 0]: 2 and @returns[0, 11]: 1, with @calls[0]: 4   (the two-probe script: calls counted at entry)
//                                     -> read: 1 error (EAGAIN 1), 1 call in flight at the end (4 made, 3 returned);
//                                        @returns[-1, ...] are rt_sigreturn's returns (sys_exit's id is -1 then)
//   @inflight[4711]: 0                -> read: 1 call in flight at the end (thread 4711 had not returned)
//   netprobe: probes attached; calls in flight at the end = @calls - @returns
//                                     (and then only blank lines) -> an empty table: the target was idle, no
//                                        call in flight, time not measured
//   netprobe: probes attached         (older scripts, with @ns) -> the same, time measured, in flight unknown
//   netprobe: probes attached; @inflight lists calls in flight at the end
//                                     -> (older scripts, with @ns) no call in flight when @inflight is absent
//   netprobe: probes attached; calls = @returns + @calls (exits) + @inflight
//   @returns[0, 0]: 2, @returns[0, 11]: 1, @calls[231]: 1, and after the maps (appended by the capture)
//   netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall
//   @inflight[4711]: 0                -> read: 4 calls (1 EAGAIN, 1 in flight at the end), exit_group: 1 call;
//                                        without the "in flight" line, calls in flight are unknown; a thread not
//                                        in @threads (no return during the capture) is not counted: its call
//                                        was made before the capture
//   netprobe: calls in flight at the end unknown: /proc/9/task/9/syscall: EACCES   -> unknown, with a warning
//
// Which map means what is decided by its key shape and name (see classify()); maps that are not about
// syscalls (`@[comm]`, `@process[...]`), unkeyed counters and histograms are skipped with a warning.
import { errnoName } from '../model/errno.js';
import { ParseError } from '../model/errors.js';
import { ProfileBuilder, SYSCALL_SAMPLE_TYPES, type Frame, type Profile } from '../model/profile.js';
import { normalizeArch, syscallName, type SyscallArch } from '../model/syscall-numbers.js';
import { SyscallTableBuilder } from '../model/syscalls.js';
import { COUNT_EXPECTED } from './counts.js';
import { BLOCKED_SEED, IN_FLIGHT_HEADER, IN_FLIGHT_UNKNOWN, NETPROBE_READY_AT_RETURN, NETPROBE_READY_NO_COUNTS, NETPROBE_READY_PREFIX, NETPROBE_READY_RETURNS } from './bpftrace-markers.js';
import { BPFTRACE_ATTACHING as ATTACHING, detectBpftrace } from './detectors.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

// Headings bpftrace's own tools print around print(@map, N), e.g. syscount.bt's "Top 10 syscalls IDs:".
const TOP_N = /^Top (\d+) [\w ]+:\s*$/;
const TOOL_BANNER = /^(Counting|Tracing) .*(Ctrl-C|Hit Ctrl-C).*$/;
const MAP_LINE = /^(@\w*)(\[.*\])?: /;
const MAP_KEY_OPEN = /^(@\w*)\[(.*)$/;
const KEY_CLOSE = /^(.*)\]: (.*)$/;
const JSON_EVENT = /^\{"type": ?"/;
// bpftrace prints this when it cannot raise the limit; loading works anyway on kernels with memcg accounting.
const MEMLOCK_WARNING = /RLIMIT_MEMLOCK/;
// netprobe's own programs print one of these from BEGIN (bpftrace-markers.ts; the older ones here).
const NETPROBE_READY_INFLIGHT = `${NETPROBE_READY_PREFIX}; @inflight lists calls in flight at the end`;
const NETPROBE_READY_LINES: ReadonlySet<string> = new Set([NETPROBE_READY_PREFIX, NETPROBE_READY_INFLIGHT, NETPROBE_READY_RETURNS, NETPROBE_READY_AT_RETURN, NETPROBE_READY_NO_COUNTS]);
const HIST_BUCKET = /^[[(].*\|/;
const INTEGER = /^-?\d+$/;

export const bpftraceParser: TextParser = {
  format: 'bpftrace',
  detect: detectBpftrace,
  parse: parseBpftrace,
};

type KeyPart = { scalar: string } | { stack: string[] };

/** Everything the maps said, kept per syscall name until the end decides which source wins. */
class Collected {
  readonly calls = new Map<string, number>();
  readonly perThreadCalls = new Map<string, number>();
  readonly stackCalls = new Map<string, number>();
  readonly errnos = new Map<string, Map<string, number>>();
  readonly nanoseconds = new Map<string, number>();
  readonly threads = new Set<string>();
  /** netprobe's @threads[tid] values (1: made a call; 2: exited; BLOCKED_SEED + nr: seeded as blocked, not returned since). */
  readonly threadMarks = new Map<string, number>();
  /** Calls in flight at the end by syscall name (netprobe's @inflight: one entry per thread). */
  readonly inFlight = new Map<string, number>();
  /** The same by thread: tid -> syscall name. */
  readonly inFlightThreads = new Map<string, string>();
  /** Completed calls by syscall name (netprobe's @returns), when the output pairs calls with returns. */
  readonly returned = new Map<string, number>();
  /** The output says which calls were in flight (netprobe's script names @inflight or @returns, or the map was printed). */
  inFlightKnown = false;
  /** In flight = calls - returns (netprobe's @returns script). */
  inFlightFromReturns = false;
  /** Calls = returns + exits (@calls) + in flight (netprobe's sys_exit script). */
  callsAtReturn = false;
  hasTime = false;
  readonly syscallStacks = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
  readonly cpuStacks = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
}

class BpftraceReader {
  private readonly data = new Collected();
  private readonly warned = new Set<string>();
  private pendingKey: { map: string; lines: string[]; line: number } | undefined;
  private histogram: string | undefined;
  private sawMap = false;
  /** netprobe's own script printed its ready line: no maps then means no syscalls, not a wrong input. */
  private netprobeScript = false;

  constructor(
    private readonly ctx: ParseContext,
    private readonly arch: SyscallArch,
  ) {}

  line(text: string, lineNo: number): void {
    if (this.pendingKey) return this.continueKey(text);
    if (this.histogram !== undefined) {
      if (HIST_BUCKET.test(text)) return;
      this.histogram = undefined;
    }
    if (NETPROBE_READY_LINES.has(text)) return this.sawReadyLine(text);
    if (text === IN_FLIGHT_HEADER) {
      this.data.inFlightKnown = true;
      return;
    }
    if (text.startsWith(IN_FLIGHT_UNKNOWN)) {
      this.warnOnce('in-flight', 'in-flight-unknown', lineNo, `calls in flight at the end are unknown: ${text.slice(IN_FLIGHT_UNKNOWN.length).trim()}`);
      return;
    }
    if (text.trim() === '' || ATTACHING.test(text)) return;
    if (MEMLOCK_WARNING.test(text)) return;
    if (JSON_EVENT.test(text)) return this.jsonLine(text, lineNo);

    const open = MAP_KEY_OPEN.exec(text);
    if (open && !KEY_CLOSE.test(open[2]!)) {
      this.pendingKey = { map: open[1]!, lines: [open[2]!], line: lineNo };
      return;
    }
    const entry = MAP_LINE.exec(text);
    if (entry) {
      const map = entry[1]!;
      const value = text.slice(entry[0].length).trim();
      const key = entry[2] === undefined ? [] : parseKey([entry[2].slice(1, -1)]);
      if (value === '') {
        // `@usecs:` or `@lat[1]:` followed by `[lo, hi)  n |@@@|` buckets.
        this.histogram = map;
        this.warnOnce(map, 'histogram-skipped', lineNo, `skipped histogram map ${map}: netprobe reads counts, sums and stacks`);
        return;
      }
      return this.entry(map, key, value, lineNo);
    }
    const top = TOP_N.exec(text);
    if (top) {
      // syscount.bt and friends print(@map, N): only the N largest entries reach the output.
      this.warnOnce('top', 'truncated-map', lineNo, `the tool printed only its top ${top[1]} entries; totals cover those alone`);
      return;
    }
    if (TOOL_BANNER.test(text)) return;
    this.warnOnce(`printf:${text}`, 'printf-line', lineNo, `skipped a line that is not a map entry: ${text.trim()}`);
  }

  private sawReadyLine(text: string): void {
    this.netprobeScript = true;
    // Scripts before @returns always printed @ns: an empty capture of theirs still measured time (none).
    if (text === NETPROBE_READY_PREFIX || text === NETPROBE_READY_INFLIGHT) this.data.hasTime = true;
    if (text === NETPROBE_READY_AT_RETURN) this.data.callsAtReturn = true;
    if (text === NETPROBE_READY_INFLIGHT) this.data.inFlightKnown = true;
    if (text === NETPROBE_READY_RETURNS) this.data.inFlightKnown = this.data.inFlightFromReturns = true;
  }

  private continueKey(text: string): void {
    const pending = this.pendingKey!;
    // Frames are indented; a line starting with `,` or `]` separates or closes key parts.
    const close = /^\s/.test(text) ? null : KEY_CLOSE.exec(text);
    if (!close) {
      pending.lines.push(text);
      if (pending.lines.length > 10_000) {
        throw new ParseError(this.ctx.file, pending.line, `the end of the key of ${pending.map} (\`]: <count>\`)`, text);
      }
      return;
    }
    this.pendingKey = undefined;
    pending.lines.push(close[1]!);
    this.entry(pending.map, parseKey(pending.lines), close[2]!.trim(), pending.line);
  }

  private jsonLine(text: string, lineNo: number): void {
    let event: JsonValue;
    try {
      event = parseJson(text);
    } catch {
      throw new ParseError(this.ctx.file, lineNo, 'a bpftrace -f json event', text);
    }
    const type = lookup(event, 'type');
    const data = lookup(event, 'data');
    if (type === 'attached_probes') return;
    if (type === 'printf') {
      const printed = typeof data === 'string' ? data.trim() : '';
      if (NETPROBE_READY_LINES.has(printed)) this.sawReadyLine(printed);
      else if (printed !== '') {
        this.warnOnce(`printf:${printed}`, 'printf-line', lineNo, `skipped printf output: ${printed}`);
      }
      return;
    }
    const maps = isObject(data) ? data.entries : [];
    if (type !== 'map') {
      const names = maps.map(([name]) => name).join(', ');
      const kind = type === 'hist' || type === 'lhist' ? 'histogram-skipped' : 'unsupported-json-event';
      this.warnOnce(`${String(type)}:${names}`, kind, lineNo, `skipped bpftrace JSON event of type ${String(type)} ${names}`.trim());
      return;
    }
    for (const [map, entries] of maps) {
      if (typeof entries === 'number') {
        this.entry(map, [], String(entries), lineNo);
        continue;
      }
      for (const [key, value] of isObject(entries) ? entries.entries : []) {
        if (typeof value !== 'number') {
          this.warnOnce(map, 'histogram-skipped', lineNo, `skipped histogram map ${map}: netprobe reads counts, sums and stacks`);
          break;
        }
        // JSON keys are the text keys without brackets: "3,9", or "\n\tframe\n,0" for stacks.
        this.entry(map, parseKey(key.split('\n')), String(value), lineNo);
      }
    }
  }

  private entry(map: string, key: KeyPart[], valueText: string, lineNo: number): void {
    if (!INTEGER.test(valueText)) {
      this.warnOnce(map, 'unsupported-value', lineNo, `skipped map ${map}: values like \`${valueText}\` are not counts`);
      return;
    }
    this.sawMap = true;
    const value = Number(valueText);
    if (!Number.isSafeInteger(value)) throw new ParseError(this.ctx.file, lineNo, COUNT_EXPECTED, `${map}: ${valueText}`);
    const stacks = key.filter((k): k is { stack: string[] } => 'stack' in k);
    const scalars = key.filter((k): k is { scalar: string } => 'scalar' in k).map((k) => k.scalar);
    if (stacks.length > 0) return this.stackEntry(map, stacks, scalars, value);

    const d = this.data;
    const role = classify(map, scalars, this.arch);
    switch (role) {
      case 'calls':
        add(d.calls, this.syscall(scalars[0]!), value);
        return;
      case 'time':
        d.hasTime = true;
        add(d.nanoseconds, this.syscall(scalars[0]!), value);
        return;
      case 'errors':
        this.addErrors(this.syscall(scalars[0]!), Math.abs(Number(scalars[1])), value);
        return;
      case 'returns': {
        // sys_exit's id is -1 after rt_sigreturn (the kernel resets orig_ax): those are its returns, and what
        // looks like an errno is the interrupted code's register, not rt_sigreturn's error.
        const nr = Number(scalars[0]);
        const errno = Number(scalars[1]);
        add(d.returned, nr < 0 ? 'rt_sigreturn' : this.syscall(scalars[0]!), value);
        if (nr >= 0 && errno > 0) this.addErrors(this.syscall(scalars[0]!), errno, value);
        return;
      }
      case 'thread-calls':
        // `@[comm, args->id]` is keyed by process name: calls per syscall, but no thread ids to count.
        if (INTEGER.test(scalars[0]!)) d.threads.add(scalars[0]!);
        add(d.perThreadCalls, this.syscall(scalars[1]!), value);
        return;
      case 'threads':
        d.threadMarks.set(scalars[0]!, value);
        return;
      case 'in-flight':
        // Keyed by thread, valued by the syscall number it was inside.
        d.inFlightKnown = true;
        // A thread is inside one call: an entry seen twice (a section appended twice) counts once.
        d.inFlightThreads.set(scalars[0]!, this.syscall(valueText));
        return;
      default:
        this.warnOnce(map, role, lineNo, skipMessage(map, role));
    }
  }

  private addErrors(name: string, errno: number, count: number): void {
    let byErrno = this.data.errnos.get(name);
    if (!byErrno) this.data.errnos.set(name, (byErrno = new Map()));
    add(byErrno, errnoName(errno), count);
  }

  private stackEntry(map: string, stacks: { stack: string[] }[], scalars: string[], value: number): void {
    const frames: Frame[] = [];
    // Non-syscall scalars (comm, pid) become root frames, like bcc's folded `comm;frames`.
    // A trailing number is a syscall only in a map named for it (netprobe's @stacks[ustack, nr]); in
    // `@[ustack, pid]` it is a pid. Probe names (`tracepoint:syscalls:sys_enter_read`) say so themselves.
    const last = scalars[scalars.length - 1];
    const syscallKey = last !== undefined && (syscallFromProbe(last) !== undefined || (INTEGER.test(last) && SYSCALL_STACK_MAPS.test(map)));
    // The sys_exit script's id is -1 after rt_sigreturn, as in @returns.
    const syscall = syscallKey ? (this.data.callsAtReturn && Number(last) < 0 ? 'rt_sigreturn' : this.syscall(last!)) : undefined;
    for (const s of syscall === undefined ? scalars : scalars.slice(0, -1)) frames.push({ name: s, kind: 'process' });
    // bpftrace prints leaf first; user stacks go below kernel stacks whatever their order in the key.
    const parsed = stacks.map((s) => s.stack.map(parseFrame).reverse());
    const kernelFirst = (f: Frame[]) => (f.some((x) => x.kind === 'kernel') ? 1 : 0);
    parsed.sort((a, b) => kernelFirst(a) - kernelFirst(b));
    for (const p of parsed) frames.push(...p);
    if (syscall !== undefined) {
      frames.push({ name: syscall, kind: 'syscall' });
      this.data.syscallStacks.add(frames, [value, 0, 0]);
      add(this.data.stackCalls, syscall, value);
    } else {
      this.data.cpuStacks.add(frames, [value]);
    }
  }

  private syscall(key: string): string {
    if (INTEGER.test(key)) return syscallName(Number(key), this.arch);
    return syscallFromProbe(key) ?? key;
  }

  private warnOnce(id: string, kind: string, line: number, message: string): void {
    if (this.warned.has(`${kind}:${id}`)) return;
    this.warned.add(`${kind}:${id}`);
    this.ctx.warn({ kind, line, message });
  }

  finish(lineNo: number): ParseResult {
    if (this.pendingKey) {
      throw new ParseError(this.ctx.file, lineNo, `the end of the key of ${this.pendingKey.map} (\`]: <count>\`) before the end of input`);
    }
    // bpftrace prints nothing for an empty map: an idle target under netprobe's script leaves no map at all.
    if (!this.sawMap && !this.netprobeScript) throw new ParseError(this.ctx.file, Math.max(lineNo, 1), 'bpftrace output with at least one map of counts');
    const d = this.data;
    if (!this.netprobeScript && d.returned.size > 0) this.inferDialect(lineNo);
    // The sys_exit script seeds threads blocked before the capture as 1000 + nr: 1 once they returned.
    for (const [tid, mark] of d.threadMarks) if (!d.callsAtReturn || mark === 1) d.threads.add(tid);
    // With the sys_exit script, a thread seeded as blocked that never returned during the capture (an idle worker
    // in futex, still 1000 + nr) is in the call it made before it: no call of the capture. Any other thread entered
    // the call it is in during the capture: one that returned since, and one that was running when the probes
    // attached (not seeded) and has been blocked ever since.
    for (const [tid, name] of d.inFlightThreads) {
      if (d.callsAtReturn && (d.threadMarks.get(tid) ?? 0) >= BLOCKED_SEED) continue;
      add(d.inFlight, name, 1);
      // It made that call: a thread that made a syscall, whether or not one returned.
      d.threads.add(tid);
    }
    // One source of call counts, the most direct one: a calls map, else per-thread maps, else syscall stacks;
    // netprobe's sys_exit script counts returns, exits and the calls in flight.
    const calls = d.callsAtReturn
      ? sumCounts(d.returned, d.calls, d.inFlight)
      : d.calls.size > 0
        ? d.calls
        : d.perThreadCalls.size > 0
          ? d.perThreadCalls
          : d.stackCalls;
    const table = new SyscallTableBuilder();
    const names = new Set([...calls.keys(), ...d.errnos.keys(), ...d.nanoseconds.keys()]);
    for (const name of names) {
      const errnos = Object.fromEntries(d.errnos.get(name) ?? []);
      const errors = Object.values(errnos).reduce((a, b) => a + b, 0);
      table.add(name, calls.get(name) ?? 0, errors, (d.nanoseconds.get(name) ?? 0) / 1e9, errnos);
    }
    table.hasTime = d.hasTime;
    for (const t of d.threads) table.seeThread(t);
    if (d.inFlightKnown) table.tracksInFlight();
    for (const [name, n] of d.inFlight) table.addInFlight(name, n);
    if (d.inFlightFromReturns) this.inFlightFromReturns(table, calls, lineNo);

    const result: ParseResult = { format: 'bpftrace', syscalls: table.build(this.netprobeScript ? d.threads.size : undefined) };
    const profile = this.profile();
    if (profile) result.profile = profile;
    if (d.threads.size > 0) result.meta = { threads: d.threads.size };
    return result;
  }

  // netprobe's @returns without its ready line (the first lines cut off): @calls holding only exit and exit_group
  // means the sys_exit script (calls = returns + exits), else the two-probe one (in flight = calls - returns).
  // Said, since the calls in flight are then unknown or guessed.
  private inferDialect(lineNo: number): void {
    const d = this.data;
    const exitsOnly = [...d.calls.keys()].every((name) => name === 'exit' || name === 'exit_group');
    if (exitsOnly) d.callsAtReturn = true;
    else d.inFlightFromReturns = d.inFlightKnown = true;
    const how = exitsOnly ? 'calls counted at return (netprobe\'s sys_exit script)' : 'calls counted at entry, @calls - @returns in flight';
    this.warnOnce('dialect', 'no-ready-line', lineNo, `@returns without netprobe's ready line: read as ${how}`);
  }

  // Made and not returned. More returns than calls would mean a return paired with a call made before the
  // capture, which the script rules out: said, never hidden in a negative count.
  private inFlightFromReturns(table: SyscallTableBuilder, calls: ReadonlyMap<string, number>, lineNo: number): void {
    const returned = this.data.returned;
    for (const name of new Set([...calls.keys(), ...returned.keys()])) {
      const n = (calls.get(name) ?? 0) - (returned.get(name) ?? 0);
      if (n > 0) table.addInFlight(name, n);
      else if (n < 0) this.warnOnce(name, 'returns-exceed-calls', lineNo, `${name}: ${-n} more returns than calls in @returns; its calls in flight are unknown`);
    }
  }

  private profile(): Profile | undefined {
    const { syscallStacks, cpuStacks } = this.data;
    if (syscallStacks.sampleCount > 0) {
      if (cpuStacks.sampleCount > 0) {
        this.ctx.warn({ kind: 'mixed-stacks', line: 0, message: 'kept syscall stacks; stack maps without a syscall key were skipped' });
      }
      return syscallStacks.build();
    }
    return cpuStacks.sampleCount > 0 ? cpuStacks.build() : undefined;
  }
}

function sumCounts(...maps: ReadonlyMap<string, number>[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) add(sum, k, v);
  return sum;
}

/** Reads bpftrace output into a syscall table (and a profile when maps hold stacks). */
export async function parseBpftrace(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const arch = normalizeArch(ctx.options.arch ?? process.arch);
  const reader = new BpftraceReader(ctx, arch);
  let lineNo = 0;
  for await (const line of lines) reader.line(line, ++lineNo);
  return reader.finish(lineNo);
}

type Role = 'calls' | 'time' | 'errors' | 'returns' | 'thread-calls' | 'threads' | 'in-flight' | 'not-syscalls' | 'unkeyed-map' | 'unknown-map';

const TIME_MAPS = /^@(ns|nsecs|time|time_ns|ns_total|total_ns)$/;
const ERROR_MAPS = /^@(errors?|errnos?|err|fails?|failures?)$/;
const THREAD_MAPS = /^@(threads?|tids?)$/;
const IN_FLIGHT_MAP = '@inflight';
const RETURNS_MAP = '@returns';
const SYSCALL_STACK_MAPS = /^@(stacks?|syscall_stacks?|syscalls?)$/;
const PROCESS_MAPS = /^@(process|processes|comm|comms|pids?)$/;

// Decides what a map means from its name and key shape (see the header for the shapes netprobe reads).
function classify(map: string, keys: string[], arch: SyscallArch): Role {
  if (keys.length === 0) return 'unkeyed-map';
  if (keys.length === 1) {
    if (THREAD_MAPS.test(map)) return 'threads';
    if (map === IN_FLIGHT_MAP && INTEGER.test(keys[0]!)) return 'in-flight';
    if (PROCESS_MAPS.test(map) || !isSyscallKey(keys[0]!)) return 'not-syscalls';
    return TIME_MAPS.test(map) ? 'time' : 'calls';
  }
  if (keys.length === 2) {
    const [a, b] = keys as [string, string];
    if (map === RETURNS_MAP && INTEGER.test(a) && INTEGER.test(b)) return 'returns';
    if (ERROR_MAPS.test(map) && isSyscallKey(a) && INTEGER.test(b)) return 'errors';
    if (THREAD_MAPS.test(map) && isSyscallKey(b)) return 'thread-calls';
    if (map === '@' || !ERROR_MAPS.test(map)) {
      if (!INTEGER.test(a) && isSyscallKey(b)) return 'thread-calls'; // @[comm, args->id]
      if (INTEGER.test(a) && INTEGER.test(b)) return looksLikeErrno(Number(a), Number(b), arch) ? 'errors' : 'thread-calls';
      if (isSyscallKey(a) && INTEGER.test(b)) return 'errors'; // @[probe, -args->ret]
    }
  }
  return 'unknown-map';
}

// Unnamed `@[a, b]` of two integers is either (syscall nr, errno) or (tid, syscall nr): an errno is
// negative (`args->ret` as is) or a known errno value, and the first key is then a known syscall number.
function looksLikeErrno(a: number, b: number, arch: SyscallArch): boolean {
  if (b < 0) return true;
  const knownSyscall = !syscallName(a, arch).startsWith('syscall_0x');
  return knownSyscall && ((b >= 1 && b <= 133) || (b >= 512 && b <= 531));
}

function skipMessage(map: string, role: Role): string {
  switch (role) {
    case 'not-syscalls':
      return `skipped map ${map}: its keys are not syscalls (process names or ids)`;
    case 'unkeyed-map':
      return `skipped map ${map}: a single counter without keys`;
    default:
      return `skipped map ${map}: its key shape is not one netprobe knows`;
  }
}

function isSyscallKey(key: string): boolean {
  return INTEGER.test(key) || syscallFromProbe(key) !== undefined;
}

// `tracepoint:syscalls:sys_enter_read`, `kprobe:__x64_sys_read`, `kfunc:vmlinux:__arm64_sys_read` -> read.
function syscallFromProbe(key: string): string | undefined {
  const m = /^[a-z_]+:(?:[\w.-]+:)?(?:sys_(?:enter|exit)_|__x64_sys_|__arm64_sys_|__ia32_sys_|__se_sys_|sys_)(\w+)$/.exec(key);
  return m?.[1];
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

// Splits a key into scalar and stack parts. `lines` is the key text split at newlines: every newline
// begins a stack whose frames are the indented lines; other lines carry `, `-separated scalars.
function parseKey(lines: string[]): KeyPart[] {
  const parts: KeyPart[] = [];
  const scalars = (text: string) => {
    for (const s of text.replace(/^\s*,/, '').split(/,\s*/)) if (s.trim() !== '') parts.push({ scalar: s.trim() });
  };
  scalars(lines[0]!);
  let stack: string[] | undefined = lines.length > 1 ? [] : undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (stack && /^\s/.test(line)) {
      stack.push(line);
      continue;
    }
    if (stack) parts.push({ stack });
    scalars(line);
    stack = i < lines.length - 1 ? [] : undefined;
  }
  return parts;
}

// `    getppid+11`, `    0x7fcb41a2c350`, or ustack(perf)/kstack(perf): `\t7f.. __GI___write+16 (/usr/lib/.../libc.so.6)`.
function parseFrame(text: string): Frame {
  const line = text.trim();
  const perf = /^([0-9a-f]+) (.+?) \((.*)\)$/.exec(line);
  if (perf) {
    const address = Number.parseInt(perf[1]!, 16);
    const module = perf[3]!;
    const kernel = module === '[kernel.kallsyms]' || perf[1]!.startsWith('ffff');
    const frame: Frame = { name: stripOffset(perf[2]!), kind: kernel ? 'kernel' : 'user', address };
    if (module !== '[unknown]') frame.module = module;
    return frame;
  }
  return { name: stripOffset(line), kind: KERNEL_SYMBOL.test(line) ? 'kernel' : 'user' };
}

// Default-mode frames carry no address or module; these entry points mark a kernel stack.
const KERNEL_SYMBOL = /^(entry_SYSCALL_64|do_syscall_64|el0t_64_sync|el0_svc|ret_from_fork|asm_|secondary_startup_64|start_kernel|cpu_startup_entry|__x64_sys_|__arm64_sys_)/;

function stripOffset(symbol: string): string {
  return symbol.replace(/\+\d+$/, '').replace(/\+0x[0-9a-f]+$/, '');
}

// --- A JSON reader that keeps duplicate object keys, in order ---------------------------------------
// bpftrace -f json prints a user-stack key once per pid/tid that produced it (its stack ids differ while the
// printed text is the same), so one JSON object can hold the same key several times; JSON.parse would keep
// only the last of them and lose counts.

type JsonValue = number | string | boolean | null | JsonValue[] | JsonEntries;
type JsonEntries = { entries: [string, JsonValue][] };

function isObject(value: JsonValue | undefined): value is JsonEntries {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lookup(value: JsonValue, name: string): JsonValue | undefined {
  return isObject(value) ? value.entries.find(([k]) => k === name)?.[1] : undefined;
}

function parseJson(text: string): JsonValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`unexpected ${text[i] ?? 'end'} at ${i}`);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JsonValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, JsonValue][] = [];
      ws();
      if (text[i] === '}') return i++, { entries };
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, { entries };
        else fail();
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      ws();
      if (text[i] === ']') return i++, items;
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, items;
        else fail();
      }
    }
    if (c === '"') return str();
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (!m) return fail();
    i += m[0].length;
    return JSON.parse(m[0]) as JsonValue;
  };
  const result = value();
  ws();
  if (i !== text.length) fail();
  return result;
}
