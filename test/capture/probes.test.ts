// Environment probes run the real tools; what they say must match what the tools do here.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeCpuSampling, probeEnvironment, probeStrace, tracefsProblem, TRACEFS_EVENTS } from '../../src/capture/probes.js';
import { isRoot, toolAvailable } from '../helpers.js';

// Under CI a missing tool fails here, at collection; elsewhere its test is skipped with a SKIP line.
const haveStrace = toolAvailable('strace', ['-V']);
const havePerf = toolAvailable('perf', ['stat', '-e', 'cpu-clock', 'true']);

describe('probes', () => {
  it('probeEnvironment reads root, tracefs and perf_event_paranoid', async () => {
    const env = await probeEnvironment();
    expect(env.root).toBe(isRoot);
    expect(env.tracefs).toBe(existsSync(TRACEFS_EVENTS));
    expect(Number.isInteger(env.perfParanoid)).toBe(true);
  });

  it('probeEnvironment knows where tracefs is mounted, from /proc/mounts', async () => {
    const env = await probeEnvironment();
    const mounted = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[2] === 'tracefs')
      .map((f) => f[1]);
    if (mounted.length === 0) expect(env.tracefsMount).toBeUndefined();
    else expect(mounted).toContain(env.tracefsMount);
  });

  it('tracefsProblem: not mounted -> mount it; mounted but unreadable -> run as root, not mount again', () => {
    expect(tracefsProblem({ root: false, tracefs: false })).toEqual({
      detail: `tracefs is not mounted (${TRACEFS_EVENTS} missing)`,
      fix: 'mount -t tracefs nodev /sys/kernel/tracing',
    });
    expect(tracefsProblem({ root: false, tracefs: false, tracefsMount: '/sys/kernel/tracing' })).toEqual({
      detail: 'tracefs is mounted at /sys/kernel/tracing but not readable by this user',
      fix: 'sudo env "PATH=$PATH" npx netprobe ...   # run as root (sudo resets PATH)',
    });
  });

  it.skipIf(!haveStrace)('probeStrace works exactly when strace -c true does', async () => {
    const probe = await probeStrace();
    expect(probe).toMatchObject({ name: 'strace', ok: true, detail: 'ptrace works (strace -c true)' });
    expect(probe.version).toMatch(/^\d+\.\d+/);
  });

  it.skipIf(!havePerf)('probeCpuSampling picks cycles only when the hardware counts them', async () => {
    const probe = await probeCpuSampling();
    expect(probe.ok).toBe(true);
    expect(['cycles', 'cpu-clock']).toContain(probe.event);
  });
});
