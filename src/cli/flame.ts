// `netprobe flame <input>`: a self-contained flame-graph HTML page from any profile or syscall source.
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Profile } from '../model/profile.js';
import { renderFlameHtml } from '../render/flame-html.js';
import { readInput } from '../run/input.js';
import { profileOf } from '../run/profiles.js';
import { printWarnings, writeOutput } from './common.js';

interface FlameFlags {
  output: string;
  title?: string;
  sampleType?: string;
  force?: boolean;
}

export function registerFlame(program: Command): void {
  program
    .command('flame')
    .description('self-contained flame-graph HTML from pprof, perf script, folded stacks, strace logs or a run directory')
    .argument('<input>', 'file, run directory, or - for stdin')
    .option('-o, --output <file>', 'HTML file to write, or - for stdout', 'flame.html')
    .option('--title <text>', 'page title')
    .option('--sample-type <type>', 'sample type shown first, e.g. calls, errors, time, samples, cpu')
    .option('--force', 'overwrite the output file if it exists')
    .addHelpText(
      'after',
      `
Examples:
  $ perf record -g -p 4242 -- sleep 10 && perf script > perf.script
  $ netprobe flame perf.script -o cpu.html               CPU flame graph from perf
  $ netprobe flame cpu.pb.gz --sample-type cpu           Go's runtime/pprof output
  $ netprobe flame strace-k.log -o syscalls.html         which code paths issue each syscall
  $ netprobe flame netprobe-out/server-20261122-101500/  a run: syscall and CPU graphs as tabs`,
    )
    .action(async (input: string, flags: FlameFlags) => {
      const loaded = await readInput(input, { onWarning: printWarnings() });
      const profile = profileOf(loaded);
      const name = input === '-' ? 'stdin' : basename(resolve(input));
      const graphs = [{ title: describeProfile(profile), profile }];
      for (const extra of [loaded.meta?.cpuProfile, loaded.meta?.offcpuProfile]) {
        if (extra && extra !== profile) graphs.push({ title: describeProfile(extra), profile: extra });
      }
      const html = renderFlameHtml(graphs, {
        title: flags.title ?? `Flame graph: ${name}`,
        subtitle: `${loaded.file} (${loaded.format})`,
        sampleType: flags.sampleType,
      });
      await writeOutput(flags.output, html, { force: flags.force });
      if (flags.output !== '-') process.stderr.write(`wrote ${flags.output}\n`);
    });
}

/** A short heading for a profile from its sample types. */
export function describeProfile(profile: Profile): string {
  const types = profile.sampleTypes.map((t) => t.type);
  if (types.includes('calls')) return 'syscalls';
  if (types.includes('cpu') || types.includes('samples')) return 'cpu';
  if (types.includes('offcpu')) return 'off-CPU';
  return types.join(', ');
}
