// The lifecycle module: spawn from argv in a process group, held start, stderr tail, stop escalation, reaping.
import { describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ManagedProcess, processState, processTree, secondsSinceBoot, startedSinceBoot, startTarget, targetFailed } from '../../src/capture/target.js';
import { processesMentioning } from '../e2e/trace-support.js';

const marker = () => `netprobe-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

describe('ManagedProcess', () => {
  it('passes argv untouched (no shell) and keeps the last stderr lines', async () => {
    const proc = new ManagedProcess('sh', ['-c', 'for i in 1 2 3 4 5; do echo "line $i" >&2; done; echo "$1" >&2; exit 3', 'sh', '$(touch /tmp/x); `id`'], { tailLines: 3 });
    expect(await proc.exited).toEqual({ exitCode: 3, signal: null });
    expect(proc.stderrTail()).toEqual(['line 4', 'line 5', '$(touch /tmp/x); `id`']);
  });

  it('stop(): SIGINT is enough for a well-behaved process', async () => {
    const proc = new ManagedProcess('sleep', ['30']);
    expect(await proc.stop({ graceMs: 2000 })).toEqual({ exitCode: null, signal: 'SIGINT' });
  });

  it('stop(): runs afterFirstSignal after the first signal, and still stops the process when it throws', async () => {
    const proc = new ManagedProcess('sleep', ['30']);
    const order: string[] = [];
    const stopping = proc.stop({
      graceMs: 2000,
      afterFirstSignal: () => {
        order.push(proc.hasExited ? 'after exit' : 'before exit');
        return Promise.reject(new Error('reading /proc failed'));
      },
    });
    await expect(stopping).rejects.toThrow('reading /proc failed');
    expect(order).toEqual(['before exit']);
    expect(proc.exitStatus).toEqual({ exitCode: null, signal: 'SIGINT' });
  });

  it('stop(): escalates to SIGTERM and SIGKILL, and kills children left in the group', async () => {
    const tag = marker();
    // The shell ignores INT and TERM (and so does its background child, which inherits that): only KILL works.
    const proc = new ManagedProcess('sh', ['-c', 'trap "" INT TERM; sh -c "sleep 300; :" "$0-child" & sleep 300; wait', tag]);
    await waitFor(() => processesMentioning(tag).length >= 2);
    const exit = await proc.stop({ graceMs: 200 });
    expect(exit.signal).toBe('SIGKILL');
    await waitFor(() => processesMentioning(tag).length === 0);
    expect(processesMentioning(tag)).toEqual([]);
  });

  it('stop() returns once the process exits, even when a descendant that left the group holds its stderr', async () => {
    // A unique argument: the only way to find the setsid'd sleep afterwards, since it is in no group of ours.
    const seconds = `31.${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const proc = new ManagedProcess('sh', ['-c', `setsid sleep ${seconds} & sleep 100`]);
    try {
      await waitFor(() => pidsWithArgv(['sleep', seconds]).length > 0);
      expect(pidsWithArgv(['sleep', seconds])).toHaveLength(1);
      const exit = await proc.stop({ graceMs: 200 });
      expect(exit.signal).not.toBeNull();
      expect(proc.hasExited).toBe(true);
    } finally {
      for (const pid of pidsWithArgv(['sleep', seconds])) process.kill(pid, 'SIGKILL');
    }
  }, 15_000);

  it('a missing program is an environment error with the install hint left to the caller', async () => {
    const proc = new ManagedProcess('netprobe-no-such-tool', [], { label: 'strace' });
    await expect(proc.exited).rejects.toThrow(/cannot start strace: netprobe-no-such-tool not found/);
  });
});

describe('startTarget', () => {
  it('held: waits stopped before exec until resume(), then runs the command with its argv', async () => {
    const target = await startTarget(['sh', '-c', 'echo "started $1" >&2', 'sh', 'a b']);
    expect(await target.process.exited).toEqual({ exitCode: 0, signal: null });
    expect(target.process.stderrTail()).toEqual(['started a b']);

    const held = await startTarget(['sh', '-c', 'echo "ran $1" >&2', 'sh', 'x'], { held: true });
    expect(await processState(held.process.pid)).toBe('T');
    expect(held.process.hasExited).toBe(false);
    held.resume();
    expect(await held.process.exited).toEqual({ exitCode: 0, signal: null });
    expect(held.process.stderrTail()).toEqual(['ran x']);
  });

  it('a held target that is never resumed still stops', async () => {
    const held = await startTarget(['sleep', '30'], { held: true });
    const exit = await held.process.stop({ graceMs: 500 });
    expect(exit.signal).not.toBeNull();
  });

  it('a command that does not exist fails before anything starts', async () => {
    await expect(startTarget(['/nonexistent/netprobe-server'])).rejects.toThrow(/cannot start \/nonexistent\/netprobe-server: command not found/);
    const err = await startTarget(['netprobe-no-such-command']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).code).toBe('environment');
  });

  it('targetFailed() quotes the last stderr lines', async () => {
    const target = await startTarget(['sh', '-c', 'echo "bind: address already in use" >&2; exit 1']);
    const exit = await target.process.exited;
    const err = targetFailed(target.process, 'before listening on port 8080', exit);
    expect(err.message).toBe('sh exited with code 1 before listening on port 8080\n  | bind: address already in use');
    expect(err.code).toBe('environment');
  });
});

describe('processTree', () => {
  it('lists the process, then its children and grandchildren (threads are not processes)', async () => {
    const tag = marker();
    // sh -> (sleep, sh -> sleep): two levels of descendants.
    const proc = new ManagedProcess('sh', ['-c', 'sleep 300 & sh -c "sleep 300; :" & wait', tag]);
    try {
      let tree = await processTree(proc.pid);
      for (let i = 0; i < 250 && tree.length < 4; i++) {
        await new Promise((r) => setTimeout(r, 20));
        tree = await processTree(proc.pid);
      }
      expect(tree[0]).toBe(proc.pid);
      expect(tree).toHaveLength(4);
      const names = await Promise.all(tree.map(async (pid) => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim()));
      expect(names.sort()).toEqual(['sh', 'sh', 'sleep', 'sleep']);
      expect(await processTree(process.pid)).not.toContain(1);
    } finally {
      await proc.stop({ graceMs: 200 });
    }
  });

  it('startedSinceBoot() and secondsSinceBoot() share one clock', async () => {
    const proc = new ManagedProcess('sleep', ['30']);
    try {
      const started = await startedSinceBoot(proc.pid);
      const now = await secondsSinceBoot();
      expect(started).toBeGreaterThan(0);
      expect(started).toBeLessThanOrEqual(now);
      expect(await startedSinceBoot(999_999_999)).toBeUndefined();
    } finally {
      await proc.stop({ graceMs: 200 });
    }
  });
});

/** Pids whose command line is exactly `argv`, read from /proc. */
function pidsWithArgv(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
