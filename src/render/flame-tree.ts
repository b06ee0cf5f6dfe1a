// Profile -> the compact call tree d3-flame-graph draws, one tree per sample type, with narrow frames pruned.
//
// Node shape (short keys because the tree is embedded in the page): `f` indexes the shared frame table,
// `v` is the inclusive value (d3-flame-graph's default "total" semantics, so a pruned child's weight
// stays in its parent and shows as the parent's self time), `b` the inclusive base value in diff trees,
// `c` the children. Frames are merged by name and kind along each path, as in every flame graph.
import type { FrameKind, Profile } from '../model/profile.js';

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

// Interns [name, kind] pairs so every tree of a graph (and both sides of a diff) share one table.
export class FrameTableBuilder {
  readonly table: FrameTable = [];
  private readonly ids = new Map<string, number>();

  id(name: string, kind: KindCode): number {
    const key = `${kind}${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.table.length;
      this.table.push([name, kind]);
      this.ids.set(key, id);
    }
    return id;
  }
}

// Mutable node used while merging paths; children keyed by frame-table id.
interface BuildNode {
  f: number;
  v: number;
  b: number;
  kids: Map<number, BuildNode>;
}

/** Frames drawn per stack at most; deeper stacks end in a `[N deeper frames cut]` frame. */
export const MAX_DEPTH = 1000;

function newNode(f: number): BuildNode {
  return { f, v: 0, b: 0, kids: new Map() };
}

class TreeBuilder {
  readonly root: BuildNode;

  constructor(readonly frames: FrameTableBuilder) {
    this.root = newNode(frames.id(ROOT_NAME, 'p'));
  }

  add(path: readonly number[], value: number, base = 0): void {
    let node = this.root;
    node.v += value;
    node.b += base;
    // Absurdly deep stacks (runaway recursion, crafted input) keep their outermost frames and say what was cut,
    // so every later pass over the tree stays shallow and the page stays usable.
    if (path.length > MAX_DEPTH) {
      const cut = path.length - (MAX_DEPTH - 1);
      path = [...path.slice(0, MAX_DEPTH - 1), this.frames.id(`[${cut} deeper frames cut]`, 'p')];
    }
    for (const f of path) {
      let next = node.kids.get(f);
      if (!next) {
        next = newNode(f);
        node.kids.set(f, next);
      }
      next.v += value;
      next.b += base;
      node = next;
    }
  }

  // Drops children below the threshold (their weight stays in the parent's inclusive value), sorts the rest
  // by name so the layout is stable between sample types and runs, and counts what was kept and dropped.
  finish(minValue: number, withBase: boolean): { root: FlameNode; frames: number; pruned: number } {
    let frames = 0;
    let pruned = 0;
    const names = this.frames.table;
    const countSubtree = (n: BuildNode): number => {
      let c = 1;
      for (const k of n.kids.values()) c += countSubtree(k);
      return c;
    };
    const convert = (n: BuildNode): FlameNode => {
      const out: FlameNode = withBase ? { f: n.f, v: round(n.v), b: round(n.b) } : { f: n.f, v: round(n.v) };
      const kept: FlameNode[] = [];
      const kids = [...n.kids.values()].sort((a, b) => compareNames(names[a.f]![0], names[b.f]![0]));
      for (const k of kids) {
        // Zero-width frames (diff stacks absent from the new profile) are not drawn at any zoom: not "pruned".
        if (k.v <= 0) continue;
        if (k.v < minValue) {
          pruned += countSubtree(k);
          continue;
        }
        frames++;
        kept.push(convert(k));
      }
      if (kept.length > 0) out.c = kept;
      return out;
    };
    return { root: convert(this.root), frames, pruned };
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
  // Map profile frame ids to table ids once: kind and name are all the page needs.
  const ids = profile.frames.map((fr) => frames.id(fr.name, kindCode(fr.kind)));
  return profile.sampleTypes.map((sampleType, typeIndex) => {
    const builder = new TreeBuilder(frames);
    for (const stack of profile.stacks) {
      const value = stack.values[typeIndex] ?? 0;
      if (value > 0) builder.add(stack.frames.map((id) => ids[id]!), value);
    }
    const total = builder.root.v;
    const { root, frames: kept, pruned } = builder.finish(total * minFraction, false);
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
  const builder = new TreeBuilder(frames);
  let vanished = 0;
  for (const row of rows) {
    const path = row.stack.split(';').map((name) => foldedFrameId(frames, name));
    builder.add(path, row.after, row.before);
    if (row.after === 0) vanished += row.before;
  }
  const total = builder.root.v;
  const baseTotal = builder.root.b;
  const { root, frames: kept, pruned } = builder.finish(total * minFraction, true);
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
