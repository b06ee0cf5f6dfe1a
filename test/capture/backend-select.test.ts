// --backend auto: lowest overhead that works, with the reason; a clear error with fixes when none does.
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/capture/backend-select.js';
import type { ProbeResult } from '../../src/capture/probes.js';

const ok = (name: ProbeResult['name']): ProbeResult => ({ name, ok: true, detail: 'works' });
const broken = (name: ProbeResult['name'], detail: string, fix: string): ProbeResult => ({ name, ok: false, detail, fix });

describe('chooseBackend', () => {
  it('prefers bpftrace, then perf, then strace', () => {
    expect(chooseBackend([ok('bpftrace'), ok('perf'), ok('strace')])).toEqual({ backend: 'bpftrace', reason: 'auto: bpftrace (in-kernel counting, lowest overhead)' });
    expect(chooseBackend([broken('bpftrace', 'bpftrace needs root', 'sudo'), ok('perf'), ok('strace')])).toEqual({
      backend: 'perf',
      reason: 'auto: perf (syscall tracepoints recorded by perf; bpftrace: bpftrace needs root)',
    });
  });

  it('skips perf when syscall stacks are wanted', () => {
    const choice = chooseBackend([broken('bpftrace', 'bpftrace is not installed', 'apt-get install bpftrace'), ok('perf'), ok('strace')], { needsStacks: true });
    expect(choice.backend).toBe('strace');
  });

  it('fails with every fix when nothing works', () => {
    expect(() =>
      chooseBackend([
        broken('bpftrace', 'bpftrace is not installed', 'apt-get install bpftrace'),
        broken('perf', 'perf is not installed', 'apt-get install linux-perf'),
        broken('strace', 'strace is not installed', 'apt-get install strace'),
      ]),
    ).toThrow(/no tracing backend works here/);
    expect(() => chooseBackend([broken('strace', 'x', 'apt-get install strace')])).toThrow(
      expect.objectContaining({ code: 'environment', hint: 'strace: apt-get install strace' }),
    );
  });
});
