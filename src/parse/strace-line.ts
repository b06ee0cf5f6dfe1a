// One strace trace line split into its parts (leader, body kind, result); no state across lines.
// Reference: strace 6.1 src/strace.c printleader(), src/syscall.c syscall_exiting_trace(), src/unwind.c
// (https://github.com/strace/strace/tree/v6.1/src). Grammar notes: docs FORMATS.md §3.
//
//   13165 1795335263.818952 read(7,  <unfinished ...>                    -> unfinished read, pid 13165
//   [pid 13142] 08:15:46.411956 <... wait4 resumed>[...], 0, NULL) = 13144 <0.000040>
//                                                                        -> resumed wait4, returned, 40 µs
//   openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory)
//                                                                        -> failed openat, errno ENOENT
//    > /usr/lib/x86_64-linux-gnu/libc.so.6(__getpid+0x7) [0xd54e7]      -> -k stack frame

export interface Leader {
  /** Thread id from `[pid N] ` (stderr) or `N ` (-o with -f); undefined when strace printed none. */
  pid?: number;
  /** Seconds: since the epoch (-ttt), since midnight (-t/-tt), or since the previous line (-r alone). */
  time?: number;
  timeKind?: 'epoch' | 'day' | 'relative';
  body: string;
}

// pid ("[pid %5u] " or "%-5u ", optionally with -Y "<comm>"), then -t/-tt/-ttt, then "(+ -r)" or a bare -r,
// then -i "[ip] " and -n "[nr] ".
const LEADER =
  /^(?:\[pid\s+(\d+)(?:<[^>]*>)?\] |(\d+)(?:<[^>]*>)?\s+)?\s*(?:(\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+|\d{9,}) )?(?:\(\+\s*(\d+\.\d+)\) )?(?:\[[0-9a-f?]{8,16}\] )?(?:\[\s*\d+\] )?/;

export function splitLeader(line: string): Leader {
  const m = LEADER.exec(line)!;
  const pidText = m[1] ?? m[2];
  const leader: Leader = { body: line.slice(m[0].length) };
  if (pidText !== undefined) leader.pid = Number(pidText);
  const stamp = m[3];
  if (m[4] !== undefined) {
    leader.time = Number(m[4]);
    leader.timeKind = 'relative';
  } else if (stamp !== undefined) {
    if (stamp.includes(':')) {
      const [h, min, s] = stamp.split(':');
      leader.time = Number(h) * 3600 + Number(min) * 60 + Number(s);
      leader.timeKind = 'day';
    } else {
      leader.time = Number(stamp);
      // A bare -r delta and a -ttt epoch look alike; only their size tells them apart.
      leader.timeKind = leader.time >= 1e8 ? 'epoch' : 'relative';
    }
  }
  return leader;
}

/** How a syscall line ended. `unreturned`: `= ?` without an errno (exit_group, killed tracee). */
export type Outcome =
  | { kind: 'ok'; seconds?: number }
  | { kind: 'error'; errno: string; seconds?: number }
  | { kind: 'unreturned' };

export type Body =
  | { kind: 'call'; name: string; outcome: Outcome }
  | { kind: 'unfinished'; name: string }
  | { kind: 'resumed'; name: string; outcome: Outcome }
  | { kind: 'resumed-unfinished'; name: string }
  /** A call line cut short: strace or the tracee wrote into the middle of it (stderr capture). */
  | { kind: 'partial'; name: string }
  | { kind: 'detached'; name?: string }
  | { kind: 'signal'; signal: string }
  | { kind: 'exit'; supersededBy?: number }
  | { kind: 'stack' }
  | { kind: 'noise' }
  | { kind: 'other' };

