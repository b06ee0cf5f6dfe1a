// Ctrl-C while the demo builds its example servers (a fresh cache: go build takes a while): the compiler is
// killed, netprobe exits 130 at once, and no empty demo directory is left in the way of the next demo.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, toolAvailable } from '../helpers.js';
import { processesMentioning } from './trace-support.js';

const hasGo = toolAvailable('go', ['version']);
const dir = mkdtempSync(join(tmpdir(), 'netprobe-demo-int-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo interrupted while building', () => {
  it.skipIf(!hasGo)('SIGINT during go build: exit 130 within seconds, no compiler left, no demo directory', async () => {
    const cache = join(dir, 'cache');
    const out = join(dir, 'demo-out');
    const cli = execa('node', [BIN, 'demo', '--servers', 'go-nethttp', '--no-sweep', '--out', out], {
      cwd: ROOT,
      reject: false,
      env: { NO_COLOR: '1', XDG_CACHE_HOME: cache },
      timeout: 120_000,
    });
    // Wait for the build to start (the go toolchain runs with the fresh cache below `cache`).
    for (let i = 0; i < 400 && processesMentioning(cache).length === 0; i++) await sleep(25);
    await sleep(300);
    const signalled = Date.now();
    cli.kill('SIGINT');
    const r = await cli;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(String(r.stderr)).toMatch(/nothing written/);
    expect(existsSync(out)).toBe(false);
    await sleep(200);
    expect(processesMentioning(cache)).toEqual([]);
  }, 120_000);
});
