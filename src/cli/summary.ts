// `netprobe summary <input>`: the syscall table of any syscall source, with the network-model verdict.
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import type { SyscallTable } from '../model/syscalls.js';
import { renderModelVerdict, renderSyscallTable, type SyscallSort } from '../render/table.js';
import { classifyNetworkModel } from '../report/classify.js';
import { parsePositiveInt, printWarnings, writeOutput } from './common.js';
import { readInput } from '../run/input.js';
import { summaryJson, syscallTableOf } from '../run/profiles.js';

const SORTS: readonly SyscallSort[] = ['calls', 'errors', 'time', 'name'];

interface SummaryFlags {
  json?: boolean;
  sort?: string;
  top?: string;
}

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('syscall table from strace -c text, strace logs, bpftrace output, pprof syscall profiles, or a run directory')
    .argument('<input>', 'file, run directory, or - for stdin')
    .option('--json', 'print JSON (the syscalls/totals/threads/model fields of run.json)')
    .option('--sort <key>', 'order rows by calls, errors, time or name (default: time when measured, else calls)')
    .option('--top <n>', 'show only the first N rows (totals still cover all)')
    .addHelpText(
      'after',
      `
Examples:
  $ strace -f -c -w -o strace-c.txt -- ./server       then:
  $ netprobe summary strace-c.txt                     table with errors, time and the network model
  $ netprobe summary netprobe-out/server-20261122-101500/ --sort calls --top 10
  $ netprobe summary bpftrace.txt --json | jq '.syscalls[] | select(.errors > 0)'`,
    )
    .action(async (input: string, flags: SummaryFlags) => {
      const sort = parseSort(flags.sort);
      const top = flags.top === undefined ? undefined : parsePositiveInt('--top', flags.top);
      const loaded = await readInput(input, { onWarning: printWarnings(), need: 'syscalls' });
      const table = syscallTableOf(loaded);
      const threads = table.threads ?? loaded.meta?.threads;
      const requests = loaded.meta?.requests;
      const model = classifyNetworkModel(table, { threads, requests });
      if (flags.json) {
        await writeOutput(undefined, `${JSON.stringify(summaryJson(table, threads, model), null, 2)}\n`);
        return;
      }
      const shown: SyscallTable = threads === undefined ? table : { ...table, threads };
      const text =
        renderSyscallTable(shown, { sort, top, perRequest: requests ? { requests } : undefined }) + '\n' + renderModelVerdict(model);
      await writeOutput(undefined, text);
    });
}

function parseSort(value: string | undefined): SyscallSort | undefined {
  if (value === undefined) return undefined;
  if ((SORTS as readonly string[]).includes(value)) return value as SyscallSort;
  throw new NetprobeError('usage', `Expected \`--sort\` to be one of ${SORTS.join(', ')}, got \`${value}\``);
}
