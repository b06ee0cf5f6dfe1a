// The netprobe program: registers every command and is the only place that maps errors to exit codes.
import { Command, CommanderError } from 'commander';
import { NetprobeError } from '../model/errors.js';
import { registerCheck } from './check.js';
import { registerCompare } from './compare.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerDiff } from './diff.js';
import { registerDoctor } from './doctor.js';
import { registerFlame } from './flame.js';
import { registerSummary } from './summary.js';
import { registerTrace } from './trace.js';
import { VERSION } from './version.js';

export const EXIT = { ok: 0, regression: 1, usage: 2, input: 2, environment: 3, interrupted: 130 } as const;

function buildProgram(): Command {
  const program = new Command('netprobe')
    .description('See what a network server does at the system-call level.')
    .version(VERSION)
    .option('--debug', 'print stack traces for errors')
    .option('--no-color', 'disable colours')
    .showHelpAfterError('(run with --help for usage)')
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
  $ netprobe doctor                                 which tracers work here`,
  );
  for (const register of [registerTrace, registerSummary, registerFlame, registerDiff, registerConvert, registerCompare, registerCheck, registerDemo, registerDoctor]) {
    register(program);
  }
  return program;
}

function exitCodeFor(err: NetprobeError): number {
  return EXIT[err.code];
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
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
      process.stderr.write(`netprobe: ${err.message}\n`);
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return exitCodeFor(err);
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`netprobe: internal error: ${message}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('hint: run again with --debug for a stack trace, and please report it.\n');
    return 70;
  }
}

// `netprobe ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const code = await main(process.argv);
process.exitCode = code;
