// The netprobe program: registers every command and is the only place that maps errors to exit codes.
import { Command, CommanderError } from 'commander';
import { NetprobeError } from '../model/errors.js';
import { VERSION } from './version.js';

type Register = (program: Command) => void;

// Commands are imported only when used: loading every command's dependencies costs ~0.1 s per run.
const COMMANDS: Record<string, () => Promise<Register>> = {
  trace: async () => (await import('./trace.js')).registerTrace,
  summary: async () => (await import('./summary.js')).registerSummary,
  flame: async () => (await import('./flame.js')).registerFlame,
  diff: async () => (await import('./diff.js')).registerDiff,
  convert: async () => (await import('./convert.js')).registerConvert,
  compare: async () => (await import('./compare.js')).registerCompare,
  check: async () => (await import('./check.js')).registerCheck,
  metrics: async () => (await import('./metrics.js')).registerMetrics,
  demo: async () => (await import('./demo.js')).registerDemo,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};

/** The command named on the command line (first word that is not a global option), if it is one of ours. */
function requestedCommand(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return word !== undefined && word in COMMANDS ? word : undefined;
}

export const EXIT = { ok: 0, regression: 1, usage: 2, input: 2, environment: 3, interrupted: 130 } as const;

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('netprobe')
    .description('See what a network server does at the system-call level.')
    .version(VERSION)
    .option('--debug', 'print stack traces for errors')
    .option('--no-color', 'disable colours')
    .option('--max-input-size <size>', 'largest a gzip input may decompress to, e.g. 8G (default 2G)')
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', async (cmd) => {
      const size = cmd.opts<{ maxInputSize?: string }>().maxInputSize;
      if (size !== undefined) (await import('../run/input.js')).setInputLimits({ maxDecompressedBytes: parseSize('--max-input-size', size) });
    })
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.addHelpText(
    'after',
    `
Examples:
  $ netprobe demo                                   compare network models on this machine
  $ netprobe trace --port 8080 --load http://127.0.0.1:8080/ -- ./server
  $ netprobe summary strace-c.txt                   syscall table from any syscall source
  $ netprobe flame perf.script -o flame.html        interactive flame graph
  $ netprobe convert cpu.pprof --format folded      any input to folded, pprof or JSON
  $ netprobe check --baseline ci/syscalls.json run/    CI gate: exit 1 when syscalls per request regress
  $ netprobe metrics run/ -o netprobe.prom          Prometheus text (node_exporter textfile collector)
  $ netprobe doctor                                 which tracers work here`,
  );
  const only = requestedCommand(argv);
  const names = only ? [only] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((name) => COMMANDS[name]!()))) register(program);
  return program;
}

function exitCodeFor(err: NetprobeError): number {
  return EXIT[err.code];
}

async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  // Only netprobe's own words: what follows `--` belongs to the traced command.
  const ours = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const debug = ours.includes('--debug');
  if (ours.includes('--no-color')) process.env.NO_COLOR = '1';
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error (exit 2, not 1).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT.usage;
    }
    if (err instanceof NetprobeError) {
      process.stderr.write(`netprobe: ${terminalSafe(err.message)}\n`);
      if (err.hint) process.stderr.write(`hint: ${terminalSafe(err.hint)}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return exitCodeFor(err);
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`netprobe: internal error: ${terminalSafe(message)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('hint: run again with --debug for a stack trace, and please report it.\n');
    return 70;
  }
}

/**
 * Text from inputs and targets (file names, a target's stderr, offending lines) on its way to a terminal:
 * control characters (escape sequences could retitle or repaint the terminal) and bidi overrides are shown
 * as \u escapes; newlines and tabs stay.
 */
function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `512M`, `8G`, `1.5G` or bytes. */
function parseSize(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(value.trim());
  const bytes = m ? Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!(bytes > 0)) throw new NetprobeError('usage', `Expected \`${name}\` to be a size like 512M or 8G, got \`${value}\``);
  return Math.floor(bytes);
}

// `netprobe ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`netprobe: cannot write to stdout: ${err.message}\n`);
  process.exit(EXIT.input);
});

const code = await main(process.argv);
process.exitCode = code;
