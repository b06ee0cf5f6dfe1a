// Properties of what every parser feeds and every command reads: the profile builder merges like a plain map of
// stacks, the flame tree equals the naive tree (merge every path, then prune), and pprof export decodes back to
// the same stacks. Random profiles, fixed seed (see harness.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toPprof } from '../../src/export/pprof.js';
import { ProfileBuilder, stackList, type Frame, type FrameKind, type LabelValue, type Profile } from '../../src/model/profile.js';
import { parsePprof } from '../../src/parse/pprof.js';
import { diffFlameTree, flameTrees, FrameTableBuilder, kindCode, MAX_DEPTH, ROOT_NAME, type FlameNode, type FrameTable } from '../../src/render/flame-tree.js';
import { params } from './harness.js';

const kinds: (FrameKind | undefined)[] = [undefined, 'user', 'kernel', 'syscall', 'jit', 'process'];
// Few names, so stacks, frames and siblings collide often; names differing in kind or address only, too.
const frameArb: fc.Arbitrary<Frame> = fc
  .record(
    {
      name: fc.constantFrom('main', 'read', 'write', 'handle', 'x;y', 'ünï', '</script>', ''),
      kind: fc.constantFrom(...kinds),
      module: fc.constantFrom(undefined, '/bin/srv', '[kernel.kallsyms]'),
      inlined: fc.boolean(),
      address: fc.constantFrom(undefined, 0x401000, 0xffffffff81000130),
      file: fc.constantFrom(undefined, 'a.c'),
      line: fc.constantFrom(undefined, 7),
    },
    { requiredKeys: ['name'] },
  )
  .map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as unknown as Frame);
const labelsArb = fc.option(fc.dictionary(fc.constantFrom('tid', 'comm', 'bytes'), fc.oneof(fc.integer({ min: 1, max: 99 }), fc.constantFrom('a', 'b'))), { nil: undefined });
const sampleArb = (types: number) =>
  fc.record({
    frames: fc.array(frameArb, { maxLength: 6 }),
    values: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: types, maxLength: types }),
    labels: labelsArb,
  });
const profileArb = fc.integer({ min: 1, max: 3 }).chain((types) => fc.array(sampleArb(types), { maxLength: 25 }).map((samples) => ({ types, samples })));

function buildProfile({ types, samples }: { types: number; samples: { frames: Frame[]; values: number[]; labels?: Record<string, LabelValue> }[] }): Profile {
  const b = new ProfileBuilder(Array.from({ length: types }, (_, i) => ({ type: `t${i}`, unit: 'count' })));
  for (const s of samples) b.add(s.frames, s.values, s.labels);
  return b.build();
}

