// Unnamed user frames named after the process exited, from the mappings recorded while it ran: a program built
// here prints where its functions were loaded, exits, and a profile of those addresses is named.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMappings, type ProcessMappings } from '../../src/capture/mappings.js';
import { ProfileBuilder, stackList, SYSCALL_SAMPLE_TYPES, type Frame, type Profile } from '../../src/model/profile.js';
import { readElfSymbols, type ElfSymbol } from '../../src/parse/elf-symbols.js';
import { Symbolizer } from '../../src/run/symbolize.js';
import { toolAvailable } from '../helpers.js';

const hasGcc = toolAvailable('gcc');

// Prints the run-time addresses of two of its functions and of libc's getppid, then exits.
const PROGRAM = `#include <stdio.h>
#include <unistd.h>
int alpha(int x) { return x * 3 + 1; }
int beta(int x) { return alpha(x) * 2; }
int main(void) { printf("%p %p %p\\n", (void *)alpha, (void *)beta, (void *)getppid); usleep(50000); return beta(1) == 8 ? 0 : 1; }
`;

interface Ran {
  program: string;
  pid: number;
  /** Run-time addresses of alpha, beta and getppid. */
  addresses: { alpha: number; beta: number; getppid: number };
  mappings: ProcessMappings[];
  /** alpha's symbol in the file (its size tells where it ends). */
  alphaSymbol: ElfSymbol;
}

let dir = '';
let ran: Ran;

async function runRecorded(program: string): Promise<Omit<Ran, 'alphaSymbol'>> {
  const child = spawn(program, [], { stdio: ['ignore', 'pipe', 'ignore'] });
  const recorder = recordMappings([child.pid!]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': the output may still be in the pipe when the process has exited.
  await new Promise((resolve) => child.on('close', resolve));
  const [alpha, beta, getppid] = out.trim().split(' ').map((h) => Number.parseInt(h, 16));
  return { program, pid: child.pid!, addresses: { alpha: alpha!, beta: beta!, getppid: getppid! }, mappings: await recorder.stop() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-symbolize-'));
  if (!hasGcc) return;
  writeFileSync(join(dir, 'prog.c'), PROGRAM);
  const program = join(dir, 'prog');
  execFileSync('gcc', ['-O0', '-o', program, join(dir, 'prog.c')], { stdio: 'pipe' });
  const bytes = readFileSync(program);
  const elf = readElfSymbols((o, n) => bytes.subarray(o, o + n), bytes.length, program)!;
  ran = { ...(await runRecorded(program)), alphaSymbol: elf.symbols.find((s) => s.name === 'alpha')! };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (address: number): Frame => ({ name: '[unknown]', kind: 'user', address });

/** A syscall-profile-like profile: the given user frames (root first), then a syscall leaf. */
function profileOf(stacks: { frames: Frame[]; thread?: number }[]): Profile {
  const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
  for (const s of stacks) b.add([...s.frames, { name: 'getppid', kind: 'syscall' }], [1, 0, 0], s.thread !== undefined ? { thread: s.thread } : undefined);
  return b.build();
}

const names = (p: Profile) => stackList(p).map((s) => s.frames.map((id) => p.frames[id]!.name).join(';'));

describe('Symbolizer', () => {
  it.skipIf(!hasGcc)("names the program's and libc's frames from the mappings recorded while it ran, with the file as module", () => {
    const { alpha, beta, getppid } = ran.addresses;
    // Callers' frames are return addresses a few bytes into the function; the leaf is where the call was made.
    const profile = profileOf([{ frames: [user(beta + 4), user(alpha + 4), user(getppid)], thread: ran.pid }]);
    const symbols = new Symbolizer(ran.mappings);
    const named = symbols.resolve(profile, 'syscall stacks');
    expect(names(named)).toEqual(['beta;alpha;getppid;getppid']);
    const frames = stackList(named)[0]!.frames.map((id) => named.frames[id]!);
    expect(frames[0]).toEqual({ name: 'beta', kind: 'user', address: beta + 4, module: ran.program });
    expect(frames[2]!.module).toMatch(/\/libc\.so\.6$/);
    expect(symbols.notes).toEqual(['syscall stacks: named 3 of 3 user frames the tracer left unnamed, from the mappings recorded while the target ran']);
  });

  it.skipIf(!hasGcc)('a caller\'s return address just past its function still names it; the same address as the leaf names what is there', () => {
    const end = ran.addresses.alpha + ran.alphaSymbol.size;
    const caller = new Symbolizer(ran.mappings).resolve(profileOf([{ frames: [user(end), user(ran.addresses.getppid)] }]), 'x');
    expect(names(caller)).toEqual(['alpha;getppid;getppid']);
    const leaf = new Symbolizer(ran.mappings).resolve(profileOf([{ frames: [user(end)] }]), 'x');
    expect(names(leaf)[0]).not.toMatch(/^alpha;/);
  });

  it.skipIf(!hasGcc)('syscall stacks carry no thread: every recorded process is tried, and frames in none stay [unknown], counted', () => {
    const stray = 0x10;
    const symbols = new Symbolizer(ran.mappings);
    const named = symbols.resolve(profileOf([{ frames: [user(ran.addresses.beta + 4), user(stray)] }, { frames: [{ name: '0x7fffdead0000', kind: 'user' }] }]), 'syscall stacks');
    expect(names(named)).toEqual(['beta;[unknown];getppid', '0x7fffdead0000;getppid']);
    expect(symbols.notes).toEqual([
      'syscall stacks: named 1 of 3 user frames the tracer left unnamed, from the mappings recorded while the target ran; 2 stay [unknown] (2 outside every recorded mapping)',
    ]);
  });

  it.skipIf(!hasGcc)('a file replaced since it ran (a rebuilt binary) names nothing rather than the wrong functions', async () => {
    const copy = join(dir, 'replaced');
    copyFileSync(ran.program, copy);
    const copied = await runRecorded(copy);
    // Replaced the way a build does: a new file renamed over the old name (a new inode).
    copyFileSync(ran.program, `${copy}.new`);
    renameSync(`${copy}.new`, copy);
    const symbols = new Symbolizer(copied.mappings);
    const named = symbols.resolve(profileOf([{ frames: [user(copied.addresses.beta + 4), user(copied.addresses.getppid)], thread: copied.pid }]), 'off-CPU stacks');
    expect(names(named)).toEqual(['[unknown];getppid;getppid']);
    expect(symbols.notes[0]).toMatch(/named 1 of 2 .*; 1 stays \[unknown\] \(1 in a file unreadable or replaced since\)$/);
  });

  it('leaves a profile without unnamed frames untouched and says nothing', () => {
    const profile = profileOf([{ frames: [{ name: 'main', kind: 'user', address: 0x1234 }] }]);
    const symbols = new Symbolizer([{ pid: 1, threads: [1], mappings: [] }]);
    expect(symbols.resolve(profile, 'x')).toBe(profile);
    expect(symbols.notes).toEqual([]);
  });

  it('says so when the target ended before any of its mappings were read (a program of a few ms on a busy machine)', () => {
    const unnamed = profileOf([{ frames: [user(0x1234), user(0x5678)] }]);
    const symbols = new Symbolizer([]);
    expect(symbols.resolve(unnamed, 'syscall stacks')).toBe(unnamed);
    expect(symbols.notes).toEqual(['syscall stacks: 2 user frames the tracer left unnamed stay unnamed: the target ended before netprobe could read its mappings']);
  });
});
