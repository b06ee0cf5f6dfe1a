// The fuzz suite's one way in: every case goes through the one input reader (readInput on a temp file) and must
// end, within a bound, in a result or a NetprobeError the CLI turns into exit 2 (`input` or `usage`): never
// another exception (an "internal error"), never a hang.
//
// `npm test` runs a fixed seed and few runs per property; `npm run fuzz` (NETPROBE_FUZZ=long) runs many with a
// fresh seed per file, printed:
//   NETPROBE_FUZZ_SEED=<n>   seed (default 20261129; under npm run fuzz, random)
//   NETPROBE_FUZZ_RUNS=<n>   runs per property (default 25; under npm run fuzz, 1000)
// A failure prints fast-check's seed and path, so `NETPROBE_FUZZ_SEED=<seed>` replays it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { NetprobeError } from '../../src/model/errors.js';
import { stackList } from '../../src/model/profile.js';
import type { InputFormat } from '../../src/parse/types.js';
import { readInput, type LoadedInput } from '../../src/run/input.js';
import { FIXTURES } from '../helpers.js';

/** Whether this is the long randomized run (`npm run fuzz`), where exhaustive loops are worth their time too. */
export const LONG = process.env.NETPROBE_FUZZ === 'long';
export const SEED = Number(process.env.NETPROBE_FUZZ_SEED ?? (LONG ? Math.floor(Math.random() * 2 ** 31) : 20261129));
export const RUNS = Number(process.env.NETPROBE_FUZZ_RUNS ?? (LONG ? 1000 : 25));
/** The issue-10 bound for any one input on these machines; inputs here are small, so it only catches hangs. */
export const CASE_SECONDS = 20;
if (process.env.NETPROBE_FUZZ_SEED !== undefined || LONG) console.log(`fuzz: NETPROBE_FUZZ_SEED=${SEED}, ${RUNS} runs per property`);

/** fast-check parameters every property uses: reproducible in npm test (`runs` runs), long under npm run fuzz. */
export function params(runs = RUNS): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: LONG ? Math.max(runs, RUNS) : runs, endOnFailure: true };
}

/** Every text format a parser reads, for forcing a parser onto input it would not have detected. */
export const TEXT_FORMATS: readonly InputFormat[] = [
  'strace-summary',
  'strace-log',
  'perf-script',
  'perf-trace-summary',
  'bpftrace',
  'bpftrace-offcpu',
  'bpftrace-latency',
  'folded',
];
export const ALL_FORMATS: readonly InputFormat[] = [...TEXT_FORMATS, 'pprof'];

const dir = mkdtempSync(join(tmpdir(), 'netprobe-fuzz-'));
let counter = 0;

/** Removes the temp files (call from afterAll). */
export function cleanUp(): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes `content` to a fresh file in the suite's temp directory; returns its path. */
export function writeTemp(name: string, content: string | Uint8Array): string {
  const file = join(dir, `${counter++}-${name}`);
  writeFileSync(file, content);
  return file;
}

export type Outcome = { ok: LoadedInput; error?: undefined } | { ok?: undefined; error: NetprobeError };

/**
 * Reads `content` as a file named `name` (detection, or `format` forced) and returns what happened. Throws, failing
 * the property, on any other exception, on a NetprobeError with another code, or past CASE_SECONDS.
 */
