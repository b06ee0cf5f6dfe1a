// Run directories are never reused, and read back with syscalls, profile and meta.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunDirectory, loadRunDirectory, runName, timestampForPath, writeRunFiles } from '../../src/run/run-dir.js';
import { toPprof } from '../../src/export/pprof.js';
import { buildRunJson } from '../../src/export/run-json.js';
import { profileFromSyscalls } from '../../src/model/syscall-profile.js';
import { tableFromRows } from '../../src/model/syscalls.js';

let dir: string;
const cwd = process.cwd();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-rundir-'));
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('createRunDirectory', () => {
  it('names the default after the command and the time, with a suffix instead of reusing a directory', async () => {
    const when = new Date(2026, 0, 22, 8, 15, 2);
    expect(timestampForPath(when)).toBe('20260122-081502');
    const a = await createRunDirectory(undefined, 'server', when);
    const b = await createRunDirectory(undefined, 'server', when);
    expect(a).toBe(join(dir, 'netprobe-out', 'server-20260122-081502'));
    expect(b).toBe(`${a}-2`);
    expect(readdirSync(a)).toEqual(['raw']);
  });

  it('refuses an explicit --out that exists, and creates missing parents', async () => {
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'keep.txt'), 'x');
    await expect(createRunDirectory(join(dir, 'taken'), 'x')).rejects.toThrow(/already exists; not overwriting it/);
    expect(readdirSync(join(dir, 'taken'))).toEqual(['keep.txt']);
    const made = await createRunDirectory(join(dir, 'a', 'b', 'run'), 'x');
    expect(existsSync(join(made, 'raw'))).toBe(true);
  });

  it('runName: basename of the command, or the pid; safe for paths', () => {
    expect(runName(['./build/my server', '--port', '1'], undefined)).toBe('my_server');
    expect(runName(undefined, 4242)).toBe('pid-4242');
    expect(runName(undefined, 4242, 'nginx')).toBe('nginx-4242');
    expect(runName(undefined, 4242, '../../x y')).toBe('x_y-4242');
  });
});

describe('loadRunDirectory', () => {
  it('returns run.json syscalls, the syscall profile and meta', async () => {
    const table = tableFromRows(
      [
        { name: 'read', calls: 2000, errors: 500, errnos: { EAGAIN: 500 }, seconds: 0.25 },
        { name: 'write', calls: 1000, errors: 0, errnos: {}, seconds: 0.5 },
      ],
      true,
      8,
    );
    const run = buildRunJson({
      exporter: 'netprobe@test',
      name: 'srv',
      command: ['./srv'],
      backend: 'bpftrace',
      startedAt: new Date('2026-01-22T08:00:00Z'),
      durationSeconds: 5,
      target: { pid: 1, exitCode: 0, signal: null },
      load: { requests: 1000, errors: 0, durationSeconds: 5, requestsPerSecond: 200 },
      syscalls: table,
      perRequest: { read: 2, write: 1 },
      model: { label: 'unknown', confidence: 0, evidence: [] },
      overhead: null,
      capture: { window: 'load', seconds: 5, backendReason: 'requested', time: 'wall', notes: [] },
      interrupted: false,
      files: ['syscalls.pb.gz', 'run.json'],
    });
    const out = await createRunDirectory(join(dir, 'load-me'), 'srv');
    await writeRunFiles(out, { run, syscallsPprof: toPprof(profileFromSyscalls(table)) });
    const loaded = await loadRunDirectory(out);
    expect(loaded.format).toBe('run');
    expect(loaded.syscalls).toEqual(table);
    expect(loaded.meta).toMatchObject({ name: 'srv', requests: 1000, requestsPerSecond: 200, durationSeconds: 5, threads: 8, backend: 'bpftrace' });
    expect((loaded.meta!.run as { files: string[] }).files).toEqual(['run.json', 'syscalls.pb.gz']);
    expect(loaded.profile!.sampleTypes.map((t) => t.type)).toEqual(['calls', 'errors', 'time']);
  });

  it('a directory without run.json is an input error', async () => {
    mkdirSync(join(dir, 'empty'));
    await expect(loadRunDirectory(join(dir, 'empty'))).rejects.toThrow(/not a netprobe run directory \(no run.json\)/);
    writeFileSync(join(dir, 'empty', 'run.json'), '{"syscalls": 3}');
    await expect(loadRunDirectory(join(dir, 'empty'))).rejects.toThrow(/expected a netprobe run.json/);
  });
});
