// `netprobe check --baseline <file> <input>` or `... -- <cmd>`: the CI gate. Exit 0 when the input (or a fresh
// capture, or the median of --runs N captures) stays within the baseline's limits, 1 when it regressed, 2 for
// usage errors and unreadable inputs, 3 when the environment cannot capture. Reports go to stdout and to the
// files CI systems read (JUnit, Markdown, JSON, GitHub's job summary and annotations).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { familyOf } from '../model/families.js';
import { NetprobeError } from '../model/errors.js';
import { shownPath } from '../model/shown-path.js';
import { formatCount } from '../model/units.js';
import { renderCheckAnnotations, renderCheckJson, renderCheckMarkdown, renderCheckTable } from '../render/check-table.js';
import {
  CHECK_IDS,
  checkAgainstBaseline,
  DEFAULT_MAX_INCREASE,
  DEFAULT_MIN_APPEARANCE,
  DEFAULT_MIN_SHARE,
  type CheckId,
  type CheckOptions,
  type Limit,
} from '../report/check.js';
import { readMeasurement, measurementOfRun, writeBaseline, writeCheckReports, type CheckReportFiles, type LoadedMeasurement } from '../run/check.js';
import { parsePositiveInt, printWarnings, writeOutput } from './common.js';
import { metricsTargetsOf, publishRunMetrics } from './metrics.js';
import { addCaptureOptions, runCaptures, traceOptions, type TraceFlags } from './trace.js';
import { VERSION } from './version.js';

// `json` is check's own: true for stdout or a file name (trace's --json prints run.json).
interface CheckFlags extends Omit<TraceFlags, 'json'> {
  baseline: string;
  maxIncrease: string;
  maxTimingIncrease: string;
  limit: string[];
  minShare: string;
  minAppearance: string;
  allowModelChange?: boolean;
  updateBaseline?: boolean;
  /** true: to stdout; a string: to that file. */
  markdown?: boolean | string;
  json?: boolean | string;
  junit?: string;
  runs: string;
}

