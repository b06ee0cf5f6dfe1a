// Pre-forking servers: the workers that serve the requests exist before the tracer attaches (--load/--port,
// --pid), so every backend must trace the target's whole process tree, not just the master.
// fixtures/ground-truth/prefork.c forks its 2 workers before it listens; nginx (when installed) is the real thing.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, toolAvailable } from '../helpers.js';
import { BACKENDS, freePort, processesMentioning, readRunJson, traceUnderLoad, usableBackends, useBuiltProgram, type RunJsonLike } from './trace-support.js';

// Socket reads and writes as model/families.ts groups them (nginx reads with recvfrom, writes with writev).
const READS = ['read', 'readv', 'recvfrom', 'recvmsg'];
const WRITES = ['write', 'writev', 'sendto', 'sendmsg', 'sendfile'];

const work = useBuiltProgram('netprobe-prefork-', 'ground-truth/prefork.c', 'prefork');

// Probed once at collection: under CI a missing tool fails the file, elsewhere its tests skip with a SKIP line.
const usable = usableBackends();
const anyBackend = BACKENDS.map(([name]) => name).find((name) => usable[name]);
const haveNginx = toolAvailable('nginx', ['-v']);
if (anyBackend === undefined) console.warn('SKIP: --pid on a pre-forking server needs one working backend');

function calls(run: RunJsonLike, names: string[]): number {
  return run.syscalls.filter((s) => names.includes(s.name)).reduce((n, s) => n + s.calls, 0);
}

describe('trace a pre-forking server', () => {
  for (const [backend] of BACKENDS) {
    it.skipIf(!usable[backend])(`${backend}: counts the workers that existed before the attach`, async () => {
      const port = await freePort();
      const out = join(work.dir, `run-${backend}`);
      const { r, run } = await traceUnderLoad(['--backend', backend], port, out, [work.program, String(port)]);
      const requests = run.load!.requests;
      expect(requests).toBeGreaterThan(0);
      // Each request is one read and one write in a worker; the master only waits.
      expect(run.syscalls.find((s) => s.name === 'read')!.calls).toBeGreaterThanOrEqual(requests);
      expect(run.syscalls.find((s) => s.name === 'write')!.calls).toBeGreaterThanOrEqual(requests);
      expect(run.capture.notes).toContain(`traced 2 child processes of pid ${run.target.pid} that existed before the attach`);
      expect(run.capture.notes.join('\n')).not.toMatch(/read\/write calls per request/);
      // Every backend says how many threads it saw. bpftrace counts threads that made syscalls, and the kernel
      // may hand every connection to one of the two workers blocked in accept(), so at least one.
      expect(run.threads).toBeGreaterThanOrEqual(1);
      expect(r.stdout).toMatch(/^threads: \d+$/m);
      expect(processesMentioning(work.dir)).toEqual([]);
    }, 60_000);
  }

  it.skipIf(anyBackend === undefined)('--pid (with --port: attach once the port is ready): the master and its existing workers, left running', async () => {
    const port = await freePort();
    const child = spawn(work.program, [String(port)], { stdio: 'ignore', detached: true });
    try {
      const { waitForPort } = await import('../../src/capture/ready.js');
      await waitForPort(port, { timeoutMs: 10_000 });
      const out = join(work.dir, 'run-pid');
      const r = await runCli(['trace', '--backend', anyBackend!, '--pid', String(child.pid), '--port', String(port), '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-n', '300', '-o', out]);
      expect(r.exitCode).toBe(0);
      const run = readRunJson(out);
      expect(run.capture.window).toBe('attached');
      expect(run.load!.requests).toBe(300);
      expect(calls(run, WRITES)).toBeGreaterThanOrEqual(300);
      expect(child.exitCode).toBeNull();
      expect(processesMentioning(work.program)).toHaveLength(3);
    } finally {
      killGroup(child.pid!);
    }
  }, 60_000);

  it.skipIf(!usable.strace)('warns when the traced processes did not do the work the load asked for', async () => {
    const port = await freePort();
    const child = spawn(work.program, [String(port)], { stdio: 'ignore', detached: true });
    // A busy process that is not the server: syscalls, but no reads or writes for the requests.
    const bystander = spawn('sh', ['-c', 'while :; do sleep 0.05; done'], { stdio: 'ignore' });
    try {
      const { waitForPort } = await import('../../src/capture/ready.js');
      await waitForPort(port, { timeoutMs: 10_000 });
      const out = join(work.dir, 'run-bystander');
      const r = await runCli(['trace', '--backend', 'strace', '--pid', String(bystander.pid), '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-d', '1s', '-o', out]);
      expect(r.exitCode).toBe(0);
      const run = readRunJson(out);
      expect(run.totals.calls).toBeGreaterThan(0);
      const note = /^only 0\.\d read\/write calls per request: the server's work may happen in processes netprobe did not trace$/;
      expect(run.capture.notes.filter((n) => note.test(n))).toHaveLength(1);
      expect(r.stdout).toMatch(/^note: only 0\.\d read\/write calls per request/m);
    } finally {
      bystander.kill('SIGKILL');
      killGroup(child.pid!);
    }
  }, 60_000);
});

describe('trace nginx with 2 worker processes', () => {
  for (const [backend] of BACKENDS) {
    it.skipIf(!haveNginx || !usable[backend])(`${backend}: the workers' reads and writes are counted`, async () => {
      const port = await freePort();
      const conf = nginxConfig(join(work.dir, `nginx-${backend}`), port);
      const out = join(work.dir, `nginx-run-${backend}`);
      const { run } = await traceUnderLoad(['--backend', backend], port, out, ['nginx', '-c', conf]);
      const requests = run.load!.requests;
      expect(requests).toBeGreaterThan(0);
      expect(calls(run, READS)).toBeGreaterThanOrEqual(requests);
      expect(calls(run, WRITES)).toBeGreaterThanOrEqual(requests);
      expect(run.capture.notes.join('\n')).not.toMatch(/read\/write calls per request/);
      expect(processesMentioning(conf)).toEqual([]);
    }, 60_000);
  }
});

/** The server was started as a process group leader: its workers go with it. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A foreground nginx (master + 2 workers) on 127.0.0.1:port with every path inside `root`. */
function nginxConfig(root: string, port: number): string {
  mkdirSync(root, { recursive: true });
  const conf = join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 2;
pid ${root}/nginx.pid;
error_log ${root}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${root}/body;
  proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi;
  uwsgi_temp_path ${root}/uwsgi;
  scgi_temp_path ${root}/scgi;
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } }
}
`,
  );
  return conf;
}
