// A target that forks into the background and exits 0 while its daemon serves the port: trace says so with
// the fix, exits 3, and stops the daemon it left (setsid, so no signal to the target's group reaches it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portListeners } from '../../src/capture/daemon.js';
import { fixture, runCli, toolAvailable } from '../helpers.js';
import { freePort, processesMentioning } from './trace-support.js';

const hasStrace = toolAvailable('strace', ['-V']);
const nginxPath = ['/usr/sbin/nginx', 'nginx'].find((n) => toolAvailable(n, ['-v']));
const dir = mkdtempSync(join(tmpdir(), 'netprobe-daemonize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a daemonizing target', () => {
  it.skipIf(!hasStrace)('a setsid double-fork daemon: exit 3 with the fix, and the daemon is stopped', async () => {
    const port = await freePort();
    const r = await runCli(['trace', '--backend', 'strace', '--load', `http://127.0.0.1:${port}/`, '-d', '1s', '--', 'python3', fixture('servers', 'daemonizing', 'daemon.py'), String(port)]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^netprobe: the server daemonized: python3 exited with code 0 while pid \d+ \(which it started\) served 127\.0\.0\.1:\d+; netprobe stopped it$/m);
    expect(r.stderr).toMatch(/hint: Run it in the foreground/);
    expect(await portListeners(port)).toEqual([]);
    expect(processesMentioning('daemonizing/daemon.py')).toEqual([]);
  }, 60_000);

  it.skipIf(!hasStrace || !nginxPath)('nginx with `daemon on;`: the master and its workers are stopped', async () => {
    const port = await freePort();
    const prefix = join(dir, 'nginx');
    rmSync(prefix, { recursive: true, force: true });
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `daemon on; worker_processes 2; pid ${prefix}.pid; error_log ${prefix}-error.log;
events { worker_connections 64; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } } }
`,
    );
    const r = await runCli(['trace', '--backend', 'strace', '--port', String(port), '-d', '1s', '--', nginxPath!, '-c', conf, '-p', dir]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/the server daemonized/);
    expect(r.stderr).toMatch(/daemon off;/);
    expect(await portListeners(port)).toEqual([]);
    expect(processesMentioning(conf)).toEqual([]);
  }, 60_000);
});
