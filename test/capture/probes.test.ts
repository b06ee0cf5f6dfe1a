// Environment probes run the real tools; what they say must match what the tools do here.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeCpuSampling, probeEnvironment, probeStrace, TRACEFS_EVENTS } from '../../src/capture/probes.js';
import { isRoot, toolAvailable } from '../helpers.js';

describe('probes', () => {
  it('probeEnvironment reads root, tracefs and perf_event_paranoid', async () => {
    const env = await probeEnvironment();
    expect(env.root).toBe(isRoot);
    expect(env.tracefs).toBe(existsSync(TRACEFS_EVENTS));
    expect(Number.isInteger(env.perfParanoid)).toBe(true);
  });

  it('probeStrace works exactly when strace -c true does', async () => {
    if (!toolAvailable('strace', ['-V'])) return;
    const probe = await probeStrace();
    expect(probe).toMatchObject({ name: 'strace', ok: true, detail: 'ptrace works (strace -c true)' });
    expect(probe.version).toMatch(/^\d+\.\d+/);
  });

  it('probeCpuSampling picks cycles only when the hardware counts them', async () => {
    if (!toolAvailable('perf', ['stat', '-e', 'cpu-clock', 'true'])) return;
    const probe = await probeCpuSampling();
    expect(probe.ok).toBe(true);
    expect(['cycles', 'cpu-clock']).toContain(probe.event);
  });
});
