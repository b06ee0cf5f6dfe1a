import { describe, expect, it } from 'vitest';
import { ProfileBuilder, SYSCALL_SAMPLE_TYPES, type Frame } from '../../src/model/profile.js';
import { compactFrameTable, diffFlameTree, flameTrees, FrameTableBuilder, type FlameNode, type FrameTable } from '../../src/render/flame-tree.js';

const proc: Frame = { name: 'server', kind: 'process' };
const main: Frame = { name: 'main', kind: 'user' };
const handle: Frame = { name: 'handle', kind: 'user' };
const entry: Frame = { name: 'entry_SYSCALL_64', kind: 'kernel' };
const sys = (name: string): Frame => ({ name, kind: 'syscall' });

// A syscall profile: calls, errors, time (ns).
function syscallProfile() {
  const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES, 0);
  b.add([proc, main, handle, sys('read')], [900, 300, 12_000_000]);
  b.add([proc, main, handle, entry, sys('write')], [600, 0, 9_000_000]);
  b.add([proc, main, sys('epoll_wait')], [499, 0, 30_000_000]);
  b.add([proc, main, sys('getpid')], [1, 0, 1_000]);
  // Same name on another frame id (another address): merged by name in the tree.
  b.add([proc, { name: 'main', kind: 'user', address: 0x1234 }, sys('epoll_wait')], [0, 2, 0]);
  return b.build();
}

// Readable dump: one line per node, indented, `name[kind] value`.
function dump(node: FlameNode, table: FrameTable, depth = 0): string[] {
  const [name, kind] = table[node.f]!;
  const base = node.b === undefined ? '' : ` (base ${node.b})`;
  return [`${'  '.repeat(depth)}${name}[${kind}] ${node.v}${base}`, ...(node.c ?? []).flatMap((c) => dump(c, table, depth + 1))];
}

describe('flameTrees', () => {
  it('builds one tree per sample type with inclusive values, merged by name and sorted by name', () => {
    const frames = new FrameTableBuilder();
    const trees = flameTrees(syscallProfile(), frames, { minFraction: 0 });
    expect(trees.map((t) => [t.type, t.unit, t.total])).toEqual([
      ['calls', 'count', 2000],
      ['errors', 'count', 302],
      ['time', 'nanoseconds', 51_001_000],
    ]);
    expect(dump(trees[0]!.root, frames.table)).toEqual([
      'all[p] 2000',
      '  server[p] 2000',
      '    main[u] 2000',
      '      epoll_wait[s] 499',
      '      getpid[s] 1',
      '      handle[u] 1500',
      '        entry_SYSCALL_64[k] 600',
      '          write[s] 600',
      '        read[s] 900',
    ]);
    expect(trees[0]!.frames).toBe(8);
    expect(trees[0]!.pruned).toBe(0);
    // Zero-valued stacks are not in a type's tree at all.
    expect(dump(trees[1]!.root, frames.table)).toEqual([
      'all[p] 302',
      '  server[p] 302',
      '    main[u] 302',
      '      epoll_wait[s] 2',
      '      handle[u] 300',
      '        read[s] 300',
    ]);
  });

  it('prunes frames narrower than the threshold, leaving their weight in the parent', () => {
    const frames = new FrameTableBuilder();
    // 1% of 2000 calls = 20: getpid (1) goes; in the time tree getpid (1 µs of 51 ms) goes too.
    const [calls, , time] = flameTrees(syscallProfile(), frames, { minFraction: 0.01 });
    expect(dump(calls!.root, frames.table)).not.toContain('      getpid[s] 1');
    expect(calls!.pruned).toBe(1);
    expect(calls!.frames).toBe(7);
    const mainNode = calls!.root.c![0]!.c![0]!;
    expect(mainNode.v).toBe(2000);
    expect(mainNode.c!.reduce((s, c) => s + c.v, 0)).toBe(1999);
    expect(time!.pruned).toBe(1);
  });

  it('counts a pruned subtree frame by frame', () => {
    const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
    b.add([main, handle, sys('read')], [10_000]);
    b.add([main, { name: 'rare', kind: 'user' }, { name: 'rarer', kind: 'user' }, entry], [1]);
    const frames = new FrameTableBuilder();
    const [tree] = flameTrees(b.build(), frames);
    expect(tree!.pruned).toBe(3);
    expect(tree!.frames).toBe(3);
  });

  it('compacts the frame table to the frames the trees still use', () => {
    const frames = new FrameTableBuilder();
    const trees = flameTrees(syscallProfile(), frames, { minFraction: 0.01 });
    const table = compactFrameTable(frames.table, trees.map((t) => t.root));
    expect(table.map(([name]) => name)).not.toContain('getpid');
    expect(dump(trees[0]!.root, table)[3]).toBe('      epoll_wait[s] 499');
  });
});

describe('diffFlameTree', () => {
  it('takes widths from after, keeps before per node, reads kernel annotations and counts vanished weight', () => {
    const frames = new FrameTableBuilder();
    const tree = diffFlameTree(
      [
        { stack: 'dd;read;vfs_read_[k]', before: 10, after: 30 },
        { stack: 'dd;write', before: 20, after: 5 },
        { stack: 'dd;gone', before: 4, after: 0 },
        { stack: 'dd;fresh', before: 0, after: 1.23456 },
      ],
      frames,
      'count',
      { minFraction: 0 },
    );
    expect(dump(tree.root, frames.table)).toEqual([
      'all[p] 36.235 (base 34)',
      '  dd[u] 36.235 (base 34)',
      '    fresh[u] 1.235 (base 0)',
      '    read[u] 30 (base 10)',
      '      vfs_read[k] 30 (base 10)',
      '    write[u] 5 (base 20)',
    ]);
    expect(tree.total).toBeCloseTo(36.23456);
    expect(tree.baseTotal).toBe(34);
    expect(tree.vanished).toBe(4);
    expect(tree.pruned).toBe(0);
  });
});
