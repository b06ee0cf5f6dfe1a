// `netprobe convert`: any supported input to pprof, folded stacks or JSON.
import { Option, type Command } from 'commander';
import { readInput } from '../run/input.js';
import { encodeProfile, profileOf, runProfileOf } from '../run/profiles.js';
import type { CollapseOptions } from '../run/types.js';
import { printWarnings, writeOutput } from './common.js';

const FORMATS = ['pprof', 'folded', 'json'] as const;
type OutputFormat = (typeof FORMATS)[number];

interface ConvertFlags extends Omit<CollapseOptions, 'kernel' | 'jit'> {
  output?: string;
  format?: OutputFormat;
  sampleType?: string;
  kernel?: boolean;
  jit?: boolean;
  all?: boolean;
  force?: boolean;
  profile: 'syscalls' | 'cpu' | 'offcpu';
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert any supported input to pprof, folded stacks or JSON')
    .argument('<input>', 'pprof (.pb/.pb.gz), perf script, folded, strace -c/-k, bpftrace output, a run directory, or - for stdin')
    .option('-o, --output <file>', 'output file; - or absent writes stdout (pprof only to a file or a pipe)')
    .addOption(new Option('--format <format>', 'output format; default from the -o extension: .pb.gz/.pb/.pprof -> pprof, .json -> json, else folded').choices(FORMATS))
    .option('--sample-type <name>', 'sample type folded output counts and pprof/JSON mark as default (default: the input\'s default)')
    .option('--pid', 'perf script: append -<pid> to process names')
    .option('--tid', 'perf script: append -<pid>/<tid> to process names')
    .option('--kernel', 'perf script: annotate kernel frames with _[k]')
    .option('--jit', 'perf script: annotate JIT frames with _[j]')
    .option('--all', 'perf script: same as --kernel --jit')
    .option('--addrs', 'perf script: keep raw addresses of unknown symbols')
    .addOption(new Option('--profile <which>', 'run directories: which profile to convert').choices(['syscalls', 'cpu', 'offcpu']).default('syscalls'))
    .option('--force', 'replace the output file if it exists')
    .addHelpText(
      'after',
      `
pprof output is gzipped profile.proto (what go tool pprof, Pyroscope and Parca read). Inputs with only
syscall counts (strace -c, bpftrace counts) become one stack per syscall with sample types
calls/count, errors/count, time/nanoseconds.

JSON output: {syscalls, totals, threads} (as \`summary --json\`) when the input has syscall counts, and
"profile" when it has stacks:
  {"sampleTypes": [{"type", "unit"}], "defaultSampleType": <index>,
   "frames": [{"name", "module"?, "kind"?}],
   "stacks": [{"frames": [<frame index>, ... root first], "values": [<one per sample type>], "labels"?}]}

Examples:
  $ netprobe convert perf.script -o cpu.pb.gz                 perf script text to pprof
  $ netprobe convert cpu.pb.gz --format folded > cpu.folded   Go's pprof to folded stacks
  $ netprobe convert heap.pb.gz --sample-type alloc_space     folded stacks of another sample type
  $ netprobe convert perf.script --all --pid -o out.folded    as stackcollapse-perf.pl --all --pid
  $ netprobe convert strace-c.txt -o syscalls.pb.gz           syscall table to pprof
  $ netprobe convert netprobe-out/run-1 --format json         a run directory as JSON
  $ netprobe convert netprobe-out/run-1 --profile cpu         the run's CPU profile (trace --cpu) as folded
  $ netprobe convert netprobe-out/run-1 --profile offcpu --sample-type offcpu | flamegraph.pl --countname=ns`,
    )
    .action(async (input: string, flags: ConvertFlags) => {
      await convert(input, flags);
    });
}

async function convert(input: string, flags: ConvertFlags): Promise<void> {
  const format = flags.format ?? formatFromExtension(flags.output);
  const loaded = await readInput(input, {
    collapse: { pid: flags.pid, tid: flags.tid, kernel: flags.kernel || flags.all, jit: flags.jit || flags.all, addrs: flags.addrs },
    onWarning: printWarnings(),
  });
  const profile = flags.profile === 'syscalls' ? profileOf(loaded) : runProfileOf(loaded, flags.profile);
  await writeOutput(flags.output, await encodeProfile(loaded, profile, format, flags.sampleType), { force: flags.force, binary: format === 'pprof' });
}

function formatFromExtension(output: string | undefined): OutputFormat {
  if (output === undefined || output === '-') return 'folded';
  if (/\.(pb\.gz|pb|pprof)$/i.test(output)) return 'pprof';
  if (/\.json$/i.test(output)) return 'json';
  return 'folded';
}
