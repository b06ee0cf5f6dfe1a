// strace backend: ptrace every thread of the target, of its existing child processes and of what they fork
// later; highest overhead, works anywhere.
//
// Default: `strace -f -c -w -o raw/strace-summary.txt -p PID [-p CHILD ...]` — the `-c` table with wall time
// per syscall (`-w`: entry to exit, like the other backends; without it strace counts system CPU time). That
// table has error counts but no errno names, so `--strace-log` (and `--syscall-stacks`, which adds `-k`) keep
// the full log instead: `strace -f -tt -T -yy [-k] -o raw/strace.log -p PID [-p CHILD ...]`, parsed for errnos
// and `-T` times.
// strace's `-C` would write both, but appends the table to the same log file.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagedProcess, waitForTracer } from '../target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';

/** strace's argv for these attach options, and the file it writes (relative to the run directory). */
export function straceArgs(options: Pick<AttachOptions, 'pids' | 'runDir' | 'straceLog' | 'syscallStacks'>): { args: string[]; file: string } {
  const logMode = options.straceLog || options.syscallStacks;
  const file = logMode ? 'raw/strace.log' : 'raw/strace-summary.txt';
  const modeArgs = logMode ? ['-tt', '-T', '-yy', ...(options.syscallStacks ? ['-k'] : [])] : ['-c', '-w'];
  return { args: ['-f', ...modeArgs, '-o', join(options.runDir, file), ...options.pids.flatMap((pid) => ['-p', String(pid)])], file };
}

export async function attachStrace(options: AttachOptions): Promise<Tracer> {
  const logMode = options.straceLog || options.syscallStacks;
  const { args, file } = straceArgs(options);

  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const waiting = new Set(options.pids);
  const refused: string[] = [];
  // Every task strace seizes is announced once on stderr, also with -o: `Process N attached with M threads`
  // for each -p process, `Process N attached` for a single-threaded one and for every thread or child
  // followed later (-f). Their sum is the threads seen, which the -c table does not tell.
  let threads = 0;
  const proc = new ManagedProcess('strace', args, {
    label: 'strace',
    onStderrLine: (line) => {
      const attached = /^strace: Process (\d+) attached(?: with (\d+) threads)?$/.exec(line);
      // A pre-forked worker may have exited since netprobe listed it (No such process), or run as a user that
      // may not be traced; strace goes on with the others (it exits only when the target itself fails).
      const failed = /^strace: attach: ptrace\(PTRACE_SEIZE, (\d+)\): (.*)$/.exec(line);
      if (attached) threads += attached[2] === undefined ? 1 : Number(attached[2]);
      if (failed) refused.push(`${failed[1]} (${failed[2]})`);
      const pid = Number((attached ?? failed)?.[1]);
      if (waiting.delete(pid) && waiting.size === 0) markReady();
    },
  });
  await waitForTracer(proc, ready, straceHint);

  return {
    label: 'strace',
    exitStatus: () => proc.exitStatus,
    async stop() {
      // SIGINT makes strace detach from every tracee (they keep running) and write its table.
      await proc.stop({ graceMs: 10_000 });
    },
    async collect(): Promise<TracerOutput> {
      const path = join(options.runDir, file);
      const notes = logMode ? [] : ['errno names need the full log: add --strace-log'];
      if (refused.length > 0) notes.push(`not traced: process${refused.length > 1 ? 'es' : ''} ${refused.join(', ')}`);
      // strace writes nothing at all, not even the -c table's header, when the tracees made no syscall (so no
      // thread made one either).
      const empty = (await stat(path)).size === 0;
      return {
        role: 'syscalls',
        ...(empty ? {} : { output: { file, format: logMode ? 'strace-log' : 'strace-summary' } as const }),
        stacks: options.syscallStacks,
        threads: empty ? 0 : threads > 0 ? threads : undefined,
        files: [file],
        notes,
      };
    },
  };
}

function straceHint(stderr: string): string | undefined {
  if (/Operation not permitted|EPERM/.test(stderr)) {
    return 'ptrace is not permitted here: run as root, or `sysctl kernel.yama.ptrace_scope=0`; in a container add --cap-add SYS_PTRACE.';
  }
  return undefined;
}
