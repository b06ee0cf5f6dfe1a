// `netprobe diff <base> <new>`: a differential flame graph of two profiles of the same kind.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { foldedStacks } from '../export/folded.js';
import { NetprobeError } from '../model/errors.js';
import type { Profile } from '../model/profile.js';
import { renderDiffHtml } from '../render/diff-html.js';
import { diffFolded } from '../report/diff-folded.js';
import { printWarnings, writeOutput } from './common.js';
import { profileOf } from './flame.js';
import { readInput } from './input.js';

interface DiffFlags {
  output: string;
  normalize: boolean;
  stripHex?: boolean;
  title?: string;
  sampleType?: string;
  force?: boolean;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('differential flame graph of two profiles: widths from <new>, red where frames grew, blue where they shrank')
    .argument('<base>', 'the profile before the change (file or run directory)')
    .argument('<new>', 'the profile after the change (file or run directory)')
    .option('-o, --output <file>', 'HTML file to write, or - for stdout', 'diff.html')
    .option('--no-normalize', 'compare raw values instead of scaling <base> to the total of <new>')
    .option('--strip-hex', 'replace hex addresses in frame names so builds at different addresses match')
    .option('--title <text>', 'page title')
    .option('--sample-type <type>', 'sample type to compare (default: each profile\'s default, which must agree)')
    .option('--force', 'overwrite the output file if it exists')
    .addHelpText(
      'after',
      `
Examples:
  $ netprobe diff before.perf.script after.perf.script -o diff.html
  $ netprobe diff netprobe-out/v1-run/ netprobe-out/v2-run/     syscall stacks of two runs
  $ netprobe diff old.pb.gz new.pb.gz --no-normalize --strip-hex`,
    )
    .action(async (baseInput: string, newInput: string, flags: DiffFlags) => {
      const onWarning = printWarnings();
      const base = profileOf(await readInput(baseInput, { onWarning }));
      const next = profileOf(await readInput(newInput, { onWarning }));
      const type = commonSampleType(base, next, flags.sampleType, baseInput, newInput);
      const rows = diffFolded(foldedStacks(base, type.baseIndex), foldedStacks(next, type.newIndex), {
        normalize: flags.normalize,
        stripHex: flags.stripHex ?? false,
      });
      const title = `${basename(baseInput)} → ${basename(newInput)}`;
      const html = renderDiffHtml(
        { title, rows, normalized: flags.normalize, unit: type.unit, sampleType: type.name },
        { title: flags.title ?? `Differential flame graph: ${title}`, subtitle: `base ${baseInput} · new ${newInput}` },
      );
      await writeOutput(flags.output, html, { force: flags.force });
      if (flags.output !== '-') process.stderr.write(`wrote ${flags.output}\n`);
    });
}

interface CommonType {
  name: string;
  unit: string;
  baseIndex: number;
  newIndex: number;
}

// Comparing calls with nanoseconds would draw nonsense: both sides must show the same sample type and unit.
function commonSampleType(base: Profile, next: Profile, wanted: string | undefined, baseName: string, newName: string): CommonType {
  const name = wanted ?? base.sampleTypes[base.defaultSampleType]?.type;
  const baseIndex = base.sampleTypes.findIndex((t) => t.type === name);
  const newIndex = next.sampleTypes.findIndex((t) => t.type === name);
  if (name === undefined || baseIndex < 0 || newIndex < 0) {
    const list = (p: Profile) => p.sampleTypes.map((t) => t.type).join(', ') || 'none';
    throw new NetprobeError('usage', `${baseName} and ${newName} have no sample type \`${name ?? '?'}\` in common (${baseName}: ${list(base)}; ${newName}: ${list(next)})`, {
      hint: 'Pick one both have with --sample-type.',
    });
  }
  const unit = base.sampleTypes[baseIndex]!.unit;
  if (next.sampleTypes[newIndex]!.unit !== unit) {
    throw new NetprobeError('usage', `sample type \`${name}\` is in ${unit} in ${baseName} but in ${next.sampleTypes[newIndex]!.unit} in ${newName}`);
  }
  return { name, unit, baseIndex, newIndex };
}