export async function outcome(content: string | Uint8Array, options: { name?: string; format?: InputFormat } = {}): Promise<Outcome> {
  const file = writeTemp(options.name ?? 'input', content);
  const started = performance.now();
  let result: Outcome;
  try {
    result = { ok: await readInput(file, { format: options.format }) };
  } catch (e) {
    if (!(e instanceof NetprobeError && (e.code === 'input' || e.code === 'usage'))) {
      throw new Error(`not a clean refusal (${options.format ?? 'detected'}, ${sketch(content)}): ${(e as Error)?.stack ?? String(e)}`, { cause: e });
    }
    // One line (the CLI adds the hint on a second), naming the input.
    if (e.message.includes('\n')) throw new Error(`multi-line error message: ${JSON.stringify(e.message)}`);
    result = { error: e };
  } finally {
    rmSync(file, { force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  if (seconds > CASE_SECONDS) throw new Error(`took ${seconds.toFixed(1)} s (bound ${CASE_SECONDS} s): ${sketch(content)}`);
  if (result.ok) {
    const problem = nonsense(result.ok);
    if (problem) throw new Error(`accepted a nonsense value (${options.format ?? 'detected'}: ${problem}): ${sketch(content)}`);
  }
  return result;
}

/** What no accepted input may hold: counts that are not non-negative safe integers, values that are not finite. */
export function nonsense(loaded: LoadedInput): string | undefined {
  for (const row of loaded.syscalls?.rows ?? []) {
    for (const n of [row.calls, row.errors, ...Object.values(row.errnos)]) if (!Number.isSafeInteger(n) || n < 0) return `syscall ${row.name} count ${n}`;
    if (!Number.isFinite(row.seconds) || row.seconds < 0) return `syscall ${row.name} seconds ${row.seconds}`;
  }
  const profile = loaded.profile;
  if (profile) {
    for (const stack of stackList(profile)) {
      if (stack.values.length !== profile.sampleTypes.length) return `a stack with ${stack.values.length} values for ${profile.sampleTypes.length} sample types`;
      for (const v of stack.values) if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) return `stack value ${v}`;
      for (const f of stack.frames) if (profile.frames[f] === undefined) return `frame id ${f} of ${profile.frames.length}`;
    }
  }
  for (const [name, l] of Object.entries(loaded.latency ?? {})) {
    if (!Number.isSafeInteger(l.calls) || l.calls < 0) return `latency ${name} calls ${l.calls}`;
  }
  return undefined;
}

/** Asserts the outcome is clean for detection and for each given format forced. */
export async function cleanForAll(content: string | Uint8Array, formats: readonly (InputFormat | undefined)[] = [undefined, ...ALL_FORMATS]): Promise<void> {
  for (const format of formats) await outcome(content, { format });
}

function sketch(content: string | Uint8Array): string {
  const text = typeof content === 'string' ? content : Buffer.from(content.subarray(0, 200)).toString('latin1');
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  return `${size} bytes starting ${JSON.stringify(text.slice(0, 120))}`;
}

/** Lines of a text, each with its terminator, so joining a prefix gives the text cut after that line. */
export function linesWithEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Up to `max` cut points among `n` lines: all of them when few, else evenly spread plus the last. */
export function cutPoints(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n + 1 }, (_, i) => i);
  const step = n / max;
  const points = new Set<number>([0, n]);
  for (let i = 0; i < max; i++) points.add(Math.floor(i * step));
  return [...points].sort((a, b) => a - b);
}

/** A fixture every text or pprof parser was written against, and the format it is read as. */
export interface FixtureInput {
  /** Path under fixtures/. */
  name: string;
  bytes: Buffer;
  format: InputFormat;
}

// Every fixture format: strace summaries and logs (-f/-k/-ff/-tt/-T/-yy/x32, detached), perf script (CPU and
// syscall tracepoints), perf trace -s, bpftrace (counts, maps by id/comm/tid, histograms, stacks, netprobe's
// scripts incl. off-CPU and latency outputs), folded stacks and pprof; models/ adds a few captures of each tracer.
const FIXTURE_DIRS = ['strace/summary', 'strace/log', 'strace/foreign', 'perf', 'perf-trace', 'bpftrace', 'folded', 'pprof', 'render'];
const FIXTURE_FILE = /\.(txt|log|folded|pb\.gz|perf|\d+)$/;

/** The fixtures as read normally (detected), skipping files that are not inputs (READMEs, sources, JSON). */
export async function fixtureInputs(): Promise<FixtureInput[]> {
  const names: string[] = [];
  for (const dir of FIXTURE_DIRS) for (const f of readdirSync(join(FIXTURES, dir))) if (FIXTURE_FILE.test(f)) names.push(`${dir}/${f}`);
  const models = readdirSync(join(FIXTURES, 'models'));
  for (const suffix of ['.strace.txt', '.bpftrace.txt', '.perf.txt', '.strace.log']) names.push(...models.filter((f) => f.endsWith(suffix)).slice(0, 2).map((f) => `models/${f}`));
  const inputs: FixtureInput[] = [];
  for (const name of names) {
    const file = join(FIXTURES, name);
    const loaded = await readInput(file).catch(() => undefined);
    if (loaded) inputs.push({ name, bytes: readFileSync(file), format: loaded.format });
  }
  return inputs;
}
