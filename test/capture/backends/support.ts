// Shared by the backend tests: run one real tracer on a held command from its first instruction to its exit, the
// way capture/session.ts does for a command without a port, and read back what the tracer wrote.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTarget } from '../../../src/capture/target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../../../src/capture/types.js';
import { readTracerOutput, type LoadedInput } from '../../../src/run/input.js';
import { processesMentioning } from '../../e2e/trace-support.js';

/** What fixtures/ground-truth/syscalls.c does (its README): calls, errors and errnos of five syscalls, from 4 threads. */
export const GROUND_TRUTH = {
  getppid: { calls: 1000, errors: 0, errnos: {} },
  sched_yield: { calls: 400, errors: 0, errnos: {} },
  getpgid: { calls: 300, errors: 200, errnos: { ESRCH: 200 } },
  faccessat: { calls: 160, errors: 160, errnos: { ENOENT: 120, ENOTDIR: 40 } },
  dup: { calls: 80, errors: 80, errnos: { EBADF: 80 } },
};

export interface TracedRun {
  /** The target's pid (the held shell's, which became the command by exec). */
  pid: number;
  output: TracerOutput;
  /** The tracer's command line as the kernel shows it while it ran (`/proc/<pid>/cmdline`, space-joined, no pid). */
  cmdlines: string[];
}

/**
 * Starts `command` held before exec, attaches the tracer to it in `runDir` (raw/ made here), lets it run to its
 * exit, stops the tracer and collects its output.
 */
export async function traceHeld(
  attach: (options: AttachOptions) => Promise<Tracer>,
  command: string[],
  runDir: string,
  options: { syscallStacks?: boolean; straceLog?: boolean } = {},
): Promise<TracedRun> {
  mkdirSync(join(runDir, 'raw'), { recursive: true });
  const target = await startTarget(command, { held: true });
  const pid = target.process.pid;
  try {
    const tracer = await attach({ pid, pids: [pid], runDir, syscallStacks: options.syscallStacks ?? false, straceLog: options.straceLog ?? false });
    const cmdlines = processesMentioning(runDir).map((p) => p.slice(p.indexOf(' ') + 1));
    target.resume();
    await target.process.exited;
    await tracer.stop();
    // A failure's cleanup stops every tracer again: that must change nothing (bpftrace's in-flight lines once).
    await tracer.stop();
    return { pid, output: await tracer.collect(), cmdlines };
  } finally {
    await target.process.stop();
  }
}

/** The tracer's output file, parsed in the format the tracer named. */
export async function parsedOutput(runDir: string, output: TracerOutput): Promise<LoadedInput> {
  if (!output.output) throw new Error('the tracer wrote no output file');
  return readTracerOutput(join(runDir, output.output.file), output.output.format);
}

/** The ground-truth syscalls as parsed, in GROUND_TRUTH's shape (errnos only when `errnos`). */
export function groundTruthRows(parsed: LoadedInput, errnos: boolean): Record<string, { calls: number; errors: number; errnos?: Record<string, number> }> {
  return Object.fromEntries(
    Object.keys(GROUND_TRUTH).map((name) => {
      const row = parsed.syscalls!.rows.find((r) => r.name === name);
      return [name, row ? { calls: row.calls, errors: row.errors, ...(errnos ? { errnos: row.errnos } : {}) } : { calls: 0, errors: 0 }];
    }),
  );
}

/** GROUND_TRUTH without errno names (what strace -c can say). */
export function groundTruthCounts(errnos: boolean): ReturnType<typeof groundTruthRows> {
  return Object.fromEntries(Object.entries(GROUND_TRUTH).map(([name, g]) => [name, { calls: g.calls, errors: g.errors, ...(errnos ? { errnos: g.errnos } : {}) }]));
}
