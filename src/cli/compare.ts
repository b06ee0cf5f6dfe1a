// `netprobe compare <input>...`: side-by-side syscall patterns by family, with each run's network model.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import type { RunJson } from '../model/run.js';
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
    .argument('<inputs...>', 'run directories, run.json, strace -c output, strace logs, bpftrace output, pprof syscall profiles')
    .option('--markdown', 'GitHub-flavoured Markdown table')
    .option('--json', 'the comparison as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ netprobe compare netprobe-out/go-*/ netprobe-out/nginx-*/
  $ netprobe compare nginx.strace-c.txt redis.bpftrace.txt --markdown`,
    )
    .action(async (inputs: string[], flags: CompareFlags) => {
      if (flags.markdown && flags.json) throw new NetprobeError('usage', 'Expected at most one of `--markdown` and `--json`');
      const onWarning = printWarnings();
      const runs: CompareRun[] = [];
      for (const input of inputs) runs.push(compareRunFromInput(await readInput(input, { onWarning }), input));
      const comparison = compareRuns(uniqueNames(runs));
      const text = flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : renderCompareTable(comparison, { markdown: flags.markdown });
      await writeOutput(undefined, text);
    });
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
  return {
    name: meta.name ?? run?.name ?? displayName(path),
    syscalls: loaded.syscalls,
    ...(requests ? { requests } : {}),
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(requestsPerSecond ? { requestsPerSecond } : {}),
    ...(threads ? { threads } : {}),
    ...(sweep.length > 0 ? { sweep } : {}),
  };
}

function isSweepLevel(value: unknown): value is SweepLevel {
  const v = value as SweepLevel;
  return typeof v === 'object' && v !== null && typeof v.connections === 'number' && typeof v.perRequest === 'object';
}

function displayName(path: string): string {
  if (path === '-') return 'stdin';
  const base = basename(path.replace(/\/+$/, ''));
  return base === 'run.json' ? basename(path.replace(/\/run\.json$/, '')) : base;
}

// Two inputs with the same name (two run.json files) would make the columns indistinguishable.
function uniqueNames(runs: CompareRun[]): CompareRun[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} (${n})` };
  });
}
