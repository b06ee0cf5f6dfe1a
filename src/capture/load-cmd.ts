// External load generators (`--load-cmd`): runs the user's shell command line, reads the request count from
// its summary (wrk, redis-benchmark), and stops its whole process group when asked to.
import { NetprobeError } from '../model/errors.js';
import type { LoadResult } from '../model/run.js';
import { parseLoadOutput, type LoadOutputSummary } from '../parse/load-output.js';
import { ManagedProcess } from './target.js';

export interface LoadCommandOptions {
  /** Aborting interrupts the command (SIGINT to its process group, then SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
  /** Request count to report when the command's output does not say. */
  requests?: number;
}

export interface CommandLoadResult extends LoadResult {
  /**
   * False when neither the output, `requests` nor the command line gave a count; `requests` is then 0, meaning
   * unknown, and `requestsPerSecond` is the generator's own rate, or 0 (unknown) when it printed none.
   */
  requestsKnown: boolean;
  /** What the command printed (stdout, then stderr), kept for the run directory's raw/ folder. */
  output: string;
}

/** Only the end matters (summaries come last); this bounds memory for chatty generators. */
const MAX_KEPT_CHARS = 1 << 20;
/** wrk prints its summary on SIGINT; give it this long before escalating. */
const ESCALATE_AFTER_MS = 2000;

/** Runs `sh -c cmd` as its own process group and turns its output into a LoadResult. */
export async function runLoadCommand(cmd: string, opts: LoadCommandOptions = {}): Promise<CommandLoadResult> {
  if (cmd.trim() === '') throw new NetprobeError('usage', 'Expected `--load-cmd` to be a command line, got an empty string');
  const started = performance.now();
  const run = await runGroup(cmd, opts.signal);
  const wallSeconds = (performance.now() - started) / 1000;
  const output = run.stdout + (run.stderr === '' ? '' : `\n${run.stderr}`);
  const parsed = parseLoadOutput(run.stdout) ?? parseLoadOutput(output);

  if (!run.interrupted && run.exitCode !== 0 && parsed?.requests == null) {
    const last = lastLine(run.stderr) ?? lastLine(run.stdout) ?? 'no output';
    throw new NetprobeError(
      'environment',
      run.exitCode === 127 ? `load command not found: ${last}` : `load command failed (${run.exitCode === null ? `signal ${run.signal}` : `exit code ${run.exitCode}`}): ${last}`,
      { hint: `Run it by hand to check it: ${cmd}` },
    );
  }

  const quiet = parsed?.testRates ? quietRedisBenchmarkLoad(parsed.testRates, redisBenchmarkRequestsPerTest(cmd)) : null;
  const counted = parsed?.requests ?? opts.requests ?? quiet?.requests ?? null;
  const requests = counted ?? 0;
  const durationSeconds = parsed?.durationSeconds ?? quiet?.durationSeconds ?? wallSeconds;
  const result: CommandLoadResult = {
    requests,
    errors: countedErrors(parsed),
    durationSeconds,
    requestsPerSecond: rateOf(parsed, counted, durationSeconds),
    generator: cmd,
    requestsKnown: counted !== null,
    output,
  };
  if (parsed?.latencyMs) result.latencyMs = parsed.latencyMs;
  return result;
}

// wrk's summary counts failed requests (non-2xx/3xx answers, socket errors); redis-benchmark prints no count, and
// output netprobe cannot read says nothing: unknown, never 0.
function countedErrors(parsed: LoadOutputSummary | null): number | null {
  return parsed?.tool === 'wrk' && parsed.requests !== null ? parsed.errors : null;
}

// A count given by --requests beside a -q rate: the rate stays the generator's own measurement.
function rateOf(parsed: LoadOutputSummary | null, counted: number | null, durationSeconds: number): number {
  if (parsed?.requestsPerSecond != null) return parsed.requestsPerSecond;
  return counted !== null && durationSeconds > 0 ? counted / durationSeconds : 0;
}

/** redis-benchmark's default `-n` (its --help: "Total number of requests (default 100000)"). */
const REDIS_BENCHMARK_DEFAULT_REQUESTS = 100_000;

/**
 * Requests each test of a redis-benchmark command line makes: its `-n`, or the default. Null when the line does
 * not run redis-benchmark exactly once (a wrapper script, two invocations): the count is then unknown.
 */
export function redisBenchmarkRequestsPerTest(cmd: string): number | null {
  const words = cmd.split(/\s+/).filter((w) => w !== '');
  const starts = words.flatMap((w, i) => (/(^|\/)redis-benchmark$/.test(w) ? [i] : []));
  if (starts.length !== 1) return null;
  let requests = REDIS_BENCHMARK_DEFAULT_REQUESTS;
  for (let i = starts[0]! + 1; i < words.length && !/^(\||\|\||&&|;|&)$/.test(words[i]!); i++) {
    // redis-benchmark takes `-n` only as a separate word (`-n 20000`) and reads it with atoi.
    if (words[i] === '-n') {
      const n = Number(words[i + 1]);
      if (!Number.isInteger(n) || n <= 0) return null;
      requests = n;
    }
  }
  return requests;
}

// -q prints one rate per completed test; each test made `perTest` requests in perTest / rate seconds.
function quietRedisBenchmarkLoad(rates: readonly number[], perTest: number | null): { requests: number; durationSeconds: number } | null {
  if (perTest === null || rates.some((r) => !(r > 0))) return null;
  const durationSeconds = rates.reduce((s, r) => s + perTest / r, 0);
  return { requests: perTest * rates.length, durationSeconds: Math.round(durationSeconds * 1000) / 1000 };
}

interface GroupRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  interrupted: boolean;
}

async function runGroup(cmd: string, signal: AbortSignal | undefined): Promise<GroupRun> {
  const stdout = new TailBuffer();
  const stderr = new TailBuffer();
  // Its own process group: one kill reaches everything the command started.
  const proc = new ManagedProcess('sh', ['-c', cmd], {
    label: 'the load command',
    onStdoutChunk: (c) => stdout.push(c),
    onStderrChunk: (c) => stderr.push(c),
  });
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    void proc.stop({ graceMs: ESCALATE_AFTER_MS });
  };
  if (signal?.aborted) interrupt();
  else signal?.addEventListener('abort', interrupt, { once: true });
  try {
    await proc.exited;
  } catch (cause) {
    // `cannot start the load command: sh not found`
    throw new NetprobeError('environment', (cause as Error).message, { cause, hint: 'netprobe runs it with `sh -c`; check that sh exists.' });
  } finally {
    signal?.removeEventListener('abort', interrupt);
  }
  // Whatever the shell left running in the background goes too.
  const exit = await proc.stop();
  return { stdout: stdout.text(), stderr: stderr.text(), exitCode: exit.exitCode, signal: exit.signal, interrupted };
}

class TailBuffer {
  private chunks: string[] = [];
  private size = 0;

  push(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    while (this.size - this.chunks[0]!.length >= MAX_KEPT_CHARS) this.size -= this.chunks.shift()!.length;
  }

  text(): string {
    return this.chunks.join('');
  }
}

function lastLine(text: string): string | undefined {
  return text.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l !== '').at(-1);
}
