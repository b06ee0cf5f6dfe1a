// Tracer output files, read through the one input reader in their known format, are named, in errors and warnings, by a path the user can open from where they are.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shownPath } from '../../src/model/shown-path.js';
import { readTracerOutput } from '../../src/run/input.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-parse-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTracerOutput', () => {
  it('names files below the working directory relative to it, and others absolutely', () => {
    expect(shownPath(join(process.cwd(), 'netprobe-out', 'run', 'raw', 'bpftrace.txt'))).toBe(join('netprobe-out', 'run', 'raw', 'bpftrace.txt'));
    expect(shownPath(join(dir, 'raw', 'bpftrace.txt'))).toBe(join(dir, 'raw', 'bpftrace.txt'));
  });

  it('a structural error names the file the user can open, not a path inside the run directory', async () => {
    const file = join(dir, 'bpftrace.txt');
    writeFileSync(file, 'Attaching 1 probe...\n\n');
    const err = (await readTracerOutput(file, 'bpftrace').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^\/.*:\d+: expected bpftrace output with at least one map of counts$/);
    expect(err.message.startsWith(`${file}:`)).toBe(true);
  });

  it("netprobe's own script output without maps (an idle target) is an empty table, not an error", async () => {
    const file = join(dir, 'idle.txt');
    writeFileSync(file, 'Attaching 8 probes...\nnetprobe: probes attached\n\n\n');
    const parsed = await readTracerOutput(file, 'bpftrace');
    expect(parsed.syscalls).toMatchObject({ rows: [], totals: { calls: 0, errors: 0 }, threads: 0 });
  });
});
