// Profile -> the compact call tree d3-flame-graph draws, one tree per sample type, with narrow frames pruned.
//
// Node shape (short keys because the tree is embedded in the page): `f` indexes the shared frame table,
// `v` is the inclusive value (d3-flame-graph's default "total" semantics, so a pruned child's weight
// stays in its parent and shows as the parent's self time), `b` the inclusive base value in diff trees,
// `c` the children. Frames are merged by name and kind along each path, as in every flame graph.
import type { FrameKind, Profile } from '../model/profile.js';
import { StringKeyedIds, stringHash } from '../model/string-ids.js';

export interface FlameNode {
  f: number;
  v: number;
  /** Diff trees only: the inclusive value of this frame in the base profile. */
  b?: number;
  c?: FlameNode[];
}

/** Single-letter frame kinds keep the embedded frame table small; the page colours by them. */
export type KindCode = 'u' | 'k' | 's' | 'j' | 'p' | 'o';

/** The frame table shared by every tree of one graph: [name, kind]. */
export type FrameTable = [string, KindCode][];

export interface FlameTree {
  type: string;
  unit: string;
  total: number;
  root: FlameNode;
  /** Frames left in the tree (the synthetic root excluded). */
  frames: number;
  /** Frames removed because they were narrower than the threshold. */
  pruned: number;
}

export interface FlameTreeOptions {
  /** Frames whose inclusive value is below this fraction of the total are pruned. Default 0.0005 (0.05%). */
  minFraction?: number;
}

export const DEFAULT_MIN_FRACTION = 0.0005;

export const ROOT_NAME = 'all';

export function kindCode(kind: FrameKind | undefined): KindCode {
  switch (kind) {
    case 'kernel':
      return 'k';
    case 'syscall':
      return 's';
    case 'jit':
      return 'j';
    case 'observer':
      return 'o';
    case 'process':
    case 'thread':
      return 'p';
    default:
      return 'u';
  }
}

// Ids of [name, kind] pairs, found by the name itself (a name has one kind nearly always; the others fall back
// to a composed key): no key string per name. The caller chooses the id a new pair gets.
class NameKindIds {
  private readonly byName: StringKeyedIds;
  private readonly byKindName = new Map<string, number>();

  constructor(
    nameOf: (id: number) => string,
    private readonly kindOf: (id: number) => KindCode,
  ) {
    this.byName = new StringKeyedIds(nameOf);
  }

  /** The id of [name, kind]; `id` itself, now recorded, when the pair is new. */
  idOr(name: string, kind: KindCode, id: number): number {
    const hash = stringHash(name);
    const first = this.byName.get(name, hash);
    if (first < 0) {
      this.byName.add(id, hash);
      return id;
    }
    if (this.kindOf(first) === kind) return first;
    const kindName = `${kind}${name}`;
    const known = this.byKindName.get(kindName);
    if (known !== undefined) return known;
    this.byKindName.set(kindName, id);
    return id;
  }
}

// Interns [name, kind] pairs so every tree of a graph (and both sides of a diff) share one table.
export class FrameTableBuilder {
  readonly table: FrameTable = [];
  private readonly ids = new NameKindIds(
    (id) => this.table[id]![0],
    (id) => this.table[id]![1],
  );

  id(name: string, kind: KindCode): number {
    const next = this.table.length;
    const id = this.ids.idOr(name, kind, next);
    if (id === next) this.table.push([name, kind]);
    return id;
  }
}

/** Frames drawn per stack at most; deeper stacks end in a `[N deeper frames cut]` frame. */
export const MAX_DEPTH = 1000;

/**
 * What a tree is built from: stacks as paths of frame keys (root first; equal keys are merged), each with a value
 * and a base; `tableId` turns a key into its frame-table id, asked only for the frames the tree keeps.
 */
interface PathSource {
  count: number;
  length(stack: number): number;
  frame(stack: number, depth: number): number;
  value(stack: number): number;
  base(stack: number): number;
  tableId(key: number): number;
}

/**
 * Builds the pruned tree of some stacks in one pass over them sorted by path, so that the stacks under any node
 * are consecutive: a node is complete when the walk leaves it, and only kept nodes and the current path are ever
 * held. (A node object with a child map per frame of every path took 880 MB for a million distinct stacks.)
 * A node whose inclusive value is below `minValue` is pruned (its weight stays in its parent's inclusive value)
 * and counted with its whole subtree; zero-width nodes (diff stacks absent from the new profile) are not drawn
 * at any zoom and not counted, unless under a pruned node. Children are sorted by name, so the layout is stable
 * between sample types and runs.
 */