export function registerCheck(program: Command): void {
  addCaptureOptions(
    program
      .command('check')
      .description('CI gate: compare syscall counts (of an input, or of a capture like trace makes) with a baseline; exit 0 when within limits, 1 on a regression')
      .argument('[input | -- command...]', 'run directory, run.json or baseline file, strace -c output, strace log, bpftrace output, pprof syscall profile; or, after --, a command to trace')
      .requiredOption('--baseline <file>', 'the baseline: a file written by --update-baseline, a run directory or any input above')
      .option('--max-increase <pct>', 'allowed growth of work checks without their own --limit', `${DEFAULT_MAX_INCREASE * 100}%`)
      .option('--max-timing-increase <pct>', 'allowed growth of timing checks without their own --limit (off: fail only when they appear)', 'off')
      .option(
        '--limit <check=limit>',
        'limit for one check (repeatable): check is a family (futex, epoll-wait, read, write, ...; a syscall name picks its family), other, total or errors; limit is 5% (relative), 0.2 (absolute, in the comparison unit) or off',
        collect,
        [] as string[],
      )
      .option('--min-share <pct>', 'checks under this share of all calls in both runs are not gated by the default limits', `${DEFAULT_MIN_SHARE * 100}%`)
      .option('--min-appearance <pct>', 'a timing check under --min-share in the baseline fails when it grows by this share of all calls', `${DEFAULT_MIN_APPEARANCE * 100}%`)
      .option('--allow-model-change', 'do not fail when the network-model label differs from the baseline')
      .option('--update-baseline', 'write the input as the new baseline file (replacing it) and exit 0')
      .option('--runs <n>', 'capture N times (with -- <command> or --pid) and compare the median of each check; the table shows the range', '1')
      .option('--junit <file>', 'also write the checks as JUnit XML (GitLab, Jenkins, Buildkite, GitHub test reports)')
      .option('--markdown [file]', 'GitHub-flavoured Markdown (PR comment) instead of the table, or also into a file')
      .option('--json [file]', 'the checks as JSON instead of the table, or also into a file'),
  )
    .addHelpText(
      'after',
      `
Units: calls per request when both runs know their request count (run directories traced with --load or
--load-cmd), else calls per second of capture when both know its length, else raw counts.
Checks:
  work    successful calls of read, write, accept, epoll-ctl, thread-create (clone/fork), io-uring and of
          other syscalls. Deterministic under the same load: gated by --max-increase (default 10%).
  timing  futex, epoll-wait, poll-select, sleep (nanosleep), sched-yield, signals and errors (EAGAIN...).
          They follow scheduling (Go's futex calls per request vary 2.6x between identical runs), so by
          default they fail only when they appear: under --min-share of all calls in the baseline, grown by
          --min-appearance (4%) of all calls now; --max-timing-increase gates their amounts.
  total   all calls: its parts follow scheduling, but it may not double (limit +100%: a tripled total is a
          regression whatever its parts); --max-timing-increase or --limit total=... change that.
  model   the network-model label must stay the same unless --allow-model-change.
Checks under --min-share of all calls in both runs are "small" and not gated unless named in --limit.
A check fails when it exceeds baseline + limit; "better" means it dropped by more than the limit (refresh the
baseline with --update-baseline to lock the gain in).
When "other syscalls" grows, its row names the syscalls that grew most.
Repeated runs: --runs N captures N times and compares the median of each check (the table adds the range of
the runs); with --update-baseline the baseline stores the median and range of its N runs.
Reports: --junit <file>, --markdown [file] and --json [file] write files (atomically). Under GitHub Actions
the Markdown is appended to the job summary ($GITHUB_STEP_SUMMARY) by check itself, and every failure (and
every small check that grew past its limit) is printed as an ::error (::warning) annotation.
Exit status: 0 passed, 1 regression found, 2 usage error or unreadable input, 3 the environment cannot
capture (no working tracer, no permission, target failed to start; the fix is printed), 130 interrupted.

With \`-- <cmd>\` (or --pid) check first captures exactly as \`netprobe trace\` does, with the same options, and
checks the new run directory.

Examples:
  $ netprobe check --baseline ci/syscalls.json --update-baseline --load http://127.0.0.1:8080/ -n 20000 -- ./server 8080
  $ netprobe check --baseline ci/syscalls.json --load http://127.0.0.1:8080/ -n 20000 -- ./server 8080
  $ netprobe trace -o run --load http://127.0.0.1:8080/ -n 20000 -- ./server 8080
  $ netprobe check --baseline ci/syscalls.json run --limit futex=50% --limit total=0.5
  $ netprobe check --baseline base.strace-c.txt new.strace-c.txt --max-increase 5%
  $ netprobe check --baseline ci/syscalls.json --runs 3 --junit netprobe.xml --markdown netprobe.md \\
      --load http://127.0.0.1:8080/ -n 20000 -- ./server 8080

GitHub Actions step, with netprobe a devDependency (npm install --save-dev @netprobe/cli, so npx netprobe is
ours). bpftrace and perf need root and sudo resets PATH, hence env PATH; check appends the table to the job
summary and prints annotations itself, so no pipe stands between its exit status and the step:
  - run: |
      sudo -E env "PATH=$PATH" npx netprobe check --baseline ci/syscalls.json --runs 3 --junit netprobe.xml \\
        --load http://127.0.0.1:8080/ -n 20000 -- ./server 8080
Or the ready composite action (action.yml; README "GitHub Actions").`,
    )
    .action(async (args: string[], flags: CheckFlags) => {
      const runs = parsePositiveInt('--runs', flags.runs);
      // Before anything else: `--markdown run/` swallows the input, and the error should say so.
      reportTargets(flags);
      // Everything after `--` is the command to trace; commander drops the `--` itself, so look at argv.
      if (process.argv.includes('--') || flags.pid !== undefined) {
        await checkCommand(() => captureMeasurements(args, flags, runs), `-- ${args.join(' ')}`, flags);
        return;
      }
      if (args.length !== 1) {
        throw new NetprobeError('usage', `Expected one input, or \`-- <command>\` to trace, got ${args.length === 0 ? 'none' : `\`${args.join(' ')}\``}`);
      }
      if (runs > 1) {
        throw new NetprobeError('usage', '--runs repeats a capture: give `-- <command>` (or --pid) instead of an input', {
          hint: `\`netprobe check --baseline ${flags.baseline} --runs ${runs} [capture options] -- <command>\``,
        });
      }
      if (flags.metricsFile !== undefined || flags.pushMetrics !== undefined || flags.label.length > 0) {
        throw new NetprobeError('usage', '--metrics-file, --push-metrics and --label publish a capture (`-- <command>` or --pid)', {
          hint: `For an existing input use \`netprobe metrics ${args[0]!}\`.`,
        });
      }
      await checkCommand(async () => [await readMeasurement(args[0]!, printWarnings())], args[0]!, flags);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Validates the flags and the baseline, measures (reads the input or captures), then updates or checks. */
async function checkCommand(measure: () => Promise<LoadedMeasurement[]>, shownInput: string, flags: CheckFlags): Promise<void> {
  const reports = reportTargets(flags);
  const options = checkOptions(flags);
  if (flags.updateBaseline) {
    const runs = await measure();
    await writeBaseline(flags.baseline, runs, `netprobe@${VERSION}`);
    const m = runs[0]!.measurement;
    const load = m.requests ? `${formatCount(m.requests)} requests` : m.durationSeconds ? `${m.durationSeconds} s of capture` : 'no request count or duration';
    const what = runs.length > 1 ? `the median and range of ${runs.length} runs` : `${formatCount(m.syscalls.totals.calls)} calls, ${load}`;
    process.stderr.write(`netprobe: baseline written to ${flags.baseline} (${what})\n`);
    return;
  }
  // The baseline first: a missing one should not cost a capture.
  const baseline = await readMeasurement(flags.baseline, printWarnings()).catch((err: unknown) => {
    if (err instanceof NetprobeError && /no such file/.test(err.message)) {
      throw new NetprobeError('input', `baseline ${flags.baseline} does not exist`, {
        hint: `Record one with \`netprobe check --baseline ${flags.baseline} --update-baseline ${shownInput}\` and commit it.`,
      });
    }
    throw err;
  });
  const current = await measure();
  const result = checkAgainstBaseline(
    baseline.measurement,
    current.map((c) => c.measurement),
    options,
  );
  await writeCheckReports(result, reports.files);
  const text = reports.stdout === 'json' ? renderCheckJson(result) : reports.stdout === 'markdown' ? renderCheckMarkdown(result) : renderCheckTable(result);
  await writeOutput(undefined, text);
  // GitHub reads workflow commands from stderr too, which keeps stdout the report alone.
  if (process.env.GITHUB_ACTIONS === 'true') process.stderr.write(renderCheckAnnotations(result));
  // A regression is a verdict, not an error: main.ts returns this exit code after a normal finish.
  if (!result.passed) process.exitCode = 1;
}

/** What goes to stdout (one report) and which files to write, from the flags and $GITHUB_STEP_SUMMARY. */
function reportTargets(flags: Pick<CheckFlags, 'markdown' | 'json' | 'junit'>): { stdout: 'table' | 'markdown' | 'json'; files: CheckReportFiles } {
  if (flags.markdown === true && flags.json === true) {
    throw new NetprobeError('usage', 'Expected at most one of `--markdown` and `--json` on stdout', { hint: 'Give the other a file: `--json check.json`.' });
  }
  const file = (flag: string, value: string | boolean | undefined): string | undefined => {
    if (typeof value !== 'string') return undefined;
    // `--markdown run/` takes run/ as the file: say so rather than fail to write into a directory.
    if (existsSync(value) && statSync(value).isDirectory()) {
      throw new NetprobeError('usage', `\`${flag} ${value}\`: ${value} is a directory, not a file to write`, {
        hint: `Put the input before ${flag} (\`check --baseline <file> ${value} ${flag}\`), or give ${flag} a file name.`,
      });
    }
    return value;
  };
  const markdown = file('--markdown', flags.markdown);
  const json = file('--json', flags.json);
  const junit = file('--junit', flags.junit);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  return {
    stdout: flags.json === true ? 'json' : flags.markdown === true ? 'markdown' : 'table',
    files: {
      ...(junit !== undefined ? { junit } : {}),
      ...(markdown !== undefined ? { markdown } : {}),
      ...(json !== undefined ? { json } : {}),
      ...(stepSummary ? { stepSummary } : {}),
    },
  };
}

/** The library options from the flags; every malformed value is a usage error naming the flag. */
export function checkOptions(flags: Pick<CheckFlags, 'maxIncrease' | 'maxTimingIncrease' | 'limit' | 'minShare' | 'minAppearance' | 'allowModelChange'>): CheckOptions {
  const limits: Partial<Record<CheckId, Limit>> = {};
  for (const spec of flags.limit) {
    const [id, limit] = parseLimitSpec(spec);
    limits[id] = limit;
  }
  return {
    maxIncrease: parsePercent('--max-increase', flags.maxIncrease),
    ...(flags.maxTimingIncrease === 'off' ? {} : { maxTimingIncrease: parsePercent('--max-timing-increase', flags.maxTimingIncrease) }),
    minShare: parsePercent('--min-share', flags.minShare),
    minAppearance: parsePercent('--min-appearance', flags.minAppearance),
    limits,
    allowModelChange: flags.allowModelChange === true,
  };
}

function parsePercent(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (!m) throw new NetprobeError('usage', `Expected \`${name}\` to be a percentage like 10%, got \`${value}\``);
  return Number(m[1]) / 100;
}

/** `futex=50%`, `total=0.5`, `clone=off` -> the check and its limit. */
export function parseLimitSpec(spec: string): [CheckId, Limit] {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? '' : spec.slice(0, eq).trim();
  const value = eq < 0 ? '' : spec.slice(eq + 1).trim();
  if (!name || !value) {
    throw new NetprobeError('usage', `Expected \`--limit\` like futex=50%, total=0.5 or clone=off, got \`${spec}\``);
  }
  const id = checkIdOf(name);
  if (!id) {
    throw new NetprobeError('usage', `\`--limit ${spec}\`: ${name} is not a syscall family, total or errors`, {
      hint: `Checks: ${CHECK_IDS.join(', ')} (a syscall name such as epoll_wait or clone picks its family).`,
    });
  }
  if (value === 'off') return [id, { kind: 'off' }];
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value);
  if (!m) throw new NetprobeError('usage', `Expected the limit in \`--limit ${spec}\` to be a percentage (5%), an amount (0.2) or off, got \`${value}\``);
  const n = Number(m[1]);
  return [id, m[2] ? { kind: 'relative', fraction: n / 100 } : { kind: 'absolute', amount: n }];
}

