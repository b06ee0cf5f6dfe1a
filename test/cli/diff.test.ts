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

interface DiffNode {
  f: number;
  v: number;
  b?: number;
  c?: DiffNode[];
}

interface DiffData {
  mode: string;
  normalized: boolean;
  frames: unknown[];
  trees: { type: string; total: number; baseTotal: number; vanished: number; root: DiffNode }[];
}

// The leaf frames' names with their new and base values: `read` -> { new, base }.
function leaves(data: DiffData): Map<string, { v: number; b: number }> {
  const name = (f: number) => {
    const frame = data.frames[f] as unknown;
    return Array.isArray(frame) ? String(frame[0]) : typeof frame === 'object' && frame !== null ? String((frame as { n: unknown }).n) : String(frame);
  };
  const out = new Map<string, { v: number; b: number }>();
  const walk = (n: DiffNode) => {
    if (!n.c || n.c.length === 0) out.set(name(n.f), { v: n.v, b: n.b ?? 0 });
    for (const c of n.c ?? []) walk(c);
  };
  walk(data.trees[0]!.root);
  return out;
}

// Two real strace --syscall-stacks runs of 20,000 requests (fixtures/render/README.md): c-threads, and the same
// server writing each response in two writes. Reads per request are unchanged; writes per request double.
const SPLIT_BASE = fixture('render', 'split-write', 'base');
const SPLIT_NEW = fixture('render', 'split-write', 'new');

function embeddedData(file: string): DiffData {
  return JSON.parse(/class="np-data">([^<]*)<\/script>/.exec(readFileSync(file, 'utf8'))![1]!) as DiffData;
}

describe('netprobe diff', () => {
  it('writes a normalised differential flame graph of two perf profiles', async () => {
    const out = join(dir, 'diff.html');
    const r = await runCli(['diff', BASE, NEW, '-o', out, '--sample-type', 'samples']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`diff: compared by total: base scaled to the new profile's total (neither input knows its request count)\nwrote ${out}\n`);
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

  it('compares run directories per request when both know their request count: unchanged reads stay neutral', async () => {
    const out = join(dir, 'split-write.html');
    const r = await runCli(['diff', SPLIT_BASE, SPLIT_NEW, '-o', out]);
    expect(r.exitCode).toBe(0);
    const words = 'per request: base scaled by 20,000 / 20,000 requests (new / base)';
    expect(r.stderr).toBe(`diff: compared ${words}\nwrote ${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`compared ${words}</span>`);
    expect(html).toContain(`<p>base ${SPLIT_BASE} · new ${SPLIT_NEW} · compared ${words}</p>`);
    const data = embeddedData(out);
    // Colours compare the scaled values themselves, not each frame's share of its total.
    expect(data.normalized).toBe(false);
    const l = leaves(data);
    expect(l.get('read')).toEqual({ v: 20004, b: 20004 });
    expect(l.get('write')).toEqual({ v: 40000, b: 20000 });
  });

  it('falls back to the total, and says so, when only one input knows its request count', async () => {
    const out = join(dir, 'one-known.html');
    const r = await runCli(['diff', SPLIT_BASE, fixture('render', 'strace-c.txt'), '-o', out]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("diff: compared by total: base scaled to the new profile's total (only the base input knows its request count)\n");
    expect(embeddedData(out).normalized).toBe(true);
  });

  it('--no-normalize on run directories compares raw values and says so', async () => {
    const out = join(dir, 'split-raw.html');
    const r = await runCli(['diff', SPLIT_BASE, SPLIT_NEW, '-o', out, '--no-normalize']);
    expect(r.stderr).toContain('diff: compared raw values: base not scaled (--no-normalize)\n');
    expect(leaves(embeddedData(out)).get('write')).toEqual({ v: 40000, b: 20000 });
  });
});
