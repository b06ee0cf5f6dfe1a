// What the user sees when the target or the environment is wrong: one line, a fix, the right exit code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, runCli, toolAvailable } from '../helpers.js';
import { freePort, processesMentioning } from './trace-support.js';

// Under CI a missing strace fails here, at collection; elsewhere the tests that need it are skipped with a SKIP line.
const haveStrace = toolAvailable('strace', ['-V']);

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
  it.skipIf(!haveStrace)('a target that exits before listening: exit 3 with its last stderr lines', async () => {
    const target = script('crash.sh', 'echo "config error: no such file /etc/app.conf" >&2; exit 4');
    const port = await freePort();
    const r = await runCli(['trace', '--backend', 'strace', '--port', String(port), '-o', join(dir, 'crash'), '--', target]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/exited with code 4 before listening on port \d+/);
    expect(r.stderr).toContain('| config error: no such file /etc/app.conf');
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);

  it.skipIf(!haveStrace)('a target that exits before its --load port is ready: the hint names --load, not --port', async () => {
    const target = script('crash-load.sh', 'echo "bad config" >&2; exit 4');
    const port = await freePort();
    const r = await runCli(['trace', '--backend', 'strace', '--load', `http://127.0.0.1:${port}/`, '-o', join(dir, 'crash-load'), '--', target]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^hint: .*the port given with --load is the one it listens on/m);
    expect(r.stderr).not.toMatch(/--port/);
  }, 60_000);

  it.skipIf(!haveStrace)('--ready-timeout bounds the wait for the port and is named in the hint', async () => {
    const target = script('never-listens.sh', 'exec sleep 30');
    const port = await freePort();
    const r = await runCli(['trace', '--backend', 'strace', '--port', String(port), '--ready-timeout', '300ms', '-o', join(dir, 'slow'), '--', target]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/did not accept connections on 127\.0\.0\.1:\d+ within 0\.3 s/);
    expect(r.stderr).toMatch(/^hint: .*--ready-timeout/m);
    expect(processesMentioning(dir)).toEqual([]);
    const help = await runCli(['trace', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--ready-timeout <time> give up waiting for the port (--port or the --load URL) after this long (default: "30s")');
    expect((await runCli(['trace', '--ready-timeout', 'soon', '--', 'true'])).exitCode).toBe(2);
  }, 60_000);

  it('a --load URL that is not plain http on this machine is refused before anything starts: exit 2', async () => {
    const marker = join(dir, 'started');
    const target = script('marks.sh', `touch ${marker}`);
    for (const url of ['https://127.0.0.1:8443/', 'http://192.0.2.1:8080/', 'http://example.com/']) {
      const r = await runCli(['trace', '--load', url, '-o', join(dir, 'refused'), '--', target]);
      expect({ url, code: r.exitCode }).toEqual({ url, code: 2 });
      expect(r.stderr).toMatch(/plain HTTP only|not a loopback address/);
    }
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });

  it.skipIf(!haveStrace)('a command that does not exist: exit 3', async () => {
    const r = await runCli(['trace', '--backend', 'strace', '-o', join(dir, 'missing'), '--', join(dir, 'no-such-program')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/cannot start .*no-such-program: command not found/);
    expect(r.stderr).toMatch(/^hint: /m);
  }, 60_000);

  it('an existing --out directory is never overwritten, and is refused before the backends are probed: exit 2', async () => {
    const out = join(dir, 'exists');
    mkdirSync(out);
    const r = await runCli(['trace', '--backend', 'strace', '-o', out, '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already exists; not overwriting it/);
    // With no tracer on PATH, auto would fail with exit 3 if it were asked first.
    const empty = mkdtempSync(join(tmpdir(), 'netprobe-nopath-'));
    try {
      const noTools = await execa(process.execPath, [BIN, 'trace', '-o', out, '--', process.execPath, '-e', '0'], {
        env: { PATH: empty, NO_COLOR: '1' },
        extendEnv: false,
        reject: false,
      });
      expect(noTools.exitCode).toBe(2);
      expect(noTools.stderr).toMatch(/already exists; not overwriting it/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
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
