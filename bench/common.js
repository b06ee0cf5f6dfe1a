// What the benches share: where the repository and the built inputs are, their command-line options, and one run of a
// command under GNU time (CPU time, wall time, peak RSS).
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Inputs built at bench time; delete a file (or the folder) to rebuild it. */
export const DATA = join(tmpdir(), 'netprobe-bench');

/** The value after `--name` on the command line, or undefined. */
export function option(name) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether `--name` is on the command line. */
export function flag(name) {
  return process.argv.slice(2).includes(name);
}

/**
 * One run of `cmd args` under `/usr/bin/time -v`, stdout discarded: wall seconds (measured here), CPU seconds
 * (user + sys, all threads), peak RSS in MB, the exit status and the last of stderr.
 */
export function timeV(cmd, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stderr = r.stderr.toString();
  const num = (re) => Number(re.exec(stderr)?.[1]);
  return {
    seconds,
    cpuSeconds: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    peakRssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    status: num(/Exit status: (\d+)/),
    stderrTail: stderr.slice(-2000),
  };
}
