// strace logs: every real capture must yield exactly the table `strace -c` printed for the same program, plus the
// calls -c cannot count because they never returned (`= ?`: exit, exit_group, calls a thread died in, and calls
// still blocked when the log ended).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/model/errors.js';
import { profileTotal, stackList } from '../../src/model/profile.js';
import type { SyscallTable } from '../../src/model/syscalls.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import { classifyLine, parseStackFrame } from '../../src/parse/strace-line.js';
import { straceLogParser } from '../../src/parse/strace-log.js';
import { straceSummaryParser } from '../../src/parse/strace-summary.js';
import type { ParseResult, ParseWarning, TextParser } from '../../src/parse/types.js';
import { fixture, toolAvailable } from '../helpers.js';

function linesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

async function* stream(lines: readonly string[]): AsyncIterable<string> {
  yield* lines;
}

async function run(parser: TextParser, lines: readonly string[], file = 'test.log'): Promise<{ result: ParseResult; warnings: ParseWarning[] }> {
  const warnings: ParseWarning[] = [];
  const result = await parser.parse(stream(lines), { file, options: {}, warn: (w) => warnings.push({ ...w, file }) });
  return { result, warnings };
}

/** Parses a log file after checking that detection alone (no file-name hint) picks the log parser. */
async function parseLog(path: string): Promise<{ result: ParseResult; table: SyscallTable; warnings: ParseWarning[] }> {
  const lines = linesOf(path);
  expect(detectTextFormat(lines.slice(0, 200))?.format).toBe('strace-log');
  const { result, warnings } = await run(straceLogParser, lines, path);
  return { result, table: result.syscalls!, warnings };
}

async function parseTable(lines: readonly string[]): Promise<SyscallTable> {
  return (await run(straceSummaryParser, lines)).result.syscalls!;
}

/** `name calls errors` per row, sorted: what a log must share with `strace -c`. */
function counts(table: SyscallTable): string[] {
  return table.rows.map((r) => `${r.name} ${r.calls} ${r.errors}`).sort();
}

/** Calls the log shows ending in `= ?` (no result): made, so the log counts them; `strace -c` does not. */
function unreturned(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const { body } = classifyLine(line);
    if ((body.kind === 'call' || body.kind === 'resumed') && body.outcome.kind === 'unreturned') out[body.name] = (out[body.name] ?? 0) + 1;
  }
  return out;
}

/** counts() of the log's table without the calls that never returned: what `strace -c` counts of the same run. */
function returnedCounts(table: SyscallTable, lines: readonly string[]): string[] {
  const never = unreturned(lines);
  return table.rows
    .map((r) => ({ ...r, calls: r.calls - (never[r.name] ?? 0) }))
    .filter((r) => r.calls > 0 || r.errors > 0)
    .map((r) => `${r.name} ${r.calls} ${r.errors}`)
    .sort();
}

/** The `-C` table appended to a log: from its header line to the end. */
function trailingTable(lines: readonly string[]): string[] {
  return lines.slice(lines.findIndex((l) => l.startsWith('% time')));
}

const log = (name: string) => fixture('strace', 'log', name);
const mixCounts = async () => counts(await parseTable(linesOf(fixture('strace', 'summary', 'mix-c.txt'))));