function buildTree(src: PathSource, order: ArrayLike<number>, frames: FrameTableBuilder, minValue: number, withBase: boolean): { root: FlameNode; frames: number; pruned: number } {
  const names = frames.table;

  // The open path: level 0 is the root, level d the d-th frame of the current stack.
  const rootId = frames.id(ROOT_NAME, 'p');
  const f: number[] = [-1];
  const v: number[] = [0];
  const b: number[] = [0];
  const size: number[] = [1];
  const prunedBelow: number[] = [0];
  // A level's kept children, made when it gets its first (most levels are leaves).
  const kids: (FlameNode[] | undefined)[] = [undefined];
  let depth = 0;
  let kept = 0;

  const node = (level: number): FlameNode => {
    const id = level === 0 ? rootId : src.tableId(f[level]!);
    const out: FlameNode = withBase ? { f: id, v: round(v[level]!), b: round(b[level]!) } : { f: id, v: round(v[level]!) };
    const children = kids[level];
    if (children) out.c = children.sort((x, y) => compareNames(names[x.f]![0], names[y.f]![0]) || x.f - y.f);
    return out;
  };
  const close = (level: number): void => {
    const parent = level - 1;
    size[parent]! += size[level]!;
    if (v[level]! <= 0) return;
    if (v[level]! < minValue) {
      prunedBelow[parent]! += size[level]!;
      return;
    }
    kept++;
    prunedBelow[parent]! += prunedBelow[level]!;
    (kids[parent] ??= []).push(node(level));
  };

  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const len = src.length(i);
    let common = 0;
    while (common < depth && common < len && f[common + 1] === src.frame(i, common)) common++;
    while (depth > common) close(depth--);
    for (; depth < len; depth++) {
      const level = depth + 1;
      f[level] = src.frame(i, depth);
      v[level] = 0;
      b[level] = 0;
      size[level] = 1;
      prunedBelow[level] = 0;
      kids[level] = undefined;
    }
    const value = src.value(i);
    const base = src.base(i);
    for (let level = 0; level <= len; level++) {
      v[level]! += value;
      b[level]! += base;
    }
  }
  while (depth > 0) close(depth--);
  return { root: node(0), frames: kept, pruned: prunedBelow[0]! };
}

// Absurdly deep stacks (runaway recursion, crafted input) keep their outermost frames and say what was cut, so
// every later pass over the tree stays shallow and the page stays usable. The cut frames get keys from
// `firstFreeKey` on, one per number of frames cut.
function cutDeep(src: PathSource, frames: FrameTableBuilder, firstFreeKey: number): PathSource {
  const cutKeys = new Map<number, number>();
  const cutOf = new Map<number, number>();
  return {
    ...src,
    length: (i) => Math.min(src.length(i), MAX_DEPTH),
    frame: (i, depth) => {
      if (depth !== MAX_DEPTH - 1 || src.length(i) <= MAX_DEPTH) return src.frame(i, depth);
      const cut = src.length(i) - (MAX_DEPTH - 1);
      let key = cutKeys.get(cut);
      if (key === undefined) {
        key = firstFreeKey + cutKeys.size;
        cutKeys.set(cut, key);
        cutOf.set(key, cut);
      }
      return key;
    },
    tableId: (key) => (key >= firstFreeKey ? frames.id(`[${cutOf.get(key)!} deeper frames cut]`, 'p') : src.tableId(key)),
  };
}

// The stacks to draw, ordered by their paths of frame-table ids (any such order keeps a node's stacks together).
// An MSD radix sort: stacks are grouped by their first frame, each group by its second, and so on until a group
// has one stack; each step is a native numeric sort of (frame id, stack) pairs packed in doubles. Work grows with
// the frames that tell stacks apart, not with n log n comparisons of whole paths (3 s for a million stacks).
function pathOrder(src: PathSource): Int32Array {
  const order = new Int32Array(src.count);
  for (let i = 0; i < src.count; i++) order[i] = i;
  // (key, stack) packs as key * slots + stack, exact in a double while key < 2^53 / slots.
  const slots = 2 ** Math.ceil(Math.log2(order.length + 1));
  const packed = new Float64Array(order.length);
  // Key 0: the stack ends above this depth; else 1 + the frame there.
  const key = (i: number, depth: number) => (depth < src.length(i) ? src.frame(i, depth) + 1 : 0);
  // Groups of two stacks or more still to order: (lo, hi, depth) triples. (No closure per group and no
  // single-stack groups: a million of them took 130 MB of garbage.)
  const groups: number[] = order.length > 1 ? [0, order.length, 0] : [];
  while (groups.length > 0) {
    const depth = groups.pop()!;
    const hi = groups.pop()!;
    const lo = groups.pop()!;
    const first = key(order[lo]!, depth);
    let same = true;
    for (let k = lo; k < hi; k++) {
      const kk = key(order[k]!, depth);
      if (kk !== first) same = false;
      packed[k] = kk * slots + order[k]!;
    }
    if (same) {
      if (first !== 0) groups.push(lo, hi, depth + 1);
      continue;
    }
    if (hi - lo > 16) packed.subarray(lo, hi).sort();
    else insertionSort(packed, lo, hi);
    let start = lo;
    for (let k = lo; k <= hi; k++) {
      if (k < hi) order[k] = packed[k]! % slots;
      if (k === hi || Math.floor(packed[k]! / slots) !== Math.floor(packed[start]! / slots)) {
        if (k - start > 1 && Math.floor(packed[start]! / slots) !== 0) groups.push(start, k, depth + 1);
        start = k;
      }
    }
  }
  return order;
}

