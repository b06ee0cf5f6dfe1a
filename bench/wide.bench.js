#!/usr/bin/env node
// Wide profiles (issue 10): `netprobe flame` and `netprobe convert --format pprof` on folded files of 1,000,000
// distinct stacks (~50 MB), measured with /usr/bin/time -v: wall time, CPU time (user+sys, the fairer figure on a
// busy machine) and peak RSS. A measurement to compare before and after a change, not a pass/fail threshold.
//   node bench/wide.bench.js [--stacks N] [--shapes leaves,combos]
// Shapes, built at bench time in $TMPDIR/netprobe-bench/ (delete a file to rebuild it):
//   leaves   main;server;handle_request;parse_body;fn_<i> <1..7>   a distinct leaf per stack (1M frames, the issue's case)
//   combos   f0_<r>;f1_<r>;...;f7_<r> <1..5>, r < 60               8 levels of 60 frames, a million distinct paths
// Results on 2 cores shared with other jobs (load average 5-7, so compare CPU seconds), node 20.20.2, before ->
// after the issue-10 work (flame tree built in one pass over stacks sorted by path, pprof written straight to
// the wire, stacks found again by hash; see git log):
//   leaves flame          6.3 s CPU   882 MB  ->  3.5-3.8 s CPU  518-600 MB
//   leaves convert pprof 12.7 s CPU  1408 MB  ->  6.2-6.5 s CPU  585-601 MB
//   combos flame          7.0 s CPU  1553 MB  ->  4.5-5.2 s CPU  407 MB
//   combos convert pprof  5.0 s CPU   654 MB  ->  3.8-4.3 s CPU  386-397 MB
// That left mostly the profile model itself: ~190 bytes a stack (an object and two arrays) and ~75 a frame, 270 MB
// live for `leaves`, plus V8's garbage headroom. Then (branch model-columnar: stacks stored by column, name indexes
// without Maps, the folded parser and pprof writer without per-line or per-stack garbage), same machine:
//   leaves flame          3.9 s CPU   609 MB  ->  1.2-1.6 s CPU  ~300 MB
//   leaves convert pprof  6.4 s CPU   596 MB  ->  3.0-3.8 s CPU  333-370 MB
//   combos flame          4.0 s CPU   409 MB  ->  1.4-1.9 s CPU  175-215 MB
//   combos convert pprof  3.7 s CPU   395 MB  ->  1.7-2.1 s CPU  167-220 MB
// What is left for `leaves`: a million Frame objects and their names (~80 MB of heap), the 20 MB stack table, and
// for pprof the whole uncompressed message (50 MB) next to its gzip.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'netprobe.js');
const DATA = join(tmpdir(), 'netprobe-bench');

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const STACKS = Number(option('--stacks') ?? 1_000_000);

const SHAPES = {
  leaves: (i) => `main;server;handle_request;parse_body;fn_${i} ${1 + (i % 7)}\n`,
  combos: (() => {
    // xorshift32: a fixed sequence, so every run builds the same file.
    let x = 123456789;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    return (i) => `${Array.from({ length: 8 }, (_, d) => `f${d}_${next() % 60}`).join(';')} ${1 + (i % 5)}\n`;
  })(),
};
const shapes = (option('--shapes') ?? Object.keys(SHAPES).join(',')).split(',');

function build(shape) {
  const file = join(DATA, `wide-${shape}-${STACKS}.folded`);
  if (existsSync(file)) return file;
  mkdirSync(DATA, { recursive: true });
  const fd = openSync(`${file}.tmp`, 'w');
  let text = '';
  for (let i = 0; i < STACKS; i++) {
    text += SHAPES[shape](i);
    if (text.length > 1 << 20) {
      writeSync(fd, text);
      text = '';
    }
  }
  writeSync(fd, text);
  closeSync(fd);
  spawnSync('mv', [`${file}.tmp`, file]);
  return file;
}

// One run under /usr/bin/time -v: wall and CPU seconds, peak RSS in MB, and the exit code.
function measure(argv) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, BIN, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const field = (label) => r.stderr.match(new RegExp(`${label}: (.+)`))?.[1] ?? '';
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')
    .split(':')
    .reduce((sum, part) => sum * 60 + Number(part), 0);
  const cpu = Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'));
  const rss = Number(field('Maximum resident set size \\(kbytes\\)')) / 1024;
  return { wall, cpu, rss, exit: Number(field('Exit status')) };
}

if (!existsSync('/usr/bin/time')) {
  console.log('wide.bench.js: /usr/bin/time not found (apt-get install time); skipped');
  process.exit(0);
}
const out = join(DATA, 'wide-out');
mkdirSync(out, { recursive: true });
const rows = [];
for (const shape of shapes) {
  const input = build(shape);
  const mb = statSync(input).size / 1e6;
  for (const [command, argv] of [
    ['flame', ['flame', input, '-o', join(out, 'flame.html'), '--force']],
    ['convert pprof', ['convert', input, '--format', 'pprof', '-o', join(out, 'out.pb.gz'), '--force']],
  ]) {
    const m = measure(argv);
    rows.push([shape, mb.toFixed(0), command, m.wall.toFixed(2), m.cpu.toFixed(2), m.rss.toFixed(0), String(m.exit)]);
  }
}
rmSync(out, { recursive: true, force: true });

const header = ['shape', 'MB', 'command', 'wall s', 'cpu s', 'peak RSS MB', 'exit'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(`${STACKS.toLocaleString('en-US')} distinct stacks per file`);
console.log(line(header));
console.log(`| ${widths.map((w, i) => (i < 3 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
for (const r of rows) console.log(line(r));