describe('strace logs give the table strace -c gives, plus the calls that never returned', () => {
  it('strace -C: the log part equals the table of the same run, row by row', async () => {
    const lines = linesOf(log('mix-C.log'));
    const { table, warnings } = await parseLog(log('mix-C.log'));
    expect(warnings).toEqual([]);
    expect(returnedCounts(table, lines)).toEqual(counts(await parseTable(trailingTable(lines))));
    // Two processes end in exit_group; the worker dies in pause and a killed child in read.
    expect(unreturned(lines)).toEqual({ exit_group: 2, pause: 1, read: 1 });
    expect(table.totals).toEqual({ calls: 124, errors: 23, seconds: 0 });
    expect(table.inFlight).toEqual({});
    expect(table.threads).toBe(4);
    expect(table.hasTime).toBe(false);
  });

  it('-f -o -ttt -T: same counts as strace -c of another run, errno breakdown and -T seconds', async () => {
    const { table, warnings, result } = await parseLog(log('mix-ttt-T.log'));
    expect(warnings).toEqual([]);
    expect(returnedCounts(table, linesOf(log('mix-ttt-T.log')))).toEqual(counts(await parseTable(linesOf(log('mix-ttt-T.summary.txt')))));
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    expect(byName.get('openat')).toMatchObject({ calls: 17, errors: 14, errnos: { ENOENT: 14 } });
    // 11 reads returned; a 12th never did (its process was killed inside it): made, no error, no time.
    expect(byName.get('read')).toMatchObject({ calls: 12, errors: 8, errnos: { EAGAIN: 7, ERESTARTSYS: 1 } });
    expect(byName.get('access')).toMatchObject({ calls: 1, errors: 1, errnos: { ENOENT: 1 } });
    expect(byName.get('exit_group')).toMatchObject({ calls: 2, errors: 0, seconds: 0 });
    expect(byName.get('pause')).toMatchObject({ calls: 1, errors: 0, seconds: 0 });
    expect(table.hasTime).toBe(true);
    // Four clock_nanosleep calls (50, 50, 50, 20 ms asked): <0.050803> <0.050130> <0.050148> <0.030471>.
    expect(byName.get('clock_nanosleep')!.seconds).toBeCloseTo(0.181552, 9);
    expect(table.threads).toBe(4);
    expect(result.meta?.durationSeconds).toBeGreaterThan(0.17);
  });

  it('stderr capture (-tt -T -yy): [pid N] prefixes, cut lines rejoined, tracee output skipped', async () => {
    const lines = linesOf(log('mix-stderr-tt-T-yy.log'));
    expect(lines).toContain(' <unfinished ...>');
    expect(lines.some((l) => / wait4\(\d+, strace: Process \d+ attached$/.test(l))).toBe(true);
    const { table, warnings } = await parseLog(log('mix-stderr-tt-T-yy.log'));
    expect(warnings).toEqual([]);
    expect(returnedCounts(table, lines)).toEqual(await mixCounts());
    expect(table.rows.find((r) => r.name === 'write')).toMatchObject({ calls: 2 });
    expect(table.hasTime).toBe(true);
  });

  it('-t -r: relative timestamps after the time of day', async () => {
    const { table, warnings, result } = await parseLog(log('mix-t-r.log'));
    expect(warnings).toEqual([]);
    expect(returnedCounts(table, linesOf(log('mix-t-r.log')))).toEqual(await mixCounts());
    expect(result.meta?.durationSeconds).toBeCloseTo(0.207404, 6);
  });

  it('-ff: each file is one thread and the files add up to the strace -c table', async () => {
    const files = readdirSync(fixture('strace', 'log')).filter((f) => f.startsWith('mix-ff.')).sort();
    expect(files).toHaveLength(4);
    const total = new Map<string, { calls: number; errors: number }>();
    for (const f of files) {
      const { table, warnings } = await parseLog(log(f));
      expect(warnings).toEqual([]);
      expect(table.threads).toBe(1);
      const never = unreturned(linesOf(log(f)));
      for (const r of table.rows) {
        const t = total.get(r.name) ?? { calls: 0, errors: 0 };
        total.set(r.name, { calls: t.calls + r.calls - (never[r.name] ?? 0), errors: t.errors + r.errors });
      }
    }
    expect([...total].filter(([, t]) => t.calls > 0 || t.errors > 0).map(([n, t]) => `${n} ${t.calls} ${t.errors}`).sort()).toEqual(await mixCounts());
    // Interrupted by SIGUSR1 in one read (ERESTARTSYS), then killed inside the next: 2 reads made, 1 failed.
    const killedChild = (await parseLog(log(files[2]!))).table;
    expect(killedChild.rows.find((r) => r.name === 'read')).toMatchObject({ calls: 2, errors: 1, errnos: { ERESTARTSYS: 1 } });
  });

  it('32 bit mode process: one table with both personalities', async () => {
    const { table, warnings } = await parseLog(log('x32.log'));
    expect(warnings).toEqual([]);
    // 60 returned calls (the -c table) and the i386 program's exit plus the shell's exit_group.
    expect(table.totals).toMatchObject({ calls: 62, errors: 3 });
    expect(returnedCounts(table, linesOf(log('x32.log')))).toEqual(counts(await parseTable(linesOf(fixture('strace', 'summary', 'x32-c.txt')))));
  });

  it('Go net/http server attached with -p -f -C -tt -T -yy: 126 returned calls, 6 errors, as its own -c table says', async () => {
    const lines = linesOf(log('go-http.log'));
    const { table, warnings } = await parseLog(log('go-http.log'));
    expect(warnings).toEqual([]);
    // ... plus what never returned at /quit: three threads entered exit_group (one printed as `= ?`, two left
    // `<unfinished ...>` until their thread exited) and one died inside futex.
    expect(unreturned(lines)).toEqual({ exit_group: 1, futex: 1 });
    const neverReturned = { exit_group: 3, futex: 1 };
    const returned = table.rows
      .map((r) => ({ ...r, calls: r.calls - (neverReturned[r.name as keyof typeof neverReturned] ?? 0) }))
      .filter((r) => r.calls > 0)
      .map((r) => `${r.name} ${r.calls} ${r.errors}`)
      .sort();
    expect(returned).toEqual(counts(await parseTable(trailingTable(lines))));
    expect(table.totals).toMatchObject({ calls: 130, errors: 6 });
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    expect(byName.get('accept4')).toMatchObject({ calls: 8, errors: 4, errnos: { EAGAIN: 4 } });
    expect(byName.get('read')).toMatchObject({ calls: 11, errors: 2, errnos: { EAGAIN: 2 } });
    expect(byName.get('restart_syscall')).toMatchObject({ calls: 1 });
    expect(table.threads).toBe(4);
    expect(table.hasTime).toBe(true);
  });

  it('a process detached inside a call: the call was made, and is in flight at the end', async () => {
    const { table, warnings } = await parseLog(log('detached.log'));
    expect(warnings).toEqual([]);
    expect(counts(table)).toEqual(['restart_syscall 1 0']);
    expect(table.inFlight).toEqual({ restart_syscall: 1 });
  });
});

describe('calls that never return', () => {
  it('threads that end in exit and a process that ends in exit_group count them, as made (exits-C.log)', async () => {
    const lines = linesOf(log('exits-C.log'));
    const { table, warnings } = await parseLog(log('exits-C.log'));
    expect(warnings).toEqual([]);
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    // One worker returned from its thread function, one called pthread_exit; main returned; the reader died in read.
    expect(byName.get('exit')).toMatchObject({ calls: 2, errors: 0, errnos: {}, seconds: 0 });
    expect(byName.get('exit_group')).toMatchObject({ calls: 1, errors: 0 });
    expect(byName.get('getppid')).toMatchObject({ calls: 4, errors: 0 });
    expect(unreturned(lines)).toEqual({ exit: 2, exit_group: 1, read: 1 });
    expect(returnedCounts(table, lines)).toEqual(counts(await parseTable(trailingTable(lines))));
    // Every thread ended: nothing is left in flight.
    expect(table.inFlight).toEqual({});
    expect(table.threads).toBe(4);
  });

  it('a tracer detached while threads block: their calls are made and in flight at the end (exits-attached.log)', async () => {
    const lines = linesOf(log('exits-attached.log'));
    const { table, warnings } = await parseLog(log('exits-attached.log'));
    expect(warnings).toEqual([]);
    // The reader's read(3, <unfinished ...> never resumed; main's read(0, <detached ...>.
    expect(lines.filter((l) => / read\(3<pipe:\[\d+\]>, +<unfinished \.\.\.>$/.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/ read\(0<pipe:\[\d+\]>, +<detached \.\.\.>$/);
    expect(table.inFlight).toEqual({ read: 2 });
    const byName = new Map(table.rows.map((r) => [r.name, r]));
    expect(byName.get('exit')).toMatchObject({ calls: 2 });
    expect(byName.has('exit_group')).toBe(false);
    // read(0) of the `go` line returned; the two blocked reads count too, without errors or time.
    expect(byName.get('read')).toMatchObject({ calls: 4, errors: 0 });
  });

  it('-k: the stack strace prints after a thread has exited belongs to the call that never returned (exits-k.log)', async () => {
    const lines = linesOf(log('exits-k.log'));
    const exited = lines.findIndex((l) => /^\d+ +\+\+\+ exited with 0 \+\+\+$/.test(l));
    expect(lines[exited - 1]).toMatch(/ exit(_group)?\(0\)|exit resumed>/);
    expect(lines[exited + 1]).toMatch(/^ > /);
    const { result, table, warnings } = await parseLog(log('exits-k.log'));
    expect(warnings).toEqual([]);
    const profile = result.profile!;
    expect(profileTotal(profile, 0)).toBe(table.totals.calls);
    const names = (frames: readonly number[]) => frames.map((id) => profile.frames[id]!.name);
    const leafIs = (name: string) => stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === name);
    expect(leafIs('exit').reduce((n, s) => n + s.values[0]!, 0)).toBe(2);
    // Both exits come from glibc's thread start code (pthread_exit unwinds back to it), so they carry its frames;
    // exit_group comes from libc's exit() after main returned.
    for (const s of leafIs('exit')) expect(s.frames.length).toBeGreaterThan(1);
    expect(names(leafIs('exit_group')[0]!.frames)).toEqual(expect.arrayContaining(['__libc_start_main', 'exit', '_exit', 'exit_group']));
    // The reader's read, killed inside the call, has no stack but still counts.
    expect(table.rows.find((r) => r.name === 'read')).toMatchObject({ calls: 3 });
  });
});

describe('strace -k stacks become a syscall profile', () => {
  it('has one calls/errors/time sample per counted call, stacks root first with the syscall as leaf', async () => {
    const { result, table, warnings } = await parseLog(log('mix-k.log'));
    expect(warnings).toEqual([]);
    const profile = result.profile!;
    expect(profile.sampleTypes.map((t) => `${t.type}/${t.unit}`)).toEqual(['calls/count', 'errors/count', 'time/nanoseconds']);
    expect(profileTotal(profile, 0)).toBe(table.totals.calls);
    expect(profileTotal(profile, 1)).toBe(table.totals.errors);
    // 62 returned calls and the read a killed child died in (-e trace= leaves exit_group out).
    expect(table.totals).toMatchObject({ calls: 63, errors: 22 });

    const names = (frames: readonly number[]) => frames.map((id) => profile.frames[id]!.name);
    const getpid = stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === 'getpid');
    expect(getpid.reduce((n, s) => n + s.values[0]!, 0)).toBe(21);
    expect(names(getpid[0]!.frames)).toEqual(['_start', '__libc_start_main', '__libc_init_first', 'main', '__getpid', 'getpid']);
    const leaf = profile.frames[getpid[0]!.frames.at(-1)!]!;
    expect(leaf.kind).toBe('syscall');
    const libcFrame = profile.frames[getpid[0]!.frames.at(-2)!]!;
    expect(libcFrame).toMatchObject({ kind: 'user', module: '/usr/lib/x86_64-linux-gnu/libc.so.6' });
    expect(getpid[0]!.labels).toMatchObject({ tid: expect.any(Number) });

    const enoent = stackList(profile).filter((s) => s.labels?.errno === 'ENOENT');
    expect(enoent.reduce((n, s) => n + s.values[1]!, 0)).toBe(14);
    // The worker thread's read: the stack starts in libc's thread start code, not in main.
    const workerRead = stackList(profile).find((s) => names(s.frames).includes('worker'));
    expect(names(workerRead!.frames).slice(-3)).toEqual(['worker', 'read', 'read']);
  });

  it('stack lines after a signal are not attributed to any call', async () => {
    const lines = linesOf(log('mix-k.log'));
    const signal = lines.findIndex((l) => l.includes('--- SIGUSR1'));
    expect(lines[signal + 1]).toMatch(/^ > /);
    const { result } = await parseLog(log('mix-k.log'));
    const rtSigreturn = stackList(result.profile!).filter((s) => result.profile!.frames[s.frames.at(-1)!]!.name === 'rt_sigreturn');
    expect(rtSigreturn).toEqual([]); // not traced with this -e filter
  });

  it('reads every -k frame shape', () => {
    expect(parseStackFrame(' > /usr/lib/x86_64-linux-gnu/libc.so.6(__getpid+0x7) [0xd54e7]')).toEqual({
      module: '/usr/lib/x86_64-linux-gnu/libc.so.6',
      symbol: '__getpid',
      symbolOffset: 7,
      offset: 0xd54e7,
    });
    expect(parseStackFrame(' > /usr/bin/dash() [0xaec4]')).toEqual({ module: '/usr/bin/dash', offset: 0xaec4 });
    expect(parseStackFrame(' > <error> [0x7f0012]')).toEqual({ offset: 0x7f0012 });
    // Demangled C++ keeps its parentheses; -kk appends file:line (grammar of src/unwind.c, FORMATS.md §3).
    expect(parseStackFrame(' > /srv/app(ns::f(int, char const*)+0x1c) [0x1234] /src/app.cc:42')).toEqual({
      module: '/srv/app',
      symbol: 'ns::f(int, char const*)',
      symbolOffset: 0x1c,
      offset: 0x1234,
      file: '/src/app.cc',
      line: 42,
    });
  });
});

describe('line grammar traps', () => {
  const body = (line: string) => classifyLine(line).body;

  it('strings containing ") = ", "<unfinished ...>" and "---" do not fool the parser', () => {
    const lines = linesOf(log('mix-ttt-T.log'));
    const trap = lines.find((l) => l.includes('<unfinished ...>\\"'))!;
    expect(body(trap)).toEqual({ kind: 'call', name: 'openat', outcome: { kind: 'error', errno: 'ENOENT', seconds: expect.any(Number) } });
    const sig = lines.find((l) => l.includes('"/nonexistent/--- SIGCHLD'))!;
    expect(body(sig)).toMatchObject({ kind: 'call', name: 'openat' });
    expect(body('9 openat(AT_FDCWD, "/a) = 3", O_RDONLY <unfinished ...>')).toEqual({ kind: 'unfinished', name: 'openat' });
  });

  it('tells returned, failed, interrupted and unreturned calls apart', () => {
    expect(body('13167 <... read resumed> <unfinished ...>) = ?')).toEqual({ kind: 'resumed', name: 'read', outcome: { kind: 'unreturned' } });
    expect(body('9666  exit_group(7)   = ?')).toEqual({ kind: 'call', name: 'exit_group', outcome: { kind: 'unreturned' } });
    expect(body('[pid 1] 08:15:49.331166 <... futex resumed>) = ? <unavailable>')).toMatchObject({ outcome: { kind: 'unreturned' } });
    expect(body('13188 08:15:49.186566 <... accept4 resumed>{sa_family=AF_INET}, [112 => 16], SOCK_CLOEXEC) = 4<TCP:[127.0.0.1:38193->127.0.0.1:37796]> <0.003302>')).toEqual({
      kind: 'resumed',
      name: 'accept4',
      outcome: { kind: 'ok', seconds: 0.003302 },
    });
    expect(body('1795333163.998212 recvfrom(3<UNIX-STREAM:[31631->31632]>, 0x7f, 10, 0, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable) <0.000016>')).toEqual({
      kind: 'call',
      name: 'recvfrom',
      outcome: { kind: 'error', errno: 'EAGAIN', seconds: 0.000016 },
    });
    expect(body('wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 13173')).toMatchObject({ outcome: { kind: 'ok' } });
    expect(body('13191 08:15:48.070293 restart_syscall(<... resuming interrupted read ...> <unfinished ...>')).toEqual({ kind: 'unfinished', name: 'restart_syscall' });
  });

  it('reads every leader variant', () => {
    expect(classifyLine('[pid 13142] 08:15:46.412002 --- SIGCHLD {si_signo=SIGCHLD} ---').leader).toMatchObject({ pid: 13142, timeKind: 'day' });
    expect(classifyLine('13150 08:15:46 (+     0.000281) brk(NULL) = 0x55').leader).toMatchObject({ pid: 13150, time: 0.000281, timeKind: 'relative' });
    expect(classifyLine('1795335263.810843 execve("./mix", ["./mix"], 0x7ff /* 39 vars */) = 0').leader).toMatchObject({ time: 1795335263.810843, timeKind: 'epoch' });
    expect(classifyLine('     0.000281 brk(NULL) = 0x55').leader).toMatchObject({ time: 0.000281, timeKind: 'relative' });
    expect(classifyLine('9663  getpid()        = 9663').leader.pid).toBe(9663);
  });
});

describe('odd strace logs', () => {
  const mixLines = () => linesOf(log('mix-ttt-T.log'));

  it('a resumed call whose unfinished line is missing is counted with an orphan-resumed warning', async () => {
    const lines = mixLines();
    const at = lines.findIndex((l) => / read\(7, +<unfinished \.\.\.>$/.test(l));
    lines.splice(at, 1);
    const { result, warnings } = await run(straceLogParser, lines);
    expect(warnings.map((w) => w.kind)).toEqual(['orphan-resumed']);
    expect(result.syscalls!.totals.calls).toBe(124);
  });

  it('a malformed line is skipped with a warning naming its line', async () => {
    const lines = mixLines();
    lines.splice(10, 0, 'garbage in the middle');
    const { result, warnings } = await run(straceLogParser, lines);
    expect(warnings.map((w) => [w.kind, w.line])).toEqual([['malformed-line', 11]]);
    expect(result.syscalls!.totals.calls).toBe(124);
  });

  it('a log cut inside a blocking call counts that call, in flight at the end', async () => {
    const lines = mixLines();
    const cut = lines.findIndex((l) => l.includes('clock_nanosleep(') && l.endsWith('<unfinished ...>'));
    const whole = (await run(straceLogParser, lines.slice(0, cut))).result.syscalls!;
    const { result, warnings } = await run(straceLogParser, lines.slice(0, cut + 1));
    expect(warnings).toEqual([]);
    expect(result.syscalls!.inFlight).toEqual({ clock_nanosleep: 1 });
    expect(result.syscalls!.totals.calls).toBe(whole.totals.calls + 1);
  });

  it('input with no trace line at all is a ParseError at the first line', async () => {
    const err = await run(straceLogParser, ['', 'not strace']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(2);
  });

  it.each([
    ['summary', 'mix-c.txt'],
    ['summary', 'mix-c-stderr.txt'],
    ['foreign', 'perf-trace-s.txt'],
    ['foreign', 'perf-script.txt'],
    ['foreign', 'bpftrace.txt'],
  ])('is not detected in %s/%s', (dir, name) => {
    expect(straceLogParser.detect(linesOf(fixture('strace', dir, name)).slice(0, 200))).toBe(false);
  });

  it('is not detected in folded stacks', () => {
    expect(straceLogParser.detect(['sh;[unknown];__strcmp_evex 1', 'sh;dash;read(int) 3'])).toBe(false);
  });
});

describe('live: a fresh strace -f -C run of the mix program', () => {
  const ready = toolAvailable('strace', ['-V']) && toolAvailable('gcc');
  it.skipIf(!ready)('log part and -c table of one run agree exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-strace-'));
    try {
      execFileSync('gcc', ['-O1', '-pthread', '-o', join(dir, 'mix'), fixture('strace', 'src', 'mix.c')]);
      execFileSync('strace', ['-f', '-C', '-T', '-yy', '-o', join(dir, 'out.log'), join(dir, 'mix')], { stdio: 'ignore' });
      const lines = linesOf(join(dir, 'out.log'));
      const { table, warnings } = await parseLog(join(dir, 'out.log'));
      expect(warnings).toEqual([]);
      expect(returnedCounts(table, lines)).toEqual(counts(await parseTable(trailingTable(lines))));
      expect(table.totals).toMatchObject({ calls: 124, errors: 23 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
