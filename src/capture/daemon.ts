// A target that forks into the background and exits (nginx's `daemon on`, `redis-server --daemonize yes`,
// anything that double-forks and calls setsid) leaves its server running outside the process group netprobe
// stops. The port tells: the process that listens on it now, started after the target, is the daemon.
//   /proc/net/tcp:  "  1: 0100007F:1F90 00000000:0000 0A ... 0 12345 ..."  (local 127.0.0.1:8080, state 0A =
//   LISTEN, inode 12345) -> /proc/<pid>/fd/* -> "socket:[12345]" -> pid.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive, processTree, startedSinceBoot } from './target.js';

const LISTEN = '0A';

/** Socket inodes listening on `port` (any local address, IPv4 or IPv6). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === LISTEN) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** Processes holding a socket that listens on `port`. */
export async function portListeners(port: number): Promise<number[]> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/**
 * The processes serving `port` that started at or after `sinceBoot` (seconds since boot, the target's start):
 * what a daemonizing target left behind. Processes that were there before are someone else's.
 */
export async function daemonsOf(port: number, sinceBoot: number): Promise<number[]> {
  const listeners = await portListeners(port);
  const started = await Promise.all(listeners.map(async (pid) => ({ pid, at: await startedSinceBoot(pid) })));
  return started.filter(({ at }) => at !== undefined && at >= sinceBoot - 0.01).map(({ pid }) => pid);
}

/** Stops the daemons and everything they forked: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopDaemons(pids: readonly number[], graceMs = 3000): Promise<void> {
  const all = [...new Set((await Promise.all(pids.map((p) => processTree(p)))).flat())];
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of all) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await Promise.all(all.map(processAlive))).some(Boolean)) return;
    await sleep(50);
  }
  signal('SIGKILL');
}
