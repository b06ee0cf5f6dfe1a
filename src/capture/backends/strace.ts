// strace backend: ptrace every thread of the target (and what it forks); highest overhead, works anywhere.
//
// Default: `strace -f -c -w -o raw/strace-summary.txt -p PID` — the `-c` table with wall time per syscall
// (`-w`: entry to exit, like the other backends; without it strace counts system CPU time). That table has
// error counts but no errno names, so `--strace-log` (and `--syscall-stacks`, which adds `-k`) keep the
// full log instead: `strace -f -tt -T -yy [-k] -o raw/strace.log -p PID`, parsed for errnos and `-T` times.
// strace's `-C` would write both, but appends the table to the same log file.
import { join } from 'node:path';
import { NetprobeError } from '../../model/errors.js';
import { straceLogParser } from '../../parse/strace-log.js';
import { straceSummaryParser } from '../../parse/strace-summary.js';
import { parseFile } from '../parse-file.js';
import { ManagedProcess, waitForTracer } from '../target.js';
import type { AttachOptions, Tracer, TracerOutput } from '../types.js';

export async function attachStrace(options: AttachOptions): Promise<Tracer> {
  const logMode = options.straceLog || options.syscallStacks;
  const file = logMode ? 'raw/strace.log' : 'raw/strace-summary.txt';
  const modeArgs = logMode ? ['-tt', '-T', '-yy', ...(options.syscallStacks ? ['-k'] : [])] : ['-c', '-w'];
  const args = ['-f', ...modeArgs, '-o', join(options.runDir, file), '-p', String(options.pid)];

  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  // strace reports `Process N attached` (`... with M threads`) once every thread of N is seized.
  const attachedLine = new RegExp(`^strace: Process ${options.pid} attached`);
  const proc = new ManagedProcess('strace', args, {
    label: 'strace',
    onStderrLine: (line) => attachedLine.test(line) && markReady(),
  });
  await waitForTracer(proc, ready, straceHint);

  return {
    async stop() {
      // SIGINT makes strace detach from every tracee (they keep running) and write its table.
      await proc.stop({ graceMs: 10_000 });
    },
    async collect(): Promise<TracerOutput> {
      const parsed = await parseFile(logMode ? straceLogParser : straceSummaryParser, join(options.runDir, file), file);
      if (!parsed.syscalls) throw new NetprobeError('input', `${file}: no syscall table in strace's output`);
      return {
        syscalls: parsed.syscalls,
        profile: options.syscallStacks ? parsed.profile : undefined,
        files: [file],
        warnings: parsed.warnings,
        notes: logMode ? [] : ['errno names need the full log: add --strace-log'],
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
