import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const BASE = fixture('render', 'dd-bs512.perf');
const NEW = fixture('render', 'dd-bs64k.perf');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-diff-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface DiffData {
  mode: string;
  normalized: boolean;
  trees: { type: string; total: number; baseTotal: number; vanished: number }[];
}

function embeddedData(file: string): DiffData {
  return JSON.parse(/class="np-data">([^<]*)<\/script>/.exec(readFileSync(file, 'utf8'))![1]!) as DiffData;
}

describe('netprobe diff', () => {
  it('writes a normalised differential flame graph of two perf profiles', async () => {
    const out = join(dir, 'diff.html');
    const r = await runCli(['diff', BASE, NEW, '-o', out, '--sample-type', 'samples']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`wrote ${out}\n`);
    const data = embeddedData(out);
    expect(data.mode).toBe('diff');
    expect(data.normalized).toBe(true);
    expect(data.trees[0]!.type).toBe('samples');
    // Widths follow the new profile: 102 samples.
    expect(data.trees[0]!.total).toBe(102);
    expect(data.trees[0]!.vanished).toBeGreaterThan(0);
  });

  it('--no-normalize keeps raw base counts; an existing output needs --force', async () => {
    const out = join(dir, 'raw.html');
    const r = await runCli(['diff', BASE, NEW, '-o', out, '--sample-type', 'samples', '--no-normalize']);
    expect(r.exitCode).toBe(0);
    const data = embeddedData(out);
    expect(data.normalized).toBe(false);
    expect(data.trees[0]!.baseTotal).toBe(85);
    const again = await runCli(['diff', BASE, NEW, '-o', out]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('refuses to compare profiles without a common sample type (exit 2)', async () => {
    const r = await runCli(['diff', fixture('render', 'strace-c.txt'), NEW, '-o', join(dir, 'mixed.html')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('have no sample type `calls` in common');
  });
});
