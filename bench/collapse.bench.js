#!/usr/bin/env node
// netprobe convert --format folded vs FlameGraph's stackcollapse-perf.pl on the same perf script text:
// throughput of each, the ratio, and netprobe's peak RSS. `--large` uses a 500 MB input instead of 60 MB.
// Each command runs RUNS times and the medians are reported: the machine may be shared.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const CONFORMANCE = join(ROOT, '..', 'shared', 'conformance');
const large = process.argv.includes('--large');
const targetBytes = (large ? 500 : 60) * 1024 * 1024;
const RUNS = large ? 1 : 3;

function perlCollapser() {
  const dirs = [process.env.FLAMEGRAPH_DIR, join(DATA, 'FlameGraph')].filter(Boolean);
  for (const dir of dirs) {
    const script = join(dir, 'stackcollapse-perf.pl');
    if (existsSync(script)) return script;
  }
  return null;
}

// Real perf script text only: the conformance inputs and our own captures, concatenated until the target size.
function sources() {
  const texts = [];
  for (const dir of [join(CONFORMANCE, 'flamegraph-perf'), join(CONFORMANCE, 'inferno-perf'), join(ROOT, 'fixtures', 'perf')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const path = join(dir, f);
      // Skip the two inputs that exist to provoke warnings, and -F +srcline text, whose source lines the Perl
      // collapser reports one by one as unrecognized (which would slow it down unfairly).
      if (f === 'empty-line.txt' || f === 'weird-stack-line.txt' || f.includes('srcline')) continue;
      if (f.endsWith('.txt')) texts.push(readFileSync(path, 'utf8'));
      else if (f.endsWith('.txt.gz')) texts.push(gunzipSync(readFileSync(path)).toString('utf8'));
    }
  }
  // Both collapsers keep only the first event type they meet: use the cpu-clock captures so every sample counts.
  const otherEvents = /^\S.*?: +(\d+ +)?(cycles|instructions|page-faults|raw_syscalls)/m;
  // Every piece ends with a blank line so no sample is lost at a seam.
  return texts.filter((t) => t.trim() !== '' && !otherEvents.test(t)).map((t) => `${t.trimEnd()}\n\n`);
}

async function ensureInput() {
  const path = join(DATA, `perf-script-${targetBytes / 1024 / 1024}mb.txt`);
  if (existsSync(path) && statSync(path).size >= targetBytes) return path;
  mkdirSync(DATA, { recursive: true });
  const pieces = sources();
  if (pieces.length === 0) throw new Error(`no perf script sources found (looked in ${CONFORMANCE} and fixtures/perf)`);
  const out = createWriteStream(path);
  let written = 0;
  for (let i = 0; written < targetBytes; i++) {
    const piece = pieces[i % pieces.length];
    written += Buffer.byteLength(piece);
    if (!out.write(piece)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  return path;
}

// Runs a command under /usr/bin/time -v when available to get the peak RSS; stdout goes to /dev/null.
function timed(cmd, args) {
  const useTime = existsSync('/usr/bin/time');
  const start = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stderr = r.stderr.toString();
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${stderr.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  // CPU time is the fairer measure on a shared machine; wall time is printed too.
  const cpuSeconds = user && sys ? Number(user[1]) + Number(sys[1]) : seconds;
  return { seconds, cpuSeconds, peakRssMb: rss ? Number(rss[1]) / 1024 : undefined };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}

function timedRuns(cmd, args) {
  const runs = Array.from({ length: RUNS }, () => timed(cmd, args));
  const rss = runs.map((r) => r.peakRssMb).filter((v) => v !== undefined);
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakRssMb: rss.length > 0 ? Math.max(...rss) : undefined,
  };
}

const bin = join(ROOT, 'bin', 'netprobe.js');
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.log('SKIP collapse bench: dist/ is missing; run `npm run build` (npm run bench does) first.');
  process.exit(0);
}
const input = await ensureInput();
const mb = statSync(input).size / 1024 / 1024;
console.log(`input: ${input} (${mb.toFixed(1)} MB of perf script text)`);

console.log(`median of ${RUNS} run(s) each`);

const ours = timedRuns(process.execPath, [bin, 'convert', input, '--format', 'folded']);
const report = (name, r) =>
  console.log(`${name.padEnd(34)} wall ${r.seconds.toFixed(2)} s (${(mb / r.seconds).toFixed(1)} MB/s), cpu ${r.cpuSeconds.toFixed(2)} s (${(mb / r.cpuSeconds).toFixed(1)} MB/s), peak RSS ${r.peakRssMb?.toFixed(0) ?? '?'} MB`);
report('netprobe convert --format folded', ours);
// The fixed cost in the figures above (node, loading the CLI): it weighs on small inputs only.
const startup = timedRuns(process.execPath, [bin, '--version']);
console.log(`${'netprobe startup (--version)'.padEnd(34)} wall ${startup.seconds.toFixed(2)} s, cpu ${startup.cpuSeconds.toFixed(2)} s`);

const perl = perlCollapser();
if (!perl) {
  console.log('SKIP stackcollapse-perf.pl: not found. Get it with\n' +
    '  git clone --depth 1 https://github.com/brendangregg/FlameGraph bench/data/FlameGraph\n' +
    'or point FLAMEGRAPH_DIR at a FlameGraph checkout.');
} else {
  const theirs = timedRuns('perl', [perl, input]);
  report('stackcollapse-perf.pl', theirs);
  console.log(`throughput ratio netprobe/perl: ${(theirs.cpuSeconds / ours.cpuSeconds).toFixed(2)}x by CPU time, ${(theirs.seconds / ours.seconds).toFixed(2)}x by wall time`);
}