const frameText = (f: Frame) => JSON.stringify([f.name, f.module ?? '', f.kind ?? '', !!f.inlined, f.address ?? '', f.file ?? '', f.line ?? '']);
const labelText = (labels?: Readonly<Record<string, LabelValue>>) =>
  JSON.stringify(
    Object.entries(labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
  );

describe('ProfileBuilder', () => {
  it('merges exactly like a map from (frames, labels) to summed values, zero-weight samples left out', () => {
    fc.assert(
      fc.property(profileArb, (input) => {
        const expected = new Map<string, number[]>();
        for (const s of input.samples) {
          if (s.values.every((v) => v === 0)) continue;
          const key = `${s.frames.map(frameText).join('|')} ${labelText(s.labels)}`;
          const sum = expected.get(key) ?? s.values.map(() => 0);
          expected.set(key, sum.map((v, i) => v + s.values[i]!));
        }
        const p = buildProfile(input);
        const got = new Map(stackList(p).map((s) => [`${s.frames.map((f) => frameText(p.frames[f]!)).join('|')} ${labelText(s.labels)}`, s.values]));
        expect(got).toEqual(expected);
        expect(new Set(p.frames.map(frameText)).size).toBe(p.frames.length);
      }),
      params(200),
    );
  });
});

// The naive flame tree: merge every path by (name, kind) into nested maps, then prune below the threshold.
interface Naive {
  name: string;
  kind: string;
  v: number;
  b: number;
  kids: Map<string, Naive>;
}

function naiveTree(paths: { path: [string, string][]; value: number; base: number }[], minFraction: number): { lines: string[]; frames: number; pruned: number; total: number } {
  const root: Naive = { name: ROOT_NAME, kind: 'p', v: 0, b: 0, kids: new Map() };
  for (const { path, value, base } of paths) {
    let node = root;
    node.v += value;
    node.b += base;
    const cut = path.length > MAX_DEPTH ? [...path.slice(0, MAX_DEPTH - 1), [`[${path.length - (MAX_DEPTH - 1)} deeper frames cut]`, 'p'] as [string, string]] : path;
    for (const [name, kind] of cut) {
      const key = `${kind}${name}`;
      let next = node.kids.get(key);
      if (!next) node.kids.set(key, (next = { name, kind, v: 0, b: 0, kids: new Map() }));
      next.v += value;
      next.b += base;
      node = next;
    }
  }
  const minValue = root.v * minFraction;
  let frames = 0;
  let pruned = 0;
  // Iterative walks: the trees here are up to MAX_DEPTH deep.
  const size = (n: Naive): number => {
    let count = 0;
    for (const todo = [n]; todo.length > 0; count++) todo.push(...todo.pop()!.kids.values());
    return count;
  };
  const lines: string[] = [];
  for (const todo: [Naive, number][] = [[root, 0]]; todo.length > 0; ) {
    const [n, depth] = todo.pop()!;
    lines.push(`${'  '.repeat(depth)}${n.name}[${n.kind}] ${round(n.v)} ${round(n.b)}`);
    const kept: [Naive, number][] = [];
    for (const k of [...n.kids.values()].sort(bySibling)) {
      if (k.v <= 0) continue;
      if (k.v < minValue) {
        pruned += size(k);
        continue;
      }
      frames++;
      kept.push([k, depth + 1]);
    }
    todo.push(...kept.reverse());
  }
  return { lines, frames, pruned, total: root.v };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const bySibling = (a: { name: string; kind: string }, b: { name: string; kind: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0);

// The same readable form of a FlameNode tree; siblings of one name ordered by kind, as in the naive tree.
function dumpTree(root: FlameNode, table: FrameTable): string[] {
  const lines: string[] = [];
  const sibling = (n: FlameNode) => ({ name: table[n.f]![0], kind: table[n.f]![1] });
  for (const todo: [FlameNode, number][] = [[root, 0]]; todo.length > 0; ) {
    const [node, depth] = todo.pop()!;
    const [name, kind] = table[node.f]!;
    lines.push(`${'  '.repeat(depth)}${name}[${kind}] ${node.v} ${node.b ?? 0}`);
    const kids = [...(node.c ?? [])].sort((x, y) => bySibling(sibling(x), sibling(y)));
    todo.push(...kids.reverse().map((k): [FlameNode, number] => [k, depth + 1]));
  }
  return lines;
}

describe('flame trees', () => {
  it('equal the naive tree for every sample type and threshold, frames kept and pruned counted alike', () => {
    fc.assert(
      fc.property(profileArb, fc.constantFrom(0, 0.01, 0.1, 0.3), (input, minFraction) => {
        const profile = buildProfile(input);
        const frames = new FrameTableBuilder();
        const trees = flameTrees(profile, frames, { minFraction });
        trees.forEach((tree, t) => {
          const paths = stackList(profile)
            .filter((s) => (s.values[t] ?? 0) > 0)
            .map((s) => ({ path: s.frames.map((f) => [profile.frames[f]!.name, kindCode(profile.frames[f]!.kind)] as [string, string]), value: s.values[t]!, base: 0 }));
          const naive = naiveTree(paths, minFraction);
          expect(dumpTree(tree.root, frames.table)).toEqual(naive.lines);
          expect([tree.frames, tree.pruned, tree.total]).toEqual([naive.frames, naive.pruned, naive.total]);
        });
      }),
      params(300),
    );
  });

  it('cut stacks deeper than MAX_DEPTH the same way, however deep', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ depth: fc.integer({ min: MAX_DEPTH - 2, max: MAX_DEPTH + 3 }), leaf: fc.constantFrom('a', 'b'), value: fc.integer({ min: 1, max: 9 }) }), { minLength: 1, maxLength: 6 }), (rows) => {
        const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
        for (const r of rows) b.add([...Array.from({ length: r.depth - 1 }, (_, i) => ({ name: `f${i % 3}` })), { name: r.leaf }], [r.value]);
        const profile = b.build();
        const frames = new FrameTableBuilder();
        const [tree] = flameTrees(profile, frames, { minFraction: 0 });
        const naive = naiveTree(
          stackList(profile).map((s) => ({ path: s.frames.map((f) => [profile.frames[f]!.name, 'u'] as [string, string]), value: s.values[0]!, base: 0 })),
          0,
        );
        expect(dumpTree(tree!.root, frames.table)).toEqual(naive.lines);
      }),
      params(40),
    );
  });

  it('diff trees equal the naive tree with base values, zero-width stacks neither drawn nor counted', () => {
    const row = fc.record({
      stack: fc.array(fc.constantFrom('a', 'b', 'c', 'read_[k]', 'x_[j]'), { minLength: 1, maxLength: 5 }).map((f) => f.join(';')),
      before: fc.integer({ min: 0, max: 20 }),
      after: fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 30, noNaN: true })),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.constantFrom(0, 0.05, 0.2), (rows, minFraction) => {
        const frames = new FrameTableBuilder();
        const tree = diffFlameTree(rows, frames, 'count', { minFraction });
        const kindOf = (name: string): [string, string] => (name.endsWith('_[k]') ? [name.slice(0, -4), 'k'] : name.endsWith('_[j]') ? [name.slice(0, -4), 'j'] : [name, 'u']);
        const naive = naiveTree(
          rows.map((r) => ({ path: r.stack.split(';').map(kindOf), value: r.after, base: r.before })),
          minFraction,
        );
        expect(dumpTree(tree.root, frames.table)).toEqual(naive.lines);
        expect([tree.frames, tree.pruned]).toEqual([naive.frames, naive.pruned]);
      }),
      params(300),
    );
  });
});

describe('pprof export', () => {
  it('decodes back to the same stacks, frames, values and labels', () => {
    fc.assert(
      fc.property(profileArb, (input) => {
        const profile = buildProfile(input);
        const back = parsePprof(toPprof(profile), 'random.pb').profile!;
        // What pprof carries of a stack: names (an empty one reads back as ??) and inlining (a stack's root frame
        // starts a location, so it is never inlined); frames differing in nothing else merge, so values are summed.
        const text = (p: Profile) => {
          const sums = new Map<string, number[]>();
          for (const s of stackList(p)) {
            const key = `${s.frames.map((f, i) => JSON.stringify([p.frames[f]!.name || '??', i > 0 && !!p.frames[f]!.inlined])).join('|')} ${labelText(s.labels)}`;
            const sum = sums.get(key) ?? s.values.map(() => 0);
            sums.set(key, sum.map((v, i) => v + s.values[i]!));
          }
          return sums;
        };
        expect(text(back)).toEqual(text(profile));
        expect(back.sampleTypes).toEqual(profile.sampleTypes);
      }),
      params(200),
    );
  });
});