// Small groups are sorted in place: a subarray view each was most of the sort's garbage for many small groups.
function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const x = a[i]!;
    let j = i - 1;
    for (; j >= lo && a[j]! > x; j--) a[j + 1] = a[j]!;
    a[j + 1] = x;
  }
}

// Normalised diff values are fractional; three decimals are plenty on screen and keep the page small.
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One tree per sample type of the profile, sharing the given frame table. */
export function flameTrees(profile: Profile, frames: FrameTableBuilder, options: FlameTreeOptions = {}): FlameTree[] {
  const minFraction = options.minFraction ?? DEFAULT_MIN_FRACTION;
  // Profile frames equal in name and kind (all the page shows) get one key: the first such frame's id. Only the
  // frames a tree keeps enter the frame table (a million pruned leaves used to).
  const keys = new Int32Array(profile.frames.length);
  const pairs = new NameKindIds(
    (id) => profile.frames[id]!.name,
    (id) => kindCode(profile.frames[id]!.kind),
  );
  profile.frames.forEach((fr, i) => (keys[i] = pairs.idOr(fr.name, kindCode(fr.kind), i)));
  const stacks = profile.stacks;
  const { frameIds, offsets } = stacks;
  const paths = cutDeep(
    {
      count: stacks.count,
      length: (i) => offsets[i + 1]! - offsets[i]!,
      frame: (i, depth) => keys[frameIds[offsets[i]! + depth]!]!,
      value: () => 0,
      base: () => 0,
      tableId: (key) => frames.id(profile.frames[key]!.name, kindCode(profile.frames[key]!.kind)),
    },
    frames,
    profile.frames.length,
  );
  // One order serves every sample type: each tree skips the stacks without weight in it.
  const order = pathOrder(paths);
  return profile.sampleTypes.map((sampleType, typeIndex) => {
    const src: PathSource = { ...paths, value: (i) => stacks.value(i, typeIndex) };
    let count = 0;
    for (let k = 0; k < order.length; k++) if (src.value(order[k]!) > 0) count++;
    const weighted = new Int32Array(count);
    let total = 0;
    for (let k = 0, w = 0; k < order.length; k++) {
      const value = src.value(order[k]!);
      if (value > 0) {
        weighted[w++] = order[k]!;
        total += value;
      }
    }
    const { root, frames: kept, pruned } = buildTree(src, weighted, frames, total * minFraction, false);
    return { type: sampleType.type, unit: sampleType.unit, total, root, frames: kept, pruned };
  });
}

export interface DiffRow {
  stack: string;
  before: number;
  after: number;
}

export interface DiffTree extends FlameTree {
  /** Sum of the base values (after normalisation, when normalised). */
  baseTotal: number;
  /** Base weight in stacks that are absent from the new profile: invisible, since widths follow the new profile. */
  vanished: number;
}

/** A diff tree from folded-stack rows: widths from `after`, each node also carrying its `before` value. */
export function diffFlameTree(rows: readonly DiffRow[], frames: FrameTableBuilder, unit = 'count', options: FlameTreeOptions = {}): DiffTree {
  const minFraction = options.minFraction ?? DEFAULT_MIN_FRACTION;
  const paths = rows.map((row) => row.stack.split(';').map((name) => foldedFrameId(frames, name)));
  const src = cutDeep(
    {
      count: rows.length,
      length: (i) => paths[i]!.length,
      frame: (i, depth) => paths[i]![depth]!,
      value: (i) => rows[i]!.after,
      base: (i) => rows[i]!.before,
      tableId: (key) => key,
    },
    frames,
    frames.table.length,
  );
  let total = 0;
  let baseTotal = 0;
  let vanished = 0;
  for (const row of rows) {
    total += row.after;
    baseTotal += row.before;
    if (row.after === 0) vanished += row.before;
  }
  const { root, frames: kept, pruned } = buildTree(src, pathOrder(src), frames, total * minFraction, true);
  return { type: 'samples', unit, total, root, frames: kept, pruned, baseTotal, vanished };
}

// Folded stacks carry the collapser's annotations: `_[k]` kernel, `_[j]` JIT (stackcollapse-perf.pl --all).
function foldedFrameId(frames: FrameTableBuilder, name: string): number {
  if (name.endsWith('_[k]')) return frames.id(name.slice(0, -4), 'k');
  if (name.endsWith('_[j]')) return frames.id(name.slice(0, -4), 'j');
  return frames.id(name, 'u');
}

/** Drops frame-table entries no tree uses and renumbers the trees in place; returns the compact table. */
export function compactFrameTable(table: FrameTable, roots: readonly FlameNode[]): FrameTable {
  const remap = new Map<number, number>();
  const out: FrameTable = [];
  const visit = (n: FlameNode): void => {
    let id = remap.get(n.f);
    if (id === undefined) {
      id = out.length;
      out.push(table[n.f]!);
      remap.set(n.f, id);
    }
    n.f = id;
    if (n.c) for (const c of n.c) visit(c);
  };
  for (const r of roots) visit(r);
  return out;
}
