// ELF64 bytes -> function symbols and load segments, checked against binutils on real files: a C program built
// here as PIE, non-PIE and stripped (dynsym only), glibc's libc.so.6, and a Go binary.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElfSymbols, symbolAt, vaddrOfFileOffset, type ElfSymbols } from '../../src/parse/elf-symbols.js';
import { toolAvailable } from '../helpers.js';

const hasBinutils = toolAvailable('gcc') && toolAvailable('nm') && toolAvailable('objdump') && toolAvailable('strip');
const hasGo = hasBinutils && toolAvailable('go', ['version']);
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

const PROGRAM = `#include <stdio.h>
static int gamma_(int x) { return x * 3; }
int alpha(int x) { return gamma_(x) + 1; }
int beta(int x) { return alpha(x) * 2; }
int main(int argc, char **argv) { (void)argv; printf("%d\\n", beta(argc)); return 0; }
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-elf-'));
  if (!hasBinutils) return;
  writeFileSync(join(dir, 'prog.c'), PROGRAM);
  const gcc = (...args: string[]) => execFileSync('gcc', ['-O0', ...args, join(dir, 'prog.c')], { stdio: 'pipe' });
  gcc('-o', join(dir, 'pie'));
  gcc('-no-pie', '-o', join(dir, 'nopie'));
  // -rdynamic exports the program's functions into .dynsym, which is all a stripped copy keeps.
  gcc('-rdynamic', '-o', join(dir, 'exported'));
  execFileSync('strip', ['-o', join(dir, 'stripped'), join(dir, 'exported')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function elfOf(file: string): ElfSymbols {
  const bytes = readFileSync(file);
  const elf = readElfSymbols((offset, length) => bytes.subarray(offset, offset + length), bytes.length, file);
  expect(elf).not.toBeNull();
  return elf!;
}

/** Defined functions with a size as `nm -S` lists them: every name at each address (aliases). */
function nmFunctions(file: string, dynamic: boolean): Map<number, { size: number; names: string[] }> {
  const text = execFileSync('nm', [...(dynamic ? ['-D'] : []), '-S', '--defined-only', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<number, { size: number; names: string[] }>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) ([TtWwiI]) (\S+)$/.exec(line);
    if (!m || Number.parseInt(m[2]!, 16) === 0) continue;
    const address = Number.parseInt(m[1]!, 16);
    const entry = out.get(address) ?? { size: Number.parseInt(m[2]!, 16), names: [] };
    entry.names.push(m[4]!.replace(/@.*$/, ''));
    out.set(address, entry);
  }
  return out;
}

/** Every function nm lists resolves, at its first and last byte, to one of the names nm gives its address. */
function expectMatchesNm(elf: ElfSymbols, functions: Map<number, { size: number; names: string[] }>): void {
  expect(functions.size).toBeGreaterThan(0);
  const wrong: string[] = [];
  for (const [address, { size, names }] of functions) {
    for (const at of [address, address + size - 1]) {
      const found = symbolAt(elf.symbols, at)?.name;
      if (found === undefined || !names.includes(found)) wrong.push(`${at.toString(16)}: ${found} not in ${names.join(',')}`);
    }
  }
  expect(wrong).toEqual([]);
}

/** `objdump -F`: the file offset objdump gives a function (an independent offset -> address translation). */
function objdumpFileOffset(file: string, fn: string): { vaddr: number; offset: number } {
  const text = execFileSync('objdump', ['-d', '-F', `--disassemble=${fn}`, file], { encoding: 'utf8' });
  const m = new RegExp(`^([0-9a-f]+) <${fn}> \\(File Offset: 0x([0-9a-f]+)\\):`, 'm').exec(text)!;
  return { vaddr: Number.parseInt(m[1]!, 16), offset: Number.parseInt(m[2]!, 16) };
}

describe('readElfSymbols on a C program (gcc -O0)', () => {
  it.skipIf(!hasBinutils)('PIE: .symtab functions at the addresses nm reports, static ones included', () => {
    const file = join(dir, 'pie');
    const elf = elfOf(file);
    expect(elf.kind).toBe('shared');
    expect(elf.table).toBe('.symtab');
    expect(elf.buildId).toMatch(/^[0-9a-f]{40}$/);
    expectMatchesNm(elf, nmFunctions(file, false));
    const names = elf.symbols.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['alpha', 'beta', 'gamma_', 'main']));
    // Sorted for binary search, one symbol per address.
    expect(elf.symbols.every((s, i) => i === 0 || s.address > elf.symbols[i - 1]!.address)).toBe(true);
  });

  it.skipIf(!hasBinutils)('non-PIE: linked at 0x400000, file offsets translate to addresses through PT_LOAD as objdump does', () => {
    const file = join(dir, 'nopie');
    const elf = elfOf(file);
    expect(elf.kind).toBe('executable');
    expectMatchesNm(elf, nmFunctions(file, false));
    for (const fn of ['alpha', 'beta', 'main']) {
      const { vaddr, offset } = objdumpFileOffset(file, fn);
      expect(vaddr).toBeGreaterThanOrEqual(0x400000);
      expect(vaddr).not.toBe(offset);
      expect(vaddrOfFileOffset(elf.segments, offset)).toBe(vaddr);
      // Inside the function, a few bytes in (a return address into it), it is still the function.
      expect(symbolAt(elf.symbols, vaddrOfFileOffset(elf.segments, offset + 5)!)?.name).toBe(fn);
    }
  });

  it.skipIf(!hasBinutils)('stripped: only the exported functions of .dynsym; a static function is not guessed from a neighbour', () => {
    const file = join(dir, 'stripped');
    const elf = elfOf(file);
    expect(elf.table).toBe('.dynsym');
    expectMatchesNm(elf, nmFunctions(file, true));
    const names = elf.symbols.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['alpha', 'beta', 'main']));
    expect(names).not.toContain('gamma_');
    // gamma_'s bytes, from the unstripped twin: no symbol covers them in the stripped file.
    const gamma = elfOf(join(dir, 'exported')).symbols.find((s) => s.name === 'gamma_')!;
    expect(symbolAt(elf.symbols, gamma.address)).toBeUndefined();
    expect(symbolAt(elf.symbols, gamma.address + gamma.size - 1)).toBeUndefined();
  });
});

describe('readElfSymbols on system files', () => {
  it.skipIf(!hasBinutils)("glibc's libc.so.6 (stripped): every exported function of its .dynsym, under its plain name", () => {
    const elf = elfOf(LIBC);
    expect(elf.kind).toBe('shared');
    expect(elf.table).toBe('.dynsym');
    expectMatchesNm(elf, nmFunctions(LIBC, true));
    // Of `read`, `__read`, `__libc_read` (and symbol versions), the name a reader knows.
    const read = nmFunctions(LIBC, true);
    const at = [...read].find(([, f]) => f.names.includes('read'))![0];
    expect(symbolAt(elf.symbols, at)?.name).toBe('read');
  });

  it.skipIf(!hasGo)('a Go binary: non-PIE, full .symtab with package-qualified names', () => {
    const source = join(dir, 'main.go');
    writeFileSync(source, 'package main\n\n//go:noinline\nfunc work(n int) int { return n * 7 }\n\nfunc main() { println(work(6)) }\n');
    execFileSync('go', ['build', '-o', join(dir, 'gobin'), source], { cwd: dir, stdio: 'pipe' });
    const file = join(dir, 'gobin');
    const elf = elfOf(file);
    expect(elf.kind).toBe('executable');
    expect(elf.table).toBe('.symtab');
    expectMatchesNm(elf, nmFunctions(file, false));
    expect(elf.symbols.map((s) => s.name)).toEqual(expect.arrayContaining(['main.work', 'main.main', 'runtime.futexsleep']));
  }, 120_000);
});

describe('readElfSymbols on what is not a whole ELF64 file', () => {
  it('answers null for another format (not mine), before reading anything else', () => {
    const text = Buffer.from('#!/bin/sh\necho hello\n'.padEnd(100, ' '));
    expect(readElfSymbols((o, n) => text.subarray(o, o + n), text.length, 'script.sh')).toBeNull();
    const elf32 = Buffer.alloc(64);
    elf32.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
    expect(readElfSymbols((o, n) => elf32.subarray(o, o + n), elf32.length, 'elf32')).toBeNull();
  });

  it.skipIf(!hasBinutils)('refuses a truncated file, naming it, instead of reading past its end', () => {
    const file = join(dir, 'truncated');
    copyFileSync(join(dir, 'pie'), file);
    const bytes = readFileSync(file).subarray(0, 4096);
    expect(() => readElfSymbols((o, n) => bytes.subarray(o, o + n), bytes.length, file)).toThrow(/truncated: not a well-formed ELF file: section headers at \d+ \(\d+ bytes\) beyond its 4096 bytes/);
  });
});
