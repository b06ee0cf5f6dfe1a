// netprobe's off-CPU bpftrace output -> a profile of blocked time per (user stack, kernel stack, thread).
import { describe, expect, it } from 'vitest';
import { stackList } from '../../src/model/profile.js';
import { bpftraceOffcpuParser } from '../../src/parse/bpftrace-offcpu.js';
import { detectTextFormat } from '../../src/parse/detect.js';
import { summariseOffcpu } from '../../src/report/offcpu.js';
import { readInput } from '../../src/run/input.js';
import { fixture, parseFixtureFile } from '../helpers.js';

describe('bpftraceOffcpuParser', () => {
  it('reads the Go server capture: stacks root first, user above kernel, events and nanoseconds per thread', async () => {
    const { result, head } = await parseFixtureFile(bpftraceOffcpuParser, fixture('bpftrace', 'offcpu-go-nethttp.txt'));
    expect(detectTextFormat(head)?.format).toBe('bpftrace-offcpu');
    const p = result.profile!;
    expect(p.sampleTypes).toEqual([
      { type: 'events', unit: 'count' },
      { type: 'offcpu', unit: 'nanoseconds' },
    ]);
    expect(p.sampleTypes[p.defaultSampleType]!.type).toBe('offcpu');
    for (const s of stackList(p)) {
      expect(typeof s.labels?.thread).toBe('number');
      expect(s.values[0]).toBeGreaterThan(0);
      const kinds = s.frames.map((id) => p.frames[id]!.kind);
      // Root first: user frames, then the kernel's path down to __schedule at the leaf.
      const firstKernel = kinds.indexOf('kernel');
      expect(firstKernel).toBeGreaterThanOrEqual(0);
      expect(kinds.slice(firstKernel).every((k) => k === 'kernel')).toBe(true);
      expect(p.frames[s.frames[s.frames.length - 1]!]!.name).toMatch(/schedule/);
    }
    const summary = summariseOffcpu(p, 1000);
    expect(summary.go).not.toBeNull();
    expect(summary.go!['idle workers']).toBeGreaterThan(0);
    expect(summary.go!.netpoller).toBeGreaterThan(0);
    expect(summary.byKind.futex).toBeGreaterThan(summary.byKind.other);
  });

  it('reads an exited program: unsymbolised user frames become [unknown], kernel stacks still name the syscall', async () => {
    const { result } = await parseFixtureFile(bpftraceOffcpuParser, fixture('bpftrace', 'offcpu-waits-exited.txt'));
    const summary = summariseOffcpu(result.profile!, undefined);
    expect(summary.byKind.sleep).toBeGreaterThan(1.9);
    expect(summary.byKind['blocking read/recv/accept']).toBeGreaterThan(0.95);
    expect(summary.byKind.futex).toBeGreaterThan(0.45);
    expect(summary.go).toBeNull();
    expect(summary.secondsPerRequest).toBeNull();
  });

  it('is detected through the user path (the one input reader), with no parser named', async () => {
    const loaded = await readInput(fixture('bpftrace', 'offcpu-go-nethttp.txt'));
    expect(loaded.format).toBe('bpftrace-offcpu');
    expect(loaded.profile?.stacks.count).toBeGreaterThan(10);
  });

  it('refuses an entry cut short, naming the file and line', async () => {
    const lines = (async function* () {
      yield '@offns[';
      yield '\t4667e0 runtime.epollwait.abi0+32 (/srv/app)';
    })();
    await expect(bpftraceOffcpuParser.parse(lines, { file: 'cut.txt', options: {}, warn: () => {} })).rejects.toThrow(/^cut\.txt:2: /);
  });

  it('an idle target (ready line, no maps) is an empty profile, not an error', async () => {
    const lines = (async function* () {
      yield 'Attaching 5 probes...';
      yield 'netprobe: probes attached; @inflight lists calls in flight at the end';
      yield '';
    })();
    const r = await bpftraceOffcpuParser.parse(lines, { file: 'idle.txt', options: {}, warn: () => {} });
    expect(r.profile?.stacks.count).toBe(0);
  });
});
