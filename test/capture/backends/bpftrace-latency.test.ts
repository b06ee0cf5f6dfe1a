// The latency backend: what it hands back after timing a real program (fixtures/ground-truth/sleeps.c) from its
// first instruction to its exit, and that its output reads back in the format it names.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachBpftraceLatency } from '../../../src/capture/backends/bpftrace-latency.js';
import { bpftraceLatencyScript } from '../../../src/capture/bpftrace-latency-script.js';
import { buildC } from '../../e2e/trace-support.js';
import { isRoot, toolAvailable } from '../../helpers.js';
import { parsedOutput, traceHeld } from './support.js';

if (!isRoot) console.warn('SKIP: attachBpftraceLatency on real processes needs root');
const ready = isRoot && toolAvailable('bpftrace', ['-e', 'BEGIN { exit(); }']) && toolAvailable('gcc');

describe.skipIf(!ready)('attachBpftraceLatency on real processes (root)', () => {
  let dir = '';
  let program = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-latency-backend-'));
    program = buildC('ground-truth/sleeps.c', dir, 'sleeps');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('histograms in bpftrace-latency format, its script kept beside them, exact counts, nothing lost', async () => {
    const runDir = join(dir, 'latency');
    const { pid, output, cmdlines } = await traceHeld(attachBpftraceLatency, [program], runDir);
    expect(output).toEqual({
      role: 'latency',
      output: { file: 'raw/latency-bpftrace.txt', format: 'bpftrace-latency' },
      stacks: false,
      files: ['raw/latency.bt', 'raw/latency-bpftrace.txt'],
      notes: [],
      lost: 0,
    });
    const scriptPath = join(runDir, 'raw', 'latency.bt');
    expect(cmdlines).toEqual([`bpftrace ${scriptPath}`]);
    expect(readFileSync(scriptPath, 'utf8')).toBe(bpftraceLatencyScript({ pid, followChildren: true }));
    const parsed = await parsedOutput(runDir, output);
    expect(parsed.format).toBe('bpftrace-latency');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.latency!.clock_nanosleep!.calls).toBe(500);
    expect(parsed.latency!.getppid!.calls).toBe(1000);
  }, 60_000);
});
