// readInput's own decisions: JSON run files under any name, gzipped or not, and run directories, all read into
// the same table; bpftrace -f json left to its parser; a JSON object that is not a run named with what was expected.
// (Reading `-` from stdin is the CLI's: test/cli/summary.test.ts.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFolded } from '../../src/export/folded.js';
import { NetprobeError } from '../../src/model/errors.js';
import { readInput } from '../../src/run/input.js';
import { fixture } from '../helpers.js';

const RUN = fixture('models', 'runs', 'go-nethttp-bpftrace');

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'netprobe-input-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('inputs that are JSON', () => {
  it('reads a run.json-shaped file under any name, gzipped, and as its run directory, with the same counts', async () => {
    const baseline = join(tmp, 'baseline.json');
    writeFileSync(baseline, readFileSync(join(RUN, 'run.json')));
    const direct = await readInput(baseline);
    expect(direct.format).toBe('run');
    expect(direct.file).toBe(baseline);
    expect(direct.syscalls!.totals.calls).toBeGreaterThan(0);

    writeFileSync(`${baseline}.gz`, gzipSync(readFileSync(baseline)));
    const gz = await readInput(`${baseline}.gz`);
    expect(gz.syscalls).toEqual(direct.syscalls);

    const dir = await readInput(RUN);
    expect(dir.syscalls).toEqual(direct.syscalls);
    expect(dir.file).toBe(RUN);
    // A run's own run.json stands for its directory, profiles included.
    expect((await readInput(join(RUN, 'run.json'))).profile).toEqual(dir.profile);
  });

  it('leaves bpftrace -f json output to the bpftrace parser', async () => {
    const r = await readInput(fixture('bpftrace', 'netprobe-script-stacks.json'));
    expect(r.format).toBe('bpftrace');
    expect(r.syscalls!.totals.calls).toBeGreaterThan(0);
  });

  it('names the file and what was expected for a JSON object that is not a run', async () => {
    const bad = join(tmp, 'other.json');
    writeFileSync(bad, '{"name": "not a run"}\n');
    const err = await readInput(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetprobeError);
    expect(err).toMatchObject({ code: 'input' });
    expect((err as Error).message).toMatch(/other\.json: expected a netprobe run\.json or baseline file with a `syscalls` array/);
  });

  it('a missing path is an input error naming it', async () => {
    await expect(readInput(join(tmp, 'nope.json'))).rejects.toThrow(new NetprobeError('input', `${join(tmp, 'nope.json')}: no such file or directory`));
  });
});

describe('large text inputs (read in 1 MiB chunks into one reused buffer, decoded in 64 KiB pieces)', () => {
  // Plain ASCII for the first 1.5 MiB (the latin1 path), then names with 2- and 4-byte UTF-8 characters, padded so
  // that characters straddle 64 KiB and 1 MiB boundaries somewhere: every stack must come out as it went in.
  function lines(count: number, name: (i: number) => string): string[] {
    return Array.from({ length: count }, (_, i) => `main;handler_${i};${name(i)} ${1 + (i % 7)}`);
  }

  it.each([
    ['plain', false],
    ['gzipped', true],
  ] as const)('%s: every stack of a 2.8 MB folded file, non-ASCII from 1.5 MiB on, reads back exactly', async (_, gzip) => {
    const ascii = lines(48_000, (i) => `leaf_${'x'.repeat(i % 13)}`);
    const mixed = lines(30_000, (i) => `séance_${'y'.repeat(i % 11)}\u{1F600}${i % 2 ? 'é' : ''}`).map((l) => l.replace('main', 'mäin'));
    const text = `${[...ascii, ...mixed].join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(2_500_000);
    expect(Buffer.byteLength(ascii.join('\n'))).toBeGreaterThan(1_500_000);
    const file = join(tmp, gzip ? 'large.folded.gz' : 'large.folded');
    writeFileSync(file, gzip ? gzipSync(text) : text);
    const loaded = await readInput(file);
    expect(loaded.format).toBe('folded');
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const got = toFolded(loaded.profile!).trimEnd().split('\n');
    expect(got).toEqual([...ascii, ...mixed].sort(byBytes));
  });
});
