// `netprobe compare <input>...`: side-by-side syscall patterns by family, with each run's network model.
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import type { RunJson } from '../model/run.js';
import type { InputFormat, ParseWarning } from '../parse/types.js';
import { renderCompareTable } from '../render/compare-table.js';
import { compareRuns, type CompareRun, type SweepLevel } from '../report/compare.js';
import { printWarnings, writeOutput } from './common.js';
import { readInput, type LoadedInput } from './input.js';

interface CompareFlags {
  markdown?: boolean;
  json?: boolean;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('side-by-side syscall patterns (per 1,000 requests when request counts are known) with the network model of each')
    .argument('<inputs...>', 'run directories (a sweep directory gives one column per level), run.json, strace -c output, strace logs, bpftrace output, pprof syscall profiles')
    .option('--markdown', 'GitHub-flavoured Markdown table')
    .option('--json', 'the comparison as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ netprobe compare netprobe-out/go-*/ netprobe-out/nginx-*/
  $ netprobe compare nginx.strace-c.txt redis.bpftrace.txt --markdown
  $ netprobe compare netprobe-out/go-nethttp-sweep-*/`,
    )
    .action(async (inputs: string[], flags: CompareFlags) => {
      if (flags.markdown && flags.json) throw new NetprobeError('usage', 'Expected at most one of `--markdown` and `--json`');
      const onWarning = printWarnings();
      const runs: CompareRun[] = [];
      const sweeps: { name: string; levels: SweepLevel[] }[] = [];
      for (const input of inputs) {
        const loaded = await loadCompareInput(input, onWarning);
        runs.push(...loaded.runs);
        if (loaded.sweep) sweeps.push(loaded.sweep);
      }
      const comparison = compareRuns(distinguishNames(runs));
      comparison.sweeps.push(...sweeps);
      const text = flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : renderCompareTable(comparison, { markdown: flags.markdown });
      await writeOutput(undefined, text);
    });
}

/** The columns one input contributes: one run, or for a sweep directory one run per level plus the sweep itself. */
export async function loadCompareInput(
  path: string,
  onWarning: (w: ParseWarning) => void,
): Promise<{ runs: CompareRun[]; sweep?: { name: string; levels: SweepLevel[] } }> {
  const run = compareRunFromInput(await readInput(path, { onWarning }), path);
  if (!run.sweep) return { runs: [run] };
  const sweep = { name: run.name.replace(/ \(sweep\)$/, ''), levels: run.sweep };
  const base = /(^|\/)run\.json$/.test(path) ? dirname(path) : path;
  const levels: CompareRun[] = [];
  for (const level of run.sweep) {
    const dir = join(base, level.dir);
    const loaded = await readInput(dir, { onWarning }).catch(() => undefined);
    // Level directories moved away: only the summary is left, and its counts are the last level's.
    if (!loaded?.syscalls) {
      const last = run.sweep[run.sweep.length - 1]!;
      const { sweep: _levels, ...summary } = run;
      return { runs: [{ ...summary, name: `${sweep.name} @ ${last.connections} connections (last sweep level)` }], sweep };
    }
    levels.push(compareRunFromInput(loaded, dir));
  }
  return { runs: levels, sweep };
}

/** What compare needs from any loaded input; run directories also bring requests, duration, threads and sweeps. */
export function compareRunFromInput(loaded: LoadedInput, path: string): CompareRun {
  if (!loaded.syscalls) {
    throw new NetprobeError('input', `${loaded.file} has no syscall counts to compare (it is a ${loaded.format} input)`, {
      hint: 'compare reads strace -c output, strace logs, bpftrace syscall counts, syscall pprof profiles and run directories.',
    });
  }
  const meta = loaded.meta ?? {};
  const run = meta.run as Partial<RunJson> | undefined;
  const requests = meta.requests ?? run?.load?.requests;
  const durationSeconds = meta.durationSeconds ?? run?.load?.durationSeconds ?? run?.durationSeconds;
  const requestsPerSecond = meta.requestsPerSecond ?? run?.load?.requestsPerSecond;
  const threads = meta.threads ?? run?.threads ?? undefined;
  const sweep = Array.isArray(run?.sweep) ? (run.sweep as SweepLevel[]).filter(isSweepLevel) : [];
  const backend = meta.backend ?? run?.backend ?? BACKEND_OF_FORMAT[loaded.format];
  const sourceFormat = sourceFormatOf(loaded.format, run);
  return {
    name: meta.name ?? run?.name ?? displayName(path),
    syscalls: loaded.syscalls,
    source: path === '-' ? 'stdin' : path,
    ...(backend ? { backend } : {}),
    ...(sourceFormat ? { sourceFormat } : {}),
    ...(requests ? { requests } : {}),
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(requestsPerSecond ? { requestsPerSecond } : {}),
    ...(threads ? { threads } : {}),
    ...(sweep.length > 0 ? { sweep } : {}),
  };
}

const BACKEND_OF_FORMAT: Partial<Record<InputFormat, string>> = {
  'strace-summary': 'strace',
  'strace-log': 'strace',
  'perf-trace-summary': 'perf',
  bpftrace: 'bpftrace',
};

const FORMAT_WORDS: Partial<Record<InputFormat, string>> = {
  'strace-summary': 'strace -c',
  'strace-log': 'strace log',
  'perf-trace-summary': 'perf trace -s',
  bpftrace: 'bpftrace output',
  pprof: 'pprof profile',
};

// A run directory's counts come from the raw file its backend wrote.
const RAW_FILE_WORDS: [file: string, words: string][] = [
  ['raw/strace-summary.txt', 'strace -c'],
  ['raw/strace.log', 'strace log'],
  ['raw/perf-trace-summary.txt', 'perf trace -s'],
  ['raw/bpftrace.txt', 'bpftrace output'],
];

function sourceFormatOf(format: InputFormat, run: Partial<RunJson> | undefined): string | undefined {
  if (format !== 'run') return FORMAT_WORDS[format];
  const files = Array.isArray(run?.files) ? run.files : [];
  return RAW_FILE_WORDS.find(([file]) => files.includes(file))?.[1] ?? (run?.backend ? `${run.backend} backend` : undefined);
}

function isSweepLevel(value: unknown): value is SweepLevel {
  const v = value as SweepLevel;
  return typeof v === 'object' && v !== null && typeof v.connections === 'number' && typeof v.perRequest === 'object';
}

function displayName(path: string): string {
  if (path === '-') return 'stdin';
  return basename(trimmedPath(path));
}

function trimmedPath(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/run\.json$/, '');
}

/**
 * Column titles a reader can tell apart: runs sharing a name get their backend when the backends differ
 * (`go-nethttp [strace]`), and otherwise the shortest end of their path that differs.
 */
export function distinguishNames(runs: readonly CompareRun[]): CompareRun[] {
  const titles = runs.map((r) => r.name);
  for (const group of groupsOfEqual(titles)) {
    const backends = new Set(group.map((i) => runs[i]!.backend ?? 'unknown backend'));
    if (backends.size > 1) for (const i of group) titles[i] = `${runs[i]!.name} [${runs[i]!.backend ?? 'unknown backend'}]`;
  }
  for (const group of groupsOfEqual(titles)) {
    const suffixes = shortestDistinctSuffixes(group.map((i) => runs[i]!.source ?? ''));
    group.forEach((i, k) => {
      const suffix = suffixes[k];
      if (suffix === undefined) titles[i] = `${titles[i]} (${k + 1})`;
      else titles[i] = suffix.includes(runs[i]!.name) && titles[i] === runs[i]!.name ? suffix : `${titles[i]} (${suffix})`;
    });
  }
  return runs.map((r, i) => (titles[i] === r.name ? r : { ...r, name: titles[i]! }));
}

/** Indexes of the titles that occur more than once, grouped by title. */
function groupsOfEqual(titles: readonly string[]): number[][] {
  const byTitle = new Map<string, number[]>();
  titles.forEach((t, i) => byTitle.set(t, [...(byTitle.get(t) ?? []), i]));
  return [...byTitle.values()].filter((g) => g.length > 1);
}

// The fewest trailing path components that tell the paths apart; undefined for all when two paths are the same.
function shortestDistinctSuffixes(paths: readonly string[]): (string | undefined)[] {
  const parts = paths.map((p) => trimmedPath(p).split('/').filter((s) => s !== '' && s !== '.'));
  const longest = Math.max(...parts.map((p) => p.length));
  for (let k = 1; k <= longest; k++) {
    const suffixes = parts.map((p) => p.slice(-k).join('/'));
    if (new Set(suffixes).size === suffixes.length) return suffixes;
  }
  return paths.map(() => undefined);
}
