#!/usr/bin/env node
// netprobe's built-in HTTP load generator vs wrk on this machine: the same example server, 50 keep-alive
// connections, 5 s each; prints the requests per second of each and the ratio builtin/wrk. The builtin
// generator uses one worker thread, so wrk is shown with one thread (same budget) and with two.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildExampleServers } = await import(join(ROOT, 'dist', 'capture', 'example-servers.js'));
const { runHttpLoad } = await import(join(ROOT, 'dist', 'capture', 'load-http.js'));
const { parseWrkOutput } = await import(join(ROOT, 'dist', 'parse', 'load-output.js'));

const CONNECTIONS = 50;
const SECONDS = Number(process.env.LOAD_BENCH_SECONDS ?? 5);
const SERVERS = ['go-nethttp', 'c-epoll'];

function startServer(command) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (t) => {
      seen += t;
      const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(seen);
      if (m) resolve({ port: Number(m[1]), stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
    });
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code} before listening`)));
  });
}

function wrk(threads, url) {
  const r = spawnSync('wrk', [`-t${threads}`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, url], { encoding: 'utf8' });
  const parsed = parseWrkOutput(r.stdout ?? '');
  if (r.status !== 0 || !parsed?.requestsPerSecond) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  return parsed.requestsPerSecond;
}

const haveWrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].some((p) => existsSync(p));
if (!haveWrk) {
  console.log('SKIP: wrk is not installed (apt-get install wrk)');
  process.exit(0);
}
const { built, skipped } = await buildExampleServers({ only: SERVERS });
for (const s of skipped) console.log(`SKIP ${s.id}: ${s.reason} (fix: ${s.fix})`);

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(9);
console.log(`${CONNECTIONS} connections, ${SECONDS} s per run`);
console.log(`${'server'.padEnd(12)} ${'builtin'.padStart(9)} ${'wrk -t1'.padStart(9)} ${'wrk -t2'.padStart(9)}  builtin/wrk-t1  builtin/wrk-t2`);
for (const server of built) {
  const running = await startServer(server.command);
  const url = `http://127.0.0.1:${running.port}/`;
  try {
    const builtin = (await runHttpLoad({ url, connections: CONNECTIONS, durationSeconds: SECONDS })).requestsPerSecond;
    const wrk1 = wrk(1, url);
    const wrk2 = wrk(2, url);
    console.log(
      `${server.id.padEnd(12)} ${fmt(builtin)} ${fmt(wrk1)} ${fmt(wrk2)}  ${(builtin / wrk1).toFixed(2).padStart(14)}  ${(builtin / wrk2).toFixed(2).padStart(14)}`,
    );
  } finally {
    await running.stop();
  }
}
