// What the traced processes had mapped, read from /proc while they run, so that their user stacks can be named
// after they exit: bpftrace resolves ustack addresses only when it prints its maps, from /proc/<pid>/maps, and
// a whole-run target (`trace -- ./prog`) is gone by then (bpftrace issue #246, fixtures/bpftrace/README.md).
// run/symbolize.ts turns an address into a function from these mappings and the ELF files they name.
//
// /proc/<pid>/maps, one line per mapping (proc(5)); only executable, file-backed ones can hold code to name:
//   55d5c1a4d000-55d5c1a4e000 r-xp 00001000 fe:00 260131   /tmp/waits
//   -> { start: 0x55d5c1a4d000, end: 0x55d5c1a4e000, offset: 0x1000, inode: 260131, path: '/tmp/waits' }
// Threads share their process's mappings; their ids (/proc/<pid>/task) tell which process a stack's thread was in.
//
// When: at once, then every millisecond while the mappings are settling (a held target execs and its dynamic
// loader maps the libraries within the first milliseconds, and a short program may be gone 10 ms later), then
// every 200 ms once they have not changed for 100 ms. A read is a few small /proc files per process.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** One executable, file-backed mapping: [start, end) holds the file's bytes from `offset` on. */
export interface ExecutableMapping {
  start: number;
  end: number;
  offset: number;
  /** The file's inode when mapped, to tell a file replaced since (a rebuilt binary) from the one that ran. */
  inode: number;
  path: string;
}

/** What one traced process had mapped. */
export interface ProcessMappings {
  pid: number;
  /** Thread ids seen in the process (the main thread's id is the pid). */
  threads: number[];
  /**
   * The latest snapshot's executable mappings first, then those seen earlier and unmapped since (a library
   * dlclose'd before the end still names its addresses). Reset when the process execs another program.
   */
  mappings: ExecutableMapping[];
}

export interface MappingRecorder {
  /** Reads once more, stops reading and returns what every process had mapped (processes never read are left out). */
  stop(): Promise<ProcessMappings[]>;
}

const SETTLING_INTERVAL_MS = 1;
const STEADY_INTERVAL_MS = 200;
/** Mappings unchanged for this long have settled: read every STEADY_INTERVAL_MS from then on. */
const SETTLED_AFTER_MS = 100;

// `start-end perms offset dev inode path`; the path may contain spaces, and ends in ` (deleted)` when unlinked.
const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ (\d+)\s+(\/.*)$/;

/** The executable, file-backed mappings of a /proc/<pid>/maps text. Deleted files cannot be read later and are left out. */
export function executableMappings(maps: string): ExecutableMapping[] {
  const out: ExecutableMapping[] = [];
  for (const line of maps.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m || m[3]![2] !== 'x' || m[6]!.endsWith(' (deleted)')) continue;
    out.push({ start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[2]!, 16), offset: Number.parseInt(m[4]!, 16), inode: Number(m[5]), path: m[6]! });
  }
  return out;
}

/** Starts reading the mappings of `pids` (the target first, then its known descendants) until stop(). */
export function recordMappings(pids: readonly number[]): MappingRecorder {
  const seen = new Map<number, { exe: string; threads: Set<number>; mappings: ExecutableMapping[] }>();
  let changedAt = Date.now();

  const readAll = async (): Promise<void> => {
    await Promise.all(
      pids.map(async (pid) => {
        const [maps, exe, tasks] = await Promise.all([
          readFile(`/proc/${pid}/maps`, 'utf8').catch(() => undefined),
          readlink(`/proc/${pid}/exe`).catch(() => ''),
          readdir(`/proc/${pid}/task`).catch(() => [] as string[]),
        ]);
        // Gone (or a zombie, whose maps are empty): keep what was read while it ran.
        if (maps === undefined || maps === '') return;
        const latest = executableMappings(maps);
        const before = seen.get(pid);
        const kept = before && before.exe === exe ? before : undefined;
        const older = (kept?.mappings ?? []).filter((m) => !latest.some((l) => sameMapping(l, m)));
        const mappings = [...latest, ...older];
        if (!kept || mappings.length !== kept.mappings.length || mappings.some((m, i) => !sameMapping(m, kept.mappings[i]!))) changedAt = Date.now();
        const threads = kept?.threads ?? new Set<number>();
        for (const t of tasks) threads.add(Number(t));
        seen.set(pid, { exe, threads, mappings });
      }),
    );
  };

  let stopped = false;
  const wake = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      await readAll();
      const settling = Date.now() - changedAt < SETTLED_AFTER_MS;
      await sleep(settling ? SETTLING_INTERVAL_MS : STEADY_INTERVAL_MS, undefined, { signal: wake.signal }).catch(() => {});
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake.abort();
      await loop;
      await readAll();
      return [...seen].map(([pid, s]) => ({ pid, threads: [...s.threads].sort((a, b) => a - b), mappings: s.mappings }));
    },
  };
}

function sameMapping(a: ExecutableMapping, b: ExecutableMapping): boolean {
  return a.start === b.start && a.end === b.end && a.offset === b.offset && a.inode === b.inode && a.path === b.path;
}
