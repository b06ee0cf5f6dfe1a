// `netprobe diff <base> <new>`: a differential flame graph of two profiles of the same kind.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { renderDiffHtml } from '../render/diff-html.js';
import { readInput } from '../run/input.js';
import { diffProfiles, profileOf } from '../run/profiles.js';
import { assertStdinOnce, printWarnings, writeOutput } from './common.js';

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
    .option('--no-normalize', 'compare raw values instead of scaling <base> per request (run directories that both know their request count) or to the total of <new>')
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
      assertStdinOnce([baseInput, newInput]);
      const onWarning = printWarnings();
      const side = async (input: string) => {
        const loaded = await readInput(input, { onWarning });
        return { profile: profileOf(loaded), name: input, ...(loaded.meta?.requests ? { requests: loaded.meta.requests } : {}) };
      };
      const diff = diffProfiles(await side(baseInput), await side(newInput), {
        ...(flags.sampleType !== undefined ? { sampleType: flags.sampleType } : {}),
        normalize: flags.normalize,
        stripHex: flags.stripHex ?? false,
      });
      const title = `${basename(baseInput)} → ${basename(newInput)}`;
      const html = renderDiffHtml(
        { title, rows: diff.rows, normalized: diff.normalisation.kind === 'total', scaling: diff.normalisationWords, unit: diff.unit, sampleType: diff.sampleType },
        {
          title: flags.title ?? `Differential flame graph: ${title}`,
          subtitle: `base ${baseInput} · new ${newInput} · compared ${diff.normalisationWords}`,
        },
      );
      await writeOutput(flags.output, html, { force: flags.force });
      process.stderr.write(`diff: compared ${diff.normalisationWords}\n`);
      if (flags.output !== '-') process.stderr.write(`wrote ${flags.output}\n`);
    });
}