const CALL_START = /^([A-Za-z_][A-Za-z0-9_]*)\(/;
const RESUMED = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>/;
const UNFINISHED = / ?<unfinished \.\.\.>$/;
const DETACHED = / ?<detached \.\.\.>$/;
const SIGNAL = /^--- (SIG[A-Z0-9+-]+|stopped by SIG[A-Z0-9]+)\b.* ---$/;
const EXIT = /^\+\+\+ (?:exited with -?\d+|killed by SIG[A-Z0-9]+(?: \(core dumped\))?|superseded by execve in pid (\d+)) \+\+\+$/;
// strace's own diagnostics and personality notes: not trace events.
const NOISE = /^(?:strace: |\[ Process PID=\d+ runs in \S+ bit mode\. \]$)/;

/** Classifies a whole line; stack frames are recognised before the leader, whose `\s*` would eat their indent. */
export function classifyLine(line: string): { leader: Leader; body: Body } {
  if (line.startsWith(' > ')) return { leader: { body: line }, body: { kind: 'stack' } };
  const leader = splitLeader(line);
  return { leader, body: classifyBody(leader.body) };
}

export function classifyBody(body: string): Body {
  if (NOISE.test(body)) return { kind: 'noise' };
  const resumed = RESUMED.exec(body);
  if (resumed) {
    const name = resumed[1]!;
    const rest = body.slice(resumed[0].length);
    if (UNFINISHED.test(rest)) return { kind: 'resumed-unfinished', name };
    if (DETACHED.test(rest)) return { kind: 'detached', name };
    const outcome = parseOutcome(rest);
    return outcome ? { kind: 'resumed', name, outcome } : { kind: 'other' };
  }
  const call = CALL_START.exec(body);
  if (call) {
    const name = call[1]!;
    // The markers first: a string argument of an unfinished call may itself contain ") = ".
    if (UNFINISHED.test(body)) return { kind: 'unfinished', name };
    if (DETACHED.test(body)) return { kind: 'detached', name };
    const outcome = parseOutcome(body);
    return outcome ? { kind: 'call', name, outcome } : { kind: 'partial', name };
  }
  if (body.startsWith('---') && SIGNAL.test(body)) return { kind: 'signal', signal: body.slice(4, body.indexOf(' ', 4)) };
  const exit = EXIT.exec(body);
  if (exit) return exit[1] === undefined ? { kind: 'exit' } : { kind: 'exit', supersededBy: Number(exit[1]) };
  return { kind: 'other' };
}

// The result is after the last ") = " (spaces vary with -a alignment): string arguments may contain
// ") = " themselves, results never do. Perfetto hit the same trap: https://github.com/google/perfetto/pull/7224
const RESULT_SEPARATOR = /\)\s+= /g;
const DURATION = / <(\d+(?:\.\d+)?)>$/;
const ERROR_RESULT = /^(?:-1|\?) (E[A-Z0-9_]+|[A-Z][A-Z0-9_]*) \(/;

/** The outcome of a completed call (`...) = ret ...`), or undefined when the text has no result. */
export function parseOutcome(text: string): Outcome | undefined {
  let at = -1;
  RESULT_SEPARATOR.lastIndex = 0;
  for (let m = RESULT_SEPARATOR.exec(text); m; m = RESULT_SEPARATOR.exec(text)) at = m.index + m[0].length;
  if (at < 0) return undefined;
  let result = text.slice(at);
  const duration = DURATION.exec(result);
  const seconds = duration ? Number(duration[1]) : undefined;
  if (duration) result = result.slice(0, duration.index);
  const error = ERROR_RESULT.exec(result);
  if (error) return seconds === undefined ? { kind: 'error', errno: error[1]! } : { kind: 'error', errno: error[1]!, seconds };
  if (result === '?' || result.startsWith('? ')) return { kind: 'unreturned' };
  return seconds === undefined ? { kind: 'ok' } : { kind: 'ok', seconds };
}

export interface StackFrame {
  /** Symbol without offset, or undefined when unwinding found none. */
  symbol?: string;
  /** Object path, or undefined for `<error>` frames. */
  module?: string;
  /** The bracketed value: an offset into the object file. */
  offset?: number;
  /** Symbol offset (`+0x7`), when a symbol is present. */
  symbolOffset?: number;
  file?: string;
  line?: number;
}

// ` > /path(sym+0xoff) [0xoff]`, ` > /path() [0xoff]`, ` > /path(sym+0xoff) [0xoff] file:line` (-kk),
// ` > <error> [0x...]`. Demangled C++ symbols contain parentheses, so the symbol runs to the last ") [".
// Taken apart by hand from the last ` [0x`: one regex with a lazy `(.*?) \[0x…\]` retried the optional
// ` file:line` at every ` [0x` of a line, quadratic in its length (12 s for a 1.2 MB line; a fuzz finding).
const HEX = /^0x[0-9a-fA-F]+$/;
const FILE_LINE = /^ (.+):(\d+)$/;

export function parseStackFrame(line: string): StackFrame | undefined {
  if (!line.startsWith(' > ')) return undefined;
  const bracket = line.lastIndexOf(' [0x');
  const close = bracket < 3 ? -1 : line.indexOf(']', bracket);
  if (close < 0 || !HEX.test(line.slice(bracket + 2, close))) return undefined;
  const tail = line.slice(close + 1);
  const fileLine = tail === '' ? undefined : FILE_LINE.exec(tail);
  if (fileLine === null) return undefined;
  const where = line.slice(3, bracket);
  const frame: StackFrame = { offset: Number.parseInt(line.slice(bracket + 2, close), 16) };
  if (fileLine) {
    frame.file = fileLine[1];
    frame.line = Number(fileLine[2]);
  }
  const open = where.indexOf('(');
  if (open < 0 || !where.endsWith(')')) {
    if (!where.startsWith('<')) frame.module = where;
    return frame;
  }
  frame.module = where.slice(0, open);
  const inner = where.slice(open + 1, -1);
  if (inner !== '') {
    const plus = inner.lastIndexOf('+0x');
    if (plus > 0) {
      frame.symbol = inner.slice(0, plus);
      frame.symbolOffset = Number.parseInt(inner.slice(plus + 3), 16);
    } else {
      frame.symbol = inner;
    }
  }
  return frame;
}

/** Whether a whole line is a strace trace event (used by detectors). */
export function isTraceEvent(line: string): boolean {
  const kind = classifyLine(line).body.kind;
  return kind !== 'stack' && kind !== 'noise' && kind !== 'other' && kind !== 'partial';
}
