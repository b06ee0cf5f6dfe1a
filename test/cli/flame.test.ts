import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const PERF = fixture('render', 'dd-bs512.perf');
const STRACE_C = fixture('render', 'strace-c.txt');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-flame-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function embeddedData(html: string): { initial: number; frames: [string, string][]; trees: { type: string; total: number }[] } {
  return JSON.parse(/class="np-data">([^<]*)<\/script>/.exec(html)![1]!);
}

describe('netprobe flame', () => {
  it('writes flame.html in the working directory by default and refuses to overwrite it without --force', async () => {
    const first = await runCli(['flame', PERF], { cwd: dir });
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toBe('wrote flame.html\n');
    const html = readFileSync(join(dir, 'flame.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Flame graph: dd-bs512.perf</title>');
    const data = embeddedData(html);
    expect(data.trees.map((t) => t.type)).toEqual(['samples', 'cpu']);
    expect(data.trees[0]!.total).toBe(85);
    expect(data.frames).toContainEqual(['entry_SYSCALL_64_after_hwframe', 'k']);

    const again = await runCli(['flame', PERF], { cwd: dir });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('flame.html already exists; not overwriting it');
    const forced = await runCli(['flame', PERF, '--force', '--title', 'dd 512'], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'flame.html'), 'utf8')).toContain('<title>dd 512</title>');
  });

  it('draws syscall-only inputs as one frame per syscall and honours --sample-type', async () => {
    const out = join(dir, 'strace.html');
    const r = await runCli(['flame', STRACE_C, '-o', out, '--sample-type', 'time']);
    expect(r.exitCode).toBe(0);
    const data = embeddedData(readFileSync(out, 'utf8'));
    expect(data.trees.map((t) => [t.type, t.total])).toEqual([
      ['calls', 2792],
      ['errors', 437],
      ['time', 37_196_000],
    ]);
    expect(data.initial).toBe(2);
    expect(data.frames).toContainEqual(['recvfrom', 's']);
  });

  it('writes to stdout with -o -', async () => {
    const r = await runCli(['flame', PERF, '-o', '-']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('exits 2 for an unknown sample type or an unreadable input', async () => {
    const bad = await runCli(['flame', PERF, '-o', join(dir, 'x.html'), '--sample-type', 'bytes']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('unknown sample type `bytes`; this input has: samples, cpu');
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
    const junk = join(dir, 'junk.bin');
    await writeFile(junk, Buffer.from([0, 1, 2, 3, 0, 0, 255, 7]));
    const unreadable = await runCli(['flame', junk, '-o', join(dir, 'y.html')]);
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.stderr).toMatch(/^netprobe: /);
  });
});
