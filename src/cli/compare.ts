// `netprobe compare <input>...`: side-by-side syscall patterns by family, with each run's network model (and,
// for runs traced with --offcpu/--latency, wait time by kind and latency by family).
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import type { SweepLevel } from '../model/run.js';
import { renderCompareTable } from '../render/compare-table.js';
import { compareRuns, distinguishNames, type CompareRun } from '../report/compare.js';
import { loadCompareInput } from '../run/compare-input.js';
import { assertStdinOnce, printWarnings, writeOutput } from './common.js';

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
Runs traced with --offcpu or --latency add two blocks under the counts: off-CPU
time by kind (ms per request, summed over threads) and latency by family (p50,
p99); --json carries them per column, with the latency buckets.

Examples:
  $ netprobe compare netprobe-out/go-*/ netprobe-out/nginx-*/
  $ netprobe compare nginx.strace-c.txt redis.bpftrace.txt --markdown
  $ netprobe compare netprobe-out/go-nethttp-sweep-*/`,
    )
    .action(async (inputs: string[], flags: CompareFlags) => {
      if (flags.markdown && flags.json) throw new NetprobeError('usage', 'Expected at most one of `--markdown` and `--json`');
      assertStdinOnce(inputs);
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
