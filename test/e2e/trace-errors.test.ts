// What the user sees when the target or the environment is wrong: one line, a fix, the right exit code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, toolAvailable } from '../helpers.js';
import { freePort, processesMentioning } from './trace-support.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-err-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('trace errors', () => {
  it('a target that exits before listening: exit 3 with its last stderr lines', async () => {
    if (!toolAvailable('strace', ['-V'])) return;
    const target = script('crash.sh', 'echo "config error: no such file /etc/app.conf" >&2; exit 4');
    const port = await freePort();
    const r = await runCli(['trace', '--backend', 'strace', '--port', String(port), '-o', join(dir, 'crash'), '--', target]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/exited with code 4 before listening on port \d+/);
    expect(r.stderr).toContain('| config error: no such file /etc/app.conf');
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);

  it('a command that does not exist: exit 3', async () => {
    if (!toolAvailable('strace', ['-V'])) return;
    const r = await runCli(['trace', '--backend', 'strace', '-o', join(dir, 'missing'), '--', join(dir, 'no-such-program')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/cannot start .*no-such-program: command not found/);
    expect(r.stderr).toMatch(/^hint: /m);
  }, 60_000);

  it('an existing --out directory is never overwritten: exit 2', async () => {
    const out = join(dir, 'exists');
    mkdirSync(out);
    const r = await runCli(['trace', '--backend', 'strace', '-o', out, '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already exists; not overwriting it/);
  });

  it('usage errors: no command, both command and --pid, bad duration', async () => {
    expect((await runCli(['trace'])).stderr).toMatch(/nothing to trace/);
    expect((await runCli(['trace', '--pid', '1', '--', 'true'])).exitCode).toBe(2);
    const bad = await runCli(['trace', '-d', 'soon', '--', 'true']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Expected `--duration`/);
  });

  it('--pid of a process that does not exist: exit 2', async () => {
    const r = await runCli(['trace', '--backend', 'strace', '--pid', '999999999', '-o', join(dir, 'nopid')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no running process with pid/);
  });
});
