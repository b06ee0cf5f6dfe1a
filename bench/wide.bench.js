#!/usr/bin/env node
// Wide profiles (issue 10): `netprobe flame` and `netprobe convert --format pprof|folded|json` on folded files of
// 1,000,000 distinct stacks (~50 MB), measured with /usr/bin/time -v: wall time, CPU time (user+sys, the fairer
// figure on a busy machine) and peak RSS. A measurement to compare before and after a change, not a pass/fail threshold.
//   node bench/wide.bench.js [--stacks N] [--shapes leaves,combos]
// Shapes, built at bench time in $TMPDIR/netprobe-bench/ (delete a file to rebuild it):
//   leaves   main;server;handle_request;parse_body;fn_<i> <1..7>   a distinct leaf per stack (1M frames, the issue's case)
//   combos   f0_<r>;f1_<r>;...;f7_<r> <1..5>, r < 60               8 levels of 60 frames, a million distinct paths
// Results, and what was tried before them: bench/README.md.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, option, ROOT, timeV } from './common.js';

const BIN = join(ROOT, 'bin', 'netprobe.js');
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
  renameSync(`${file}.tmp`, file);
  return file;
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
    ['convert folded', ['convert', input, '--format', 'folded', '-o', join(out, 'out.folded'), '--force']],
    ['convert json', ['convert', input, '--format', 'json', '-o', join(out, 'out.json'), '--force']],
  ]) {
    const m = timeV(process.execPath, [BIN, ...argv]);
    rows.push([shape, mb.toFixed(0), command, m.seconds.toFixed(2), m.cpuSeconds.toFixed(2), m.peakRssMb.toFixed(0), String(m.status)]);
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
