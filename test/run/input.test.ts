// readInput's own decisions: JSON run files under any name, gzipped or not, and run directories, all read into
// the same table; bpftrace -f json left to its parser; a JSON object that is not a run named with what was expected.
// (Reading `-` from stdin is the CLI's: test/cli/summary.test.ts.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
