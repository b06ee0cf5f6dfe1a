#!/usr/bin/env node
// Observer effect of each capture mode: the Go net/http example server under the built-in load (50 keep-alive
// connections, same machine), untraced vs traced throughput, measured back to back by `trace --measure-overhead`
// (the server restarts for each pass). Modes: untraced (the control: two untraced passes the same way, so its
// spread is the method's own noise), strace, perf, bpftrace (the default count-only script), bpftrace --latency,
// bpftrace --offcpu, and auto. Each mode runs several times, round-robin so that a busy machine slows every mode
// alike; prints per mode the median traced/untraced ratio and its spread (min-max), and the load average.
// Target (issue 9): the default capture (bpftrace, and auto when it picks bpftrace) keeps >= 0.90 of throughput.
//
//   node bench/overhead.bench.js [--runs N] [--seconds S] [--modes untraced,strace,perf,bpftrace,latency,offcpu,auto]
// OVERHEAD_BENCH_RUNS and OVERHEAD_BENCH_SECONDS set the defaults (5 runs, 5 s of load per pass).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { option, ROOT } from './common.js';

const { buildExampleServers } = await import(join(ROOT, 'dist', 'capture', 'example-servers.js'));
const { runTrace } = await import(join(ROOT, 'dist', 'run', 'trace.js'));
const { probeBackends } = await import(join(ROOT, 'dist', 'capture', 'probes.js'));
const { runHttpLoad } = await import(join(ROOT, 'dist', 'capture', 'load-http.js'));
const { waitForPort } = await import(join(ROOT, 'dist', 'capture', 'ready.js'));

const CONNECTIONS = 50;
const SERVER = 'go-nethttp';
const RUNS = Number(option('--runs') ?? process.env.OVERHEAD_BENCH_RUNS ?? 5);
const SECONDS = Number(option('--seconds') ?? process.env.OVERHEAD_BENCH_SECONDS ?? 5);
const TARGET = 0.9;

// label, trace options, and the tool that must work here.
const MODES = [
  { id: 'untraced', label: 'untraced (control)', options: undefined, needs: undefined },
  { id: 'strace', label: 'strace', options: { backend: 'strace' }, needs: 'strace' },
  { id: 'perf', label: 'perf', options: { backend: 'perf' }, needs: 'perf' },
  { id: 'bpftrace', label: 'bpftrace (default)', options: { backend: 'bpftrace' }, needs: 'bpftrace' },
  { id: 'latency', label: 'bpftrace --latency', options: { backend: 'bpftrace', latency: true }, needs: 'bpftrace' },
  { id: 'offcpu', label: 'bpftrace --offcpu', options: { backend: 'bpftrace', offcpu: true }, needs: 'bpftrace' },
  { id: 'auto', label: 'auto', options: { backend: 'auto' }, needs: undefined },
];
const wanted = option('--modes')?.split(',');
const modes = wanted ? MODES.filter((m) => wanted.includes(m.id)) : MODES;

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

// What `trace --measure-overhead` does around its two passes, without a tracer: start the server, wait for its
// port, load, stop; then again, with the second pass's pause before the load (the traced pass lists the process
// tree for about a second, then attaches).
async function untracedPair(command, port) {
  const pass = async (pause) => {
    const server = spawn(command[0], [...command.slice(1), String(port)], { stdio: 'ignore' });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      await waitForPort(port, { timeoutMs: 30_000 });
      await sleep(pause);
      return (await runHttpLoad({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, durationSeconds: SECONDS })).requestsPerSecond;
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  };
  const untracedRps = await pass(0);
  const tracedRps = await pass(1000);
  return { untracedRps, tracedRps, ratio: tracedRps / untracedRps };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const { built, skipped } = await buildExampleServers({ only: [SERVER] });
for (const s of skipped) console.log(`SKIP ${s.id}: ${s.reason} (fix: ${s.fix})`);
const server = built.find((s) => s.id === SERVER);
if (!server) process.exit(0);

const probes = await probeBackends();
const usable = modes.filter((m) => {
  const probe = m.needs && probes.find((p) => p.name === m.needs);
  if (probe && !probe.ok) console.log(`${m.label}: SKIP: ${probe.detail} (fix: ${probe.fix})`);
  return !probe || probe.ok;
});

const out = mkdtempSync(join(tmpdir(), 'netprobe-overhead-'));
const results = new Map(usable.map((m) => [m.id, { untraced: [], traced: [], ratios: [], backend: undefined, failed: 0 }]));
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
console.log(`${SERVER}, ${CONNECTIONS} connections, ${SECONDS} s of load per pass, ${RUNS} runs per mode (round-robin); load average ${load()}`);
try {
  for (let run = 1; run <= RUNS; run++) {
    const line = [];
    for (const mode of usable) {
      const r = results.get(mode.id);
      const port = await freePort();
      if (mode.id === 'untraced') {
        const o = await untracedPair([...server.command], port);
        r.untraced.push(o.untracedRps);
        r.traced.push(o.tracedRps);
        r.ratios.push(o.ratio);
        line.push(`${mode.id} ${o.ratio.toFixed(2)}`);
        continue;
      }
      const result = await runTrace({
        command: [...server.command, String(port)],
        ...mode.options,
        load: { url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, durationSeconds: SECONDS },
        measureOverhead: true,
        outDir: join(out, `${mode.id}-${run}`),
      }).catch((e) => {
        console.log(`${mode.label}: run ${run} FAILED: ${e.message.split('\n')[0]}`);
        r.failed++;
        process.exitCode = 1;
        return undefined;
      });
      rmSync(join(out, `${mode.id}-${run}`), { recursive: true, force: true });
      const o = result?.run.overhead;
      if (!o) continue;
      r.untraced.push(o.untracedRps);
      r.traced.push(o.tracedRps);
      r.ratios.push(o.ratio);
      r.backend = result.run.backend;
      line.push(`${mode.id} ${o.ratio.toFixed(2)}`);
    }
    console.log(`run ${run}/${RUNS}: ${line.join(', ')}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = usable
  .filter((m) => results.get(m.id).ratios.length > 0)
  .map((m) => {
    const r = results.get(m.id);
    const label = m.id === 'auto' ? `auto (= ${r.backend})` : m.label;
    return [label, fmt(median(r.untraced)), fmt(median(r.traced)), median(r.ratios).toFixed(2), `${Math.min(...r.ratios).toFixed(2)}-${Math.max(...r.ratios).toFixed(2)}`, String(r.ratios.length)];
  });
const headers = ['mode', 'untraced req/s', 'traced req/s', 'traced/untraced', 'min-max', 'runs'];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const cells = (r) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log('');
console.log(cells(headers));
console.log(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
for (const r of rows) console.log(cells(r));
console.log(`(medians over the runs; untraced and traced req/s are each the median of their own passes; load average at the end ${load()})`);
const defaultRatios = results.get('bpftrace')?.ratios ?? [];
if (defaultRatios.length > 0) {
  const m = median(defaultRatios);
  console.log(`default capture (bpftrace): median ${m.toFixed(2)} ${m >= TARGET ? '>=' : '<'} target ${TARGET.toFixed(2)}`);
}
