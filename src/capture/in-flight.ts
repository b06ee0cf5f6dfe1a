// The calls the target's threads are inside when a capture ends, read from /proc/<pid>/task/<tid>/syscall (the
// kernel's own record of a blocked thread's syscall number: `<nr> <args...> <sp> <pc>`, `-1 <sp> <pc>` when it is
// blocked outside a syscall, `running` when on a CPU). The counting bpftrace program counts calls when they return,
// so a call still blocked at the end (an idle reactor's epoll_wait, a worker's futex) is only known from here.
// Written after the program's maps as lines its parser reads (parse/bpftrace.ts):
//   netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall
//   @inflight[<tid>]: <nr>                     one per thread blocked in a syscall
//   netprobe: calls in flight at the end unknown: <why>    instead, when a thread's file could not be read
// Reading the file needs ptrace access to the thread (root has it); a thread or process gone meanwhile has
// nothing in flight. Read before the attach too: the calls already blocked then were made before the capture.
import { readdir, readFile } from 'node:fs/promises';
import { IN_FLIGHT_HEADER, IN_FLIGHT_UNKNOWN } from '../parse/bpftrace-markers.js';
import { processState } from './target.js';

/** The lines saying which calls the threads of `pids` are inside now. */
export async function inFlightLines(pids: readonly number[]): Promise<string[]> {
  const { blocked, unreadable } = await blockedThreads(pids);
  if (unreadable.length > 0) return [`${IN_FLIGHT_UNKNOWN} ${unreadable[0]}${unreadable.length > 1 ? ` (and ${unreadable.length - 1} more)` : ''}`];
  return [IN_FLIGHT_HEADER, ...blocked.map(([tid, nr]) => `@inflight[${tid}]: ${nr}`)];
}

/** The threads of `pids` inside a syscall now, as [tid, nr], and the files that could not be read. */
export async function blockedThreads(pids: readonly number[]): Promise<{ blocked: [number, number][]; unreadable: string[] }> {
  const blocked: [number, number][] = [];
  const unreadable: string[] = [];
  for (const pid of pids) {
    const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    for (const tid of tids.filter((t) => /^\d+$/.test(t)).sort((a, b) => Number(a) - Number(b))) {
      const file = `/proc/${pid}/task/${tid}/syscall`;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ESRCH') unreadable.push(`${file}: ${code ?? String(err)}`);
        continue;
      }
      const nr = Number(text.trim().split(' ')[0]);
      if (!Number.isInteger(nr) || nr < 0) continue;
      // A stopped thread (a target held before exec, just after its kill -STOP) is not waiting in a call.
      const state = await processState(pid, Number(tid));
      if (state === 'T' || state === 't') continue;
      blocked.push([Number(tid), nr]);
    }
  }
  return { blocked, unreadable };
}
