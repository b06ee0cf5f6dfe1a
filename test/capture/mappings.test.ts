// The traced processes' executable mappings, read from /proc while they run: the lines that matter, a program
// that lives a few milliseconds, an exec, and a library unmapped before the end.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executableMappings, recordMappings, type ProcessMappings } from '../../src/capture/mappings.js';
import { toolAvailable } from '../helpers.js';

const hasGcc = toolAvailable('gcc');
const dir = mkdtempSync(join(tmpdir(), 'netprobe-maps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs argv while recording its mappings from the moment it is spawned; returns them once it has exited. */
async function recordRun(argv: string[]): Promise<ProcessMappings[]> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const recorder = recordMappings([child.pid!]);
  await new Promise((resolve) => child.on('exit', resolve));
  return recorder.stop();
}

const paths = (p: ProcessMappings) => p.mappings.map((m) => m.path);

describe('executableMappings', () => {
  it('keeps executable, file-backed lines (offset and inode included), whatever their path holds', () => {
    const maps = [
      '556ce2e0a000-556ce2e0c000 r--p 00000000 fe:00 260131                     /usr/bin/cat',
      '556ce2e0c000-556ce2e11000 r-xp 00002000 fe:00 260131                     /usr/bin/cat',
      '556ce3e4b000-556ce3e6c000 rw-p 00000000 00:00 0                          [heap]',
      '7f2c1a828000-7f2c1a9bd000 r-xp 00028000 fe:00 262465                     /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f2c1aa3e000-7f2c1aa40000 r-xp 00000000 00:00 0                          [vdso]',
      '7f2c1ab00000-7f2c1ab10000 r-xp 00001000 fe:00 99                         /tmp/my dir/lib one.so',
      '7f2c1ac00000-7f2c1ac10000 r-xp 00001000 fe:00 98                         /tmp/old.so (deleted)',
      '7f2c1ad00000-7f2c1ad10000 rwxp 00000000 00:00 0 ',
    ].join('\n');
    expect(executableMappings(maps)).toEqual([
      { start: 0x556ce2e0c000, end: 0x556ce2e11000, offset: 0x2000, inode: 260131, path: '/usr/bin/cat' },
      { start: 0x7f2c1a828000, end: 0x7f2c1a9bd000, offset: 0x28000, inode: 262465, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
      { start: 0x7f2c1ab00000, end: 0x7f2c1ab10000, offset: 0x1000, inode: 99, path: '/tmp/my dir/lib one.so' },
    ]);
  });
});

describe('recordMappings', () => {
  it('sees a program that lives 50 ms: its executable and libc, and its threads', async () => {
    const [sleep] = await recordRun(['sleep', '0.05']);
    expect(sleep).toBeDefined();
    expect(paths(sleep!).some((p) => p.endsWith('/sleep'))).toBe(true);
    expect(paths(sleep!).some((p) => /\/libc\.so/.test(p))).toBe(true);
    expect(sleep!.threads).toContain(sleep!.pid);
  });

  it('after an exec, keeps the program the process became, not the one it was', async () => {
    const [p] = await recordRun(['sh', '-c', 'sleep 0.3; exec sleep 0.3']);
    expect(paths(p!).some((path) => path.endsWith('/sleep'))).toBe(true);
    expect(paths(p!).some((path) => /\/(dash|bash|sh)$/.test(path))).toBe(false);
  });

  it.skipIf(!hasGcc)('keeps a library the process unmapped before it exited, after the latest mappings', async () => {
    writeFileSync(
      join(dir, 'dl.c'),
      '#include <dlfcn.h>\n#include <unistd.h>\nint main(void) { void *h = dlopen("libgcc_s.so.1", RTLD_NOW); if (!h) return 1;\n' +
        '  usleep(400000); dlclose(h); usleep(400000); return 0; }\n',
    );
    execFileSync('gcc', ['-O1', '-o', join(dir, 'dl'), join(dir, 'dl.c'), '-ldl'], { stdio: 'pipe' });
    const [p] = await recordRun([join(dir, 'dl')]);
    const all = paths(p!);
    const gccS = all.findIndex((path) => path.includes('libgcc_s'));
    expect(gccS).toBeGreaterThan(0);
    // Unmapped at the end: listed after every mapping of the last snapshot (the program, libc, the loader).
    expect(all.indexOf(join(dir, 'dl'))).toBeLessThan(gccS);
    expect(all.findIndex((path) => /\/libc\.so/.test(path))).toBeLessThan(gccS);
  });

  it('leaves out a process it never saw, and stops cleanly when nothing was alive', async () => {
    const recorder = recordMappings([2 ** 22 + 12345]);
    expect(await recorder.stop()).toEqual([]);
  });
});
