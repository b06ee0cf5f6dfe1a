// strace trace logs -> the SyscallTable `strace -c` would have printed, plus a syscall Profile with -k.
// Produced by: `strace -f -o FILE [-t|-tt|-ttt] [-r] [-T] [-y|-yy] [-k] -- <cmd>` (also stderr captures with
// `[pid N] ` prefixes, one `-ff` file per thread, and `-C`, whose trailing table is skipped).
// Reference: strace 6.1 src/strace.c, src/syscall.c, src/count.c, src/unwind.c
// (https://github.com/strace/strace/tree/v6.1/src); grammar in docs FORMATS.md §3.
//
//   13165 read(7,  <unfinished ...>                        -> pending read of 13165
//   13165 <... read resumed>"x", 1) = 1 <0.050180>       -> read: 1 call, 0.05018 s
//   13167 <... read resumed>0x7ff, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
//                                                          -> read: 1 call, 1 error ERESTARTSYS (count.c counts it)
//   13167 <... read resumed> <unfinished ...>) = ?         -> read: 1 call (made; the thread died in it)
//   9666  exit_group(7)   = ?                              -> exit_group: 1 call (made; it never returns)
//   3867  poll(NULL, 0, 50 <unfinished ...>   (no resumption before the end)
//                                                          -> poll: 1 call, and 1 in flight at the end
//   3866  poll(NULL, 0, 50 <detached ...>                  -> poll: 1 call, and 1 in flight at the end
//    > /path/mix(main+0x113) [0x140c]                      -> -k frame of the call above, leaf first
// A call counts when it is made, as the other backends count it (perf at sys_enter; bpftrace at sys_exit plus the
// calls in flight at the end and exit/exit_group when made, the same calls). That is more than
// `strace -c` counts: count.c counts a call when it returns, so its table leaves out exit, exit_group, calls
// the thread died in and calls still blocked when strace detached (src/count.c count_syscall, called from
// syscall_exiting_trace only).
import { ParseError } from '../model/errors.js';
import { ProfileBuilder, SYSCALL_SAMPLE_TYPES, type Frame, type LabelValue } from '../model/profile.js';
import { NEVER_RETURNING, SyscallTableBuilder } from '../model/syscalls.js';
import { detectStraceLog } from './detectors.js';
import { classifyLine, parseOutcome, parseStackFrame, type Leader, type Outcome } from './strace-line.js';
import { headerTitles } from './strace-table.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

// Cut lines (a tracee or strace itself wrote into the middle of a call line) are rejoined within this window.
const PARTIAL_WINDOW = 64;

interface CompletedCall {
  name: string;
  tid?: number;
  outcome: Outcome;
  frames: Frame[];
}

interface Partial {
  key: string;
  pid?: number;
  name: string;
  line: number;
  text: string;
}

class StraceLogReader {
  private readonly table = new SyscallTableBuilder();
  private readonly profile = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
  /** Unfinished call name by pid key ('' when strace printed no pid). */
  private readonly pending = new Map<string, { name: string; line: number }>();
  private last: CompletedCall | undefined;
  /**
   * Calls that ended in `= ?`, by pid key, until their thread's `+++ exited` line: strace -k prints the stack
   * of such a call after that line (observed with strace 6.1: `exit(0) = ?`, `+++ exited with 0 +++`, frames).
   */
  private readonly awaitingExit = new Map<string, CompletedCall>();
  private readonly flat = new Map<string, { name: string; tid?: number; errno?: string; values: number[] }>();
  /** Stack lines after a signal or an uncounted call belong to nothing we count. */
  private absorbingStack = false;
  private partial: Partial | undefined;
  private sawStack = false;
  private sawPid = false;
  private events = 0;
  private inSummary = false;
  private firstTime?: number;
  private lastTime?: number;
  private dayOffset = 0;
  private previousLine = '';
  private firstText?: { line: number; text: string };
  private foreign?: { line: number; text: string };

  constructor(
    private readonly ctx: ParseContext,
    /** `-ff` files carry the thread id only in their name (`prefix.<tid>`). */
    private readonly fileTid: number | undefined,
  ) {}

