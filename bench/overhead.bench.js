#!/usr/bin/env node
// Observer effect of each backend: the Go net/http example server under the built-in load (50 keep-alive
// connections, same machine), untraced vs traced throughput, measured back to back by
// `trace --measure-overhead` for strace, perf, bpftrace and auto. Prints traced/untraced per backend.
// Targets: auto >= 0.75; strace around 0.15. OVERHEAD_BENCH_SECONDS sets the load length (default 5).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildExampleServers } = await import(join(ROOT, 'dist', 'capture', 'example-servers.js'));
const { runTrace } = await import(join(ROOT, 'dist', 'capture', 'trace.js'));
const { probeBackends } = await import(join(ROOT, 'dist', 'capture', 'probes.js'));

const CONNECTIONS = 50;
const SECONDS = Number(process.env.OVERHEAD_BENCH_SECONDS ?? 5);
const SERVER = 'go-nethttp';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const { built, skipped } = await buildExampleServers({ only: [SERVER] });
for (const s of skipped) console.log(`SKIP ${s.id}: ${s.reason} (fix: ${s.fix})`);
const server = built.find((s) => s.id === SERVER);
if (!server) process.exit(0);

const probes = await probeBackends();
const out = mkdtempSync(join(tmpdir(), 'netprobe-overhead-'));
const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(9);
console.log(`${SERVER}, ${CONNECTIONS} connections, ${SECONDS} s per run`);
console.log(`${'backend'.padEnd(10)} ${'untraced'.padStart(9)} ${'traced'.padStart(9)}  traced/untraced`);
try {
  for (const backend of ['strace', 'perf', 'bpftrace', 'auto']) {
    const probe = probes.find((p) => p.name === backend);
    if (probe && !probe.ok) {
      console.log(`${backend.padEnd(10)} SKIP: ${probe.detail} (fix: ${probe.fix})`);
      continue;
    }
    const port = await freePort();
    const result = await runTrace({
      command: [...server.command, String(port)],
      backend,
      load: { url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, durationSeconds: SECONDS },
      measureOverhead: true,
      outDir: join(out, backend),
    }).catch((e) => {
      console.log(`${backend.padEnd(10)} FAILED: ${e.message.split('\n')[0]}`);
      process.exitCode = 1;
      return undefined;
    });
    if (!result) continue;
    const o = result.run.overhead;
    const label = backend === 'auto' ? `auto=${result.run.backend}` : backend;
    console.log(`${label.padEnd(10)} ${fmt(o.untracedRps)} ${fmt(o.tracedRps)}  ${o.ratio.toFixed(2).padStart(15)}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