function checkIdOf(name: string): CheckId | undefined {
  if ((CHECK_IDS as readonly string[]).includes(name)) return name as CheckId;
  return familyOf(name);
}

/** Captures like `netprobe trace`, `runs` times one after the other (`-o dir`: dir/run-1, dir/run-2...). */
async function captureMeasurements(command: string[], flags: CheckFlags, runs: number): Promise<LoadedMeasurement[]> {
  const out: LoadedMeasurement[] = [];
  for (let i = 1; i <= runs; i++) {
    const shown = runs > 1 ? { ...flags, ...(flags.out !== undefined ? { out: join(flags.out, `run-${i}`) } : {}) } : flags;
    out.push(await captureMeasurement(command, shown));
  }
  return out;
}

/** Captures like `netprobe trace` and checks the run in memory. */
async function captureMeasurement(command: string[], flags: CheckFlags): Promise<LoadedMeasurement> {
  const metrics = metricsTargetsOf(flags);
  const { results, aborted } = await runCaptures(traceOptions(command, { ...flags, json: undefined }));
  const result = results[0]!;
  const warn = printWarnings();
  for (const w of result.warnings) warn(w);
  const dir = shownPath(result.dir);
  if (aborted || result.interrupted) throw new NetprobeError('interrupted', `interrupted; nothing checked (partial capture in ${dir})`);
  process.stderr.write(`netprobe: captured ${dir}\n`);
  if (metrics) await publishRunMetrics(result, metrics);
  return measurementOfRun(result, dir);
}
