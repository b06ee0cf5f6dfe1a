// readInput's own decisions: JSON run files under any name, gzip and stdin alike, after the text parsers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const RUN = fixture('models', 'runs', 'go-nethttp-bpftrace');

describe('inputs that are JSON', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netprobe-input-'));
  const baseline = join(tmp, 'baseline.json');
  writeFileSync(baseline, readFileSync(join(RUN, 'run.json')));

  it('reads a run.json-shaped file under any name, gzipped, and from stdin, with the same counts', async () => {
    const direct = await runCli(['summary', '--json', baseline]);
    expect(direct.exitCode).toBe(0);
    const totals = JSON.parse(direct.stdout).totals;
    expect(totals.calls).toBeGreaterThan(0);

    writeFileSync(`${baseline}.gz`, gzipSync(readFileSync(baseline)));
    const gz = await runCli(['summary', '--json', `${baseline}.gz`]);
    expect(JSON.parse(gz.stdout).totals).toEqual(totals);

    const stdin = await runCli(['summary', '--json', '-'], { input: readFileSync(baseline) });
    expect(JSON.parse(stdin.stdout).totals).toEqual(totals);

    const dir = await runCli(['summary', '--json', RUN]);
    expect(JSON.parse(dir.stdout).totals).toEqual(totals);
  });

  it('leaves bpftrace -f json output to the bpftrace parser', async () => {
    const r = await runCli(['summary', '--json', fixture('bpftrace', 'netprobe-script-stacks.json')]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).totals.calls).toBeGreaterThan(0);
  });

  it('names the file and what was expected for a JSON object that is not a run', async () => {
    const bad = join(tmp, 'other.json');
    writeFileSync(bad, '{"name": "not a run"}\n');
    const r = await runCli(['summary', bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/other\.json: expected a netprobe run\.json or baseline file with a `syscalls` array/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
