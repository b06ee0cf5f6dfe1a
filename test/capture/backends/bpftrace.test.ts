// The bpftrace backend: the script, argv and environment it runs bpftrace with, and what it hands back after
// counting a real program (fixtures/ground-truth/syscalls.c) in the kernel: exact counts with errno names.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachBpftrace, bpftraceCommand } from '../../../src/capture/backends/bpftrace.js';
import { bpftraceSyscallScript } from '../../../src/capture/bpftrace-script.js';
import { stackList } from '../../../src/model/profile.js';
import { isRoot, toolAvailable } from '../../helpers.js';
import { buildC } from '../../e2e/trace-support.js';
import { groundTruthCounts, groundTruthRows, parsedOutput, traceHeld } from './support.js';

describe('bpftraceCommand', () => {
  it('runs the script file it names, with room for 65,536 map keys', () => {
    const cmd = bpftraceCommand({ pid: 100, pids: [100], syscallStacks: false }, '/runs/r1/raw/netprobe.bt');
    expect(cmd.args).toEqual(['/runs/r1/raw/netprobe.bt']);
    expect(cmd.env).toEqual({ BPFTRACE_MAP_KEYS_MAX: '65536' });
  });

  it('the script follows the target\'s forks and seeds the processes listed after it (pre-forked workers)', () => {
    const { script } = bpftraceCommand({ pid: 100, pids: [100, 101, 102], syscallStacks: false }, '/s.bt');
    expect(script).toBe(bpftraceSyscallScript({ pid: 100, followChildren: true, descendants: [101, 102], stacks: false }));
    expect(script).toContain('@track[100] = 1; @track[101] = 1; @track[102] = 1;');
  });

  it('user stacks only with --syscall-stacks', () => {
    expect(bpftraceCommand({ pid: 7, pids: [7], syscallStacks: true }, '/s.bt').script).toContain('ustack(perf)');
    expect(bpftraceCommand({ pid: 7, pids: [7], syscallStacks: false }, '/s.bt').script).not.toContain('ustack');
  });
});

// Under CI a missing bpftrace or gcc fails here, at collection; elsewhere these tests are skipped with a SKIP line.
if (!isRoot) console.warn('SKIP: attachBpftrace on real processes needs root');
const ready = isRoot && toolAvailable('bpftrace', ['-e', 'BEGIN { exit(); }']) && toolAvailable('gcc');

describe.skipIf(!ready)('attachBpftrace on real processes (root)', () => {
  let dir = '';
  let program = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-bpftrace-backend-'));
    program = buildC('ground-truth/syscalls.c', dir, 'syscalls');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts in bpftrace format, its script kept beside the output, exact counts with errno names, nothing lost', async () => {
    const runDir = join(dir, 'counts');
    const { pid, output, cmdlines } = await traceHeld(attachBpftrace, [program], runDir);
    expect(output).toEqual({
      lost: 0,
      role: 'syscalls',
      output: { file: 'raw/bpftrace.txt', format: 'bpftrace' },
      stacks: false,
      files: ['raw/netprobe.bt', 'raw/bpftrace.txt'],
      notes: [],
    });
    const scriptPath = join(runDir, 'raw', 'netprobe.bt');
    expect(cmdlines).toEqual([`bpftrace ${scriptPath}`]);
    expect(readFileSync(scriptPath, 'utf8')).toBe(bpftraceCommand({ pid, pids: [pid], syscallStacks: false }, scriptPath).script);
    const parsed = await parsedOutput(runDir, output);
    expect(groundTruthRows(parsed, true)).toEqual(groundTruthCounts(true));
    // The main thread and its 3 workers made syscalls.
    expect(parsed.syscalls!.threads).toBe(4);
    // The calls in flight follow the maps once (stop() was called twice), nothing left of the exited target.
    const raw = readFileSync(join(runDir, 'raw', 'bpftrace.txt'), 'utf8');
    expect(raw.split('\n').filter((l) => l.startsWith('netprobe: calls in flight at the end'))).toHaveLength(1);
    expect(parsed.syscalls!.inFlight).toEqual({});
  }, 60_000);

  it('--syscall-stacks: the stack maps are kept as a profile', async () => {
    const runDir = join(dir, 'stacks');
    const { output } = await traceHeld(attachBpftrace, [program], runDir, { syscallStacks: true });
    expect(output).toMatchObject({ role: 'syscalls', output: { file: 'raw/bpftrace.txt', format: 'bpftrace' }, stacks: true, notes: [] });
    expect(readFileSync(join(runDir, 'raw', 'netprobe.bt'), 'utf8')).toContain('ustack(perf)');
    const profile = (await parsedOutput(runDir, output)).profile!;
    const getppid = stackList(profile).filter((s) => profile.frames[s.frames.at(-1)!]!.name === 'getppid');
    expect(getppid.reduce((n, s) => n + s.values[0]!, 0)).toBe(1000);
  }, 60_000);
});
