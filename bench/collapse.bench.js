#!/usr/bin/env node
// netprobe convert --format folded vs FlameGraph's stackcollapse-perf.pl on several kinds of perf script text, side
// by side: Java/JIT, Go, C++ with long template names, kernel-heavy. For each kind: CPU time, wall time and peak RSS
// of both, and the ratio (Perl time / netprobe time) by CPU and by wall time.
//   node bench/collapse.bench.js [--large] [--runs N] [--kinds java,go]
// Inputs are built at bench time in $TMPDIR/netprobe-bench by concatenating real perf script text (conformance
// inputs and fixtures/perf captures) to ~50 MB per kind, 500 MB with --large (delete the folder to rebuild them).
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DATA, flag, option, ROOT, timeV } from './common.js';

const CONFORMANCE = join(ROOT, '..', 'shared', 'conformance');
const FG = join(CONFORMANCE, 'flamegraph-perf');
const INFERNO = join(CONFORMANCE, 'inferno-perf');
const PERF_FIXTURES = join(ROOT, 'fixtures', 'perf');

const large = flag('--large');
const targetMb = large ? 500 : 50;
const RUNS = Number(option('--runs') ?? (large ? 1 : 3));

// Each kind's sources share one event name exactly as printed (`cpu-clock:` vs `cpu-clock:ppp:`): the Perl collapser
// keeps only the first one it meets and skips the other samples cheaply, which would flatter it.
const KINDS = [
  { kind: 'java-jit', what: 'Java with JIT frames (vert.x, perf-map-agent)', sources: [join(FG, 'perf-vertx-stacks-01.txt'), join(INFERNO, 'java-inline.txt')] },
  { kind: 'go', what: 'Go (fixtures/perf/go-cpu-clock.txt)', sources: [join(PERF_FIXTURES, 'go-cpu-clock.txt')] },
  { kind: 'cpp', what: 'C++ with long template names (node serving HTTP)', sources: [join(PERF_FIXTURES, 'node-cpp-stacks.txt')] },
  {
    kind: 'kernel',
    what: 'kernel-heavy (iperf, numa, dd, mirageos)',
    sources: ['perf-iperf-stacks-pidtid-01.txt', 'perf-numa-stacks-01.txt', 'perf-dd-stacks-01.txt', 'perf-mirageos-stacks-01.txt'].map((f) => join(FG, f)),
  },
];

function perlCollapser() {
  const dirs = [process.env.FLAMEGRAPH_DIR, ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean);
  return dirs.map((d) => join(d, 'stackcollapse-perf.pl')).find((p) => existsSync(p));
}

// Every piece ends with a blank line so that no sample is glued to the next copy's first one.
async function ensureInput({ kind, sources }) {
  const path = join(DATA, `${kind}-${targetMb}mb.txt`);
  const target = targetMb * 1024 * 1024;
  if (existsSync(path) && statSync(path).size >= target) return path;
  const missing = sources.filter((s) => !existsSync(s));
  if (missing.length > 0) return { missing };
  mkdirSync(DATA, { recursive: true });
  const pieces = sources.map((s) => `${readFileSync(s, 'utf8').trimEnd()}\n\n`);
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; written < target; i++) {
    const piece = pieces[i % pieces.length];
    written += Buffer.byteLength(piece);
    if (!out.write(piece)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  return path;
}

// Runs a command under /usr/bin/time -v for CPU time and peak RSS; stdout goes to /dev/null.
function timed(cmd, cmdArgs) {
  const r = timeV(cmd, cmdArgs);
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (${r.status}):\n${r.stderrTail}`);
  return r;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}

function timedRuns(cmd, cmdArgs) {
  const runs = Array.from({ length: RUNS }, () => timed(cmd, cmdArgs));
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.log('SKIP collapse bench: dist/ is missing; run `npm run build` (npm run bench does) first.');
  process.exit(0);
}
if (!existsSync('/usr/bin/time')) {
  console.log('SKIP collapse bench: /usr/bin/time (GNU time, `apt-get install time`) is needed for CPU time and peak RSS.');
  process.exit(0);
}
const bin = join(ROOT, 'bin', 'netprobe.js');
const perl = perlCollapser();
if (perl) console.log(`stackcollapse-perf.pl: ${perl}`);
else console.log('stackcollapse-perf.pl not found via FLAMEGRAPH_DIR or PATH: Perl columns skipped (set FLAMEGRAPH_DIR to a FlameGraph checkout).');
const picked = option('--kinds')?.split(',');
console.log(`inputs in ${DATA}, ~${targetMb} MB each; median of ${RUNS} run(s); CPU = user + sys from /usr/bin/time -v`);

const rows = [];
for (const k of KINDS.filter((k) => !picked || picked.includes(k.kind))) {
  const input = await ensureInput(k);
  if (typeof input !== 'string') {
    console.log(`SKIP ${k.kind}: missing ${input.missing.join(', ')}`);
    continue;
  }
  const mb = statSync(input).size / 1024 / 1024;
  const ours = timedRuns(process.execPath, [bin, 'convert', input, '--format', 'folded']);
  const theirs = perl ? timedRuns('perl', [perl, input]) : undefined;
  rows.push({ k, mb, ours, theirs });
  console.log(`${k.kind}: ${k.what}, ${mb.toFixed(0)} MB done`);
}

const f2 = (v) => v.toFixed(2);
const header = ['kind', 'MB', 'netprobe cpu s', 'wall s', 'RSS MB', 'perl cpu s', 'wall s', 'RSS MB', 'ratio cpu', 'ratio wall'];
const table = rows.map(({ k, mb, ours, theirs }) => [
  k.kind,
  mb.toFixed(0),
  f2(ours.cpuSeconds),
  f2(ours.seconds),
  ours.peakRssMb.toFixed(0),
  theirs ? f2(theirs.cpuSeconds) : '-',
  theirs ? f2(theirs.seconds) : '-',
  theirs ? theirs.peakRssMb.toFixed(0) : '-',
  theirs ? `${(theirs.cpuSeconds / ours.cpuSeconds).toFixed(1)}x` : '-',
  theirs ? `${(theirs.seconds / ours.seconds).toFixed(1)}x` : '-',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(`\n${line(header)}\n|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`);
for (const r of table) console.log(line(r));
// The fixed cost in every netprobe figure above: node itself, loading the CLI, a 17 KB input.
const tiny = timedRuns(process.execPath, [bin, 'convert', join(PERF_FIXTURES, 'busy-cpu-clock.txt'), '--format', 'folded']);
const bare = timedRuns(process.execPath, ['-e', '0']);
console.log(`\nfixed cost: \`netprobe convert\` of a 17 KB input cpu ${f2(tiny.cpuSeconds)} s, wall ${f2(tiny.seconds)} s; \`node -e 0\` cpu ${f2(bare.cpuSeconds)} s`);
if (process.env.NODE_EXTRA_CA_CERTS) {
  // node reads and parses these certificates at every start, before running any JavaScript.
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const runs = Array.from({ length: RUNS }, () => {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, '-e', '0'], { env, encoding: 'utf8' });
    const [user, sys] = r.stderr.trim().split(' ').map(Number);
    return user + sys;
  });
  console.log(`note: NODE_EXTRA_CA_CERTS is set; without it \`node -e 0\` takes cpu ${f2(median(runs))} s`);
}