  line(raw: string, lineNo: number): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.firstText === undefined && line.trim() !== '') this.firstText = { line: lineNo, text: line };
    if (this.inSummary || this.startsSummary(line)) {
      this.previousLine = line;
      return;
    }
    this.previousLine = line;
    this.reportForeign();
    const { leader, body } = classifyLine(line);

    if (body.kind === 'stack') return this.stackFrame(line, lineNo);
    this.flushLast();
    if (this.partial && this.continuesPartial(line, lineNo, body.kind)) return;

    this.seeLeader(leader);
    const key = leader.pid === undefined ? '' : String(leader.pid);
    if (body.kind !== 'exit' && body.kind !== 'noise' && body.kind !== 'other') this.flushAwaiting(key);
    switch (body.kind) {
      case 'call':
        this.events++;
        return this.complete(body.name, leader.pid, body.outcome);
      case 'unfinished':
        this.events++;
        this.pending.set(key, { name: body.name, line: lineNo });
        return;
      case 'resumed':
        this.events++;
        this.resume(body.name, key, lineNo);
        return this.complete(body.name, leader.pid, body.outcome);
      case 'resumed-unfinished':
        this.events++;
        this.resume(body.name, key, lineNo);
        this.pending.set(key, { name: body.name, line: lineNo });
        return;
      case 'partial':
        this.partial = { key, pid: leader.pid, name: body.name, line: lineNo, text: line };
        return;
      case 'detached': {
        // strace let go of the tracee inside this call (it was stopped): made, and in flight at the end.
        this.events++;
        const name = body.name ?? this.pending.get(key)?.name;
        this.pending.delete(key);
        if (name !== undefined) this.countUnreturned(name, leader.pid, true);
        return;
      }
      case 'signal':
        this.events++;
        this.absorbingStack = true;
        return;
      case 'exit': {
        this.events++;
        if (body.supersededBy !== undefined) this.moveAfterExecve(String(body.supersededBy), key);
        else this.endPending(key);
        // The frames that follow belong to the thread's last call, the one that never returned.
        const awaiting = this.awaitingExit.get(key);
        this.awaitingExit.delete(key);
        if (awaiting) {
          this.last = awaiting;
          this.absorbingStack = false;
        }
        return;
      }
      case 'noise':
        return;
      case 'other':
        // Held back one line: it may be the column titles of a -C table, known only at the divider below.
        if (line.trim() !== '') this.foreign = { line: lineNo, text: line };
        return;
    }
  }

  finish(): ParseResult {
    this.reportForeign();
    this.flushLast();
    for (const key of [...this.awaitingExit.keys()]) this.flushAwaiting(key);
    if (this.partial) this.dropPartial();
    if (this.events === 0) {
      const first = this.firstText ?? { line: 1, text: '<empty>' };
      throw new ParseError(this.ctx.file, first.line, 'a strace trace line such as `read(3, "..", 10) = 2`', first.text);
    }
    // Unfinished with no resumption: still blocked when the log ended (strace detached, or the capture stopped).
    this.table.tracksInFlight();
    for (const [key, call] of this.pending) this.countUnreturned(call.name, key === '' ? undefined : Number(key), true);
    this.pending.clear();
    const threads = this.sawPid ? undefined : 1;
    const result: ParseResult = { format: 'strace-log', syscalls: this.table.build(threads) };
    if (this.sawStack) {
      for (const f of this.flat.values()) this.addSample([], f.name, f.tid, f.errno, f.values);
      result.profile = this.profile.build();
    }
    if (this.firstTime !== undefined && this.lastTime !== undefined && this.lastTime > this.firstTime) {
      result.meta = { durationSeconds: Math.round((this.lastTime - this.firstTime) * 1e6) / 1e6 };
    }
    return result;
  }

  private reportForeign(): void {
    if (!this.foreign) return;
    this.ctx.warn({ kind: 'malformed-line', line: this.foreign.line, message: `not a strace trace line, skipped: ${clip(this.foreign.text)}` });
    this.foreign = undefined;
  }

  // `strace -C` appends its -c table to the log: the counts are already in the log, skip it whole.
  private startsSummary(line: string): boolean {
    if (!line.startsWith('-') || !headerTitles(this.previousLine, line)) return false;
    this.inSummary = true;
    this.foreign = undefined;
    return true;
  }

  private seeLeader(leader: Leader): void {
    if (leader.pid !== undefined) {
      this.sawPid = true;
      this.table.seeThread(leader.pid);
    } else if (this.fileTid !== undefined) {
      this.table.seeThread(this.fileTid);
    }
    if (leader.time === undefined) return;
    if (leader.timeKind === 'relative') {
      this.firstTime ??= 0;
      this.lastTime = (this.lastTime ?? 0) + leader.time;
      return;
    }
    let t = leader.time + this.dayOffset;
    // -t/-tt print the time of day: a big step backwards is midnight.
    if (leader.timeKind === 'day' && this.lastTime !== undefined && t < this.lastTime - 43_200) {
      this.dayOffset += 86_400;
      t += 86_400;
    }
    this.firstTime ??= t;
    this.lastTime = t;
  }

  private resume(name: string, key: string, lineNo: number): void {
    let found = this.pending.get(key);
    let foundKey = key;
    if (!found && key === '') {
      // On stderr the pid prefix disappears once one tracee is left: that tracee's call is the one resumed.
      const candidates = [...this.pending].filter(([, p]) => p.name === name);
      if (candidates.length === 1) [foundKey, found] = candidates[0]!;
    }
    if (!found) {
      this.ctx.warn({ kind: 'orphan-resumed', line: lineNo, message: `<... ${name} resumed> without an earlier unfinished ${name}; counted anyway` });
      return;
    }
    if (found.name !== name) {
      this.ctx.warn({ kind: 'mismatched-resumed', line: lineNo, message: `<... ${name} resumed> but the unfinished call was ${found.name} (line ${found.line}); counted as ${name}` });
    }
    this.pending.delete(foundKey);
  }

  // A thread ended (or was replaced) inside a call that strace never finished printing: the call was made.
  private endPending(key: string): void {
    const call = this.pending.get(key);
    if (!call) return;
    this.pending.delete(key);
    this.countUnreturned(call.name, key === '' ? undefined : Number(key), false);
  }

  // After a non-leader thread's execve, strace reports the rest of that execve under the leader's pid.
  private moveAfterExecve(fromKey: string, toKey: string): void {
    const call = this.pending.get(fromKey);
    this.endPending(toKey);
    if (!call) return;
    this.pending.delete(fromKey);
    this.pending.set(toKey, call);
  }

  private complete(name: string, pid: number | undefined, outcome: Outcome): void {
    if (outcome.kind === 'unreturned') {
      // `= ?`: exit, exit_group, or a call its thread died in. Made; its -k frames follow the thread's exit line.
      this.table.add(name, 1);
      this.awaitingExit.set(pid === undefined ? '' : String(pid), this.callOf(name, pid, outcome));
      this.absorbingStack = true;
      return;
    }
    const seconds = outcome.seconds ?? 0;
    if (outcome.seconds !== undefined) this.table.hasTime = true;
    if (outcome.kind === 'error') this.table.add(name, 1, 1, seconds, { [outcome.errno]: 1 });
    else this.table.add(name, 1, 0, seconds);
    this.last = this.callOf(name, pid, outcome);
    this.absorbingStack = false;
  }

  /** A call with no result line: made, and (when `inFlight`) still blocked when the log ended. */
  private countUnreturned(name: string, pid: number | undefined, inFlight: boolean): void {
    this.table.add(name, 1);
    if (inFlight && !NEVER_RETURNING.has(name)) this.table.addInFlight(name);
    this.flushCall(this.callOf(name, pid, { kind: 'unreturned' }));
  }

  private callOf(name: string, pid: number | undefined, outcome: Outcome): CompletedCall {
    const tid = pid ?? this.fileTid;
    return tid === undefined ? { name, outcome, frames: [] } : { name, tid, outcome, frames: [] };
  }

  private flushAwaiting(key: string): void {
    const call = this.awaitingExit.get(key);
    if (!call) return;
    this.awaitingExit.delete(key);
    this.flushCall(call);
  }

  private stackFrame(line: string, lineNo: number): void {
    this.sawStack = true;
    if (!this.last) {
      if (!this.absorbingStack) this.ctx.warn({ kind: 'orphan-stack-line', line: lineNo, message: `stack frame with no syscall above it: ${clip(line)}` });
      return;
    }
    const f = parseStackFrame(line);
    if (!f) {
      this.ctx.warn({ kind: 'weird-stack-line', line: lineNo, message: `unreadable -k frame, kept as [unknown]: ${clip(line)}` });
      this.last.frames.push({ name: '[unknown]', kind: 'user' });
      return;
    }
    // Named frames carry no address so that calls from different offsets of one function merge in flame graphs.
    const frame: Frame = f.symbol !== undefined
      ? { name: f.symbol, kind: 'user' }
      : f.module !== undefined
        ? { name: `[${basename(f.module)}]+0x${f.offset!.toString(16)}`, kind: 'user', address: f.offset }
        : { name: '[unknown]', kind: 'user' };
    if (f.module !== undefined) frame.module = f.module;
    if (f.file !== undefined) {
      frame.file = f.file;
      frame.line = f.line;
    }
    this.last.frames.push(frame);
  }

  private flushLast(): void {
    const call = this.last;
    if (!call) return;
    this.last = undefined;
    this.flushCall(call);
  }

  private flushCall(call: CompletedCall): void {
    const errno = call.outcome.kind === 'error' ? call.outcome.errno : undefined;
    const seconds = call.outcome.kind === 'unreturned' ? 0 : (call.outcome.seconds ?? 0);
    const values = [1, errno === undefined ? 0 : 1, Math.round(seconds * 1e9)];
    if (call.frames.length === 0) {
      // Logs without -k never need a profile: keep their samples in a cheap flat tally until one does.
      const key = `${call.name}\u0000${call.tid ?? ''}\u0000${errno ?? ''}`;
      const flat = this.flat.get(key);
      if (flat) for (let i = 0; i < values.length; i++) flat.values[i]! += values[i]!;
      else this.flat.set(key, { name: call.name, tid: call.tid, errno, values });
      return;
    }
    this.addSample([...call.frames].reverse(), call.name, call.tid, errno, values);
  }

  private addSample(frames: Frame[], name: string, tid: number | undefined, errno: string | undefined, values: number[]): void {
    frames.push({ name, kind: 'syscall' });
    const labels: Record<string, LabelValue> = {};
    if (tid !== undefined) labels.tid = tid;
    if (errno !== undefined) labels.errno = errno;
    this.profile.add(frames, values, Object.keys(labels).length > 0 ? labels : undefined);
  }

  /** Handles the line after a cut call line; true when it was consumed as that call's continuation. */
  private continuesPartial(line: string, lineNo: number, kind: string): boolean {
    const partial = this.partial!;
    if (line.trimStart().startsWith('<unfinished ...>')) {
      // strace printed its own message into the call line, then finished the line on the next one.
      this.partial = undefined;
      this.events++;
      this.pending.set(partial.key, { name: partial.name, line: partial.line });
      return true;
    }
    if (kind === 'noise') return true;
    if (kind === 'other') {
      const outcome = parseOutcome(line);
      if (outcome) {
        // The tracee wrote into the call line (stderr capture); the result follows its output.
        this.partial = undefined;
        this.events++;
        this.complete(partial.name, partial.pid, outcome);
        return true;
      }
      if (lineNo - partial.line < PARTIAL_WINDOW) return true;
    }
    this.dropPartial();
    return false;
  }

  private dropPartial(): void {
    const partial = this.partial!;
    this.partial = undefined;
    this.ctx.warn({ kind: 'malformed-line', line: partial.line, message: `syscall line cut short and never completed, skipped: ${clip(partial.text)}` });
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

async function parseStraceLog(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const tidSuffix = /\.(\d+)$/.exec(ctx.file);
  const reader = new StraceLogReader(ctx, tidSuffix ? Number(tidSuffix[1]) : undefined);
  let lineNo = 0;
  for await (const line of lines) reader.line(line, ++lineNo);
  return reader.finish();
}

export const straceLogParser: TextParser = {
  format: 'strace-log',
  detect: detectStraceLog,
  parse: parseStraceLog,
};
