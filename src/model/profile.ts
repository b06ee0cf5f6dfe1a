import { NetprobeError } from './errors.js';
import { rangeHash, StringKeyedIds, stringHash } from './string-ids.js';

// Stack profiles: interned frames and stacks with one value per sample type (speedscope-style builder).

/** `observer`: the tracer's own code running in the target's context (bpftrace's BPF programs, perf's hooks). */
export type FrameKind = 'user' | 'kernel' | 'jit' | 'syscall' | 'process' | 'thread' | 'observer';

export interface Frame {
  /** Display name, exactly as it appears in folded output. */
  name: string;
  /** Binary or shared object the code lives in (perf dso, strace -k path), when known. */
  module?: string;
  kind?: FrameKind;
  /** True when this frame was inlined into its caller (perf `(inlined)`, pprof multi-line locations). */
  inlined?: boolean;
  /** Instruction address or file offset, when known. */
  address?: number;
  /** Source file and line, when known. */
  file?: string;
  line?: number;
}

export interface SampleType {
  type: string;
  unit: string;
}

export type LabelValue = string | number;

export type Labels = Readonly<Record<string, LabelValue>>;

/** One stack as plain arrays: what `StackTable.at` and `stackList` copy out (tests, JSON export). */
export interface Stack {
  /** Frame ids, root first, leaf last. */
  frames: number[];
  /** One value per sample type. */
  values: number[];
  labels?: Labels;
}

/**
 * A profile's distinct stacks, stored by column: every stack's frame ids in one Int32Array (stack i's are
 * `frameIds[start(i)..end(i))`, root first), its values in one Float64Array (`sampleTypeCount` per stack), labels
 * only for the stacks that have them. A million stacks as {frames, values} objects took ~190 bytes each; here
 * they take 4 per frame, 8 per value and 4 for the offset.
 */
export class StackTable {
  constructor(
    /** Stacks held. */
    readonly count: number,
    /** Values per stack (the profile's sample types). */
    readonly sampleTypeCount: number,
    /** All frame ids, stack after stack. */
    readonly frameIds: Int32Array,
    /** count + 1 offsets into frameIds. */
    readonly offsets: Int32Array,
    /** count * sampleTypeCount values, stack after stack. */
    readonly valueData: Float64Array,
    private readonly labelData?: readonly (Labels | undefined)[],
  ) {}

  /** Index into frameIds of stack i's root frame. */
  start(i: number): number {
    return this.offsets[i]!;
  }

  /** One past the index into frameIds of stack i's leaf frame. */
  end(i: number): number {
    return this.offsets[i + 1]!;
  }

  /** Frames in stack i. */
  frameCount(i: number): number {
    return this.offsets[i + 1]! - this.offsets[i]!;
  }

  /** Stack i's frame ids, root first: a view, not a copy. */
  frames(i: number): Int32Array {
    return this.frameIds.subarray(this.offsets[i]!, this.offsets[i + 1]!);
  }

  /** The frame id at `depth` (0: root) of stack i. */
  frame(i: number, depth: number): number {
    return this.frameIds[this.offsets[i]! + depth]!;
  }

  /** Stack i's leaf frame id (-1 for an empty stack). */
  leaf(i: number): number {
    const end = this.offsets[i + 1]!;
    return end > this.offsets[i]! ? this.frameIds[end - 1]! : -1;
  }

  /** Stack i's value of sample type `type` (0 past the last type). */
  value(i: number, type: number): number {
    return type >= 0 && type < this.sampleTypeCount ? this.valueData[i * this.sampleTypeCount + type]! : 0;
  }

  /** Stack i's values, one per sample type (a copy). */
  values(i: number): number[] {
    return Array.from(this.valueData.subarray(i * this.sampleTypeCount, (i + 1) * this.sampleTypeCount));
  }

  labels(i: number): Labels | undefined {
    return this.labelData?.[i];
  }

  /** Whether any stack has labels. */
  get hasLabels(): boolean {
    return this.labelData !== undefined;
  }

  /** Stack i as plain arrays (a copy). */
  at(i: number): Stack {
    const labels = this.labels(i);
    const stack: Stack = { frames: Array.from(this.frames(i)), values: this.values(i) };
    if (labels) stack.labels = labels;
    return stack;
  }
}

/** Every stack of a profile as plain arrays, in order: for tests and small profiles, not a hot path. */
export function stackList(profile: Profile): Stack[] {
  const out: Stack[] = [];
  for (let i = 0; i < profile.stacks.count; i++) out.push(profile.stacks.at(i));
  return out;
}

export interface Profile {
  sampleTypes: readonly SampleType[];
  /** Index into sampleTypes of the type shown by default. */
  defaultSampleType: number;
  frames: readonly Frame[];
  stacks: StackTable;
  /** Optional period information carried through pprof. */
  period?: { type: SampleType; value: number };
  durationNanos?: number;
  timeNanos?: number;
  comments?: readonly string[];
}

// Sample types fixed per profile kind so pprof merges and -diff_base work across runs.
export const SYSCALL_SAMPLE_TYPES: readonly SampleType[] = [
  { type: 'calls', unit: 'count' },
  { type: 'errors', unit: 'count' },
  { type: 'time', unit: 'nanoseconds' },
];
/** Off-CPU profiles: how often threads blocked at a stack, and for how long in total. */
export const OFFCPU_SAMPLE_TYPES: readonly SampleType[] = [
  { type: 'events', unit: 'count' },
  { type: 'offcpu', unit: 'nanoseconds' },
];
export const CPU_SAMPLE_TYPES: readonly SampleType[] = [
  { type: 'samples', unit: 'count' },
  { type: 'cpu', unit: 'nanoseconds' },
];

function frameKey(f: Frame): string {
  return `${f.name}\u0000${f.module ?? ''}\u0000${f.kind ?? ''}\u0000${f.inlined ? 1 : 0}\u0000${f.address ?? ''}\u0000${f.file ?? ''}\u0000${f.line ?? ''}`;
}

// FNV-1a over frame ids and the labels' key, finished with a multiply-shift mix so low bits index well.
function stackHash(frames: ArrayLike<number>, frameCount: number, labelKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < frameCount; i++) h = Math.imul(h ^ frames[i]!, 0x01000193);
  for (let i = 0; i < labelKey.length; i++) h = Math.imul(h ^ labelKey.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 1;
}

function grow<T extends Int32Array | Float64Array>(array: T, length: number): T {
  const grown = new (array.constructor as new (n: number) => T)(length);
  grown.set(array);
  return grown;
}

function labelsKey(labels?: Labels): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0001');
}

// Gives every distinct frame one id, in the order first seen. ProfileBuilder interns through it; a parser that
// learns only at the end which frames its stacks keep interns with its own and hands the used ones over.
// Keyed by name first: most names are one frame, and an index by the name itself costs no key string (a million
// distinct frames took 2.3 s and ~100 MB more with a composed key for each); frames sharing a name with another
// fall back to the full key. The name index is a table over the frames' own names (StringKeyedIds), not a Map:
// ~16 bytes a name instead of ~50 allocated.
export class FrameInterner {
  readonly frames: Frame[] = [];
  private readonly byName = new StringKeyedIds((id) => this.frames[id]!.name);
  private readonly byKey = new Map<string, number>();

  id(frame: Frame): number {
    const hash = stringHash(frame.name);
    const first = this.byName.get(frame.name, hash);
    if (first < 0) {
      const id = this.add(frame);
      this.byName.add(id, hash);
      return id;
    }
    if (sameFrame(this.frames[first]!, frame)) return first;
    const key = frameKey(frame);
    return this.byKey.get(key) ?? this.add(frame, (id) => this.byKey.set(key, id));
  }

  /**
   * The first frame named `text.slice(start, end)`, else a new one made by `make(name)`: for parsers whose frames
   * follow from their names alone (folded stacks), so that a name seen before costs no string and no Frame.
   */
  named(text: string, start: number, end: number, make: (name: string) => Frame): number {
    const hash = rangeHash(text, start, end);
    const first = this.byName.getRange(text, start, end, hash);
    if (first >= 0) return first;
    const id = this.add(make(text.slice(start, end)));
    this.byName.add(id, hash);
    return id;
  }

  private add(frame: Frame, remember?: (id: number) => void): number {
    const id = this.frames.length;
    this.frames.push(frame);
    remember?.(id);
    return id;
  }
}

// The same frame as frameKey tells them apart: an absent module, kind or file is the empty one.
function sameFrame(a: Frame, b: Frame): boolean {
  return (
    a.name === b.name &&
    (a.module ?? '') === (b.module ?? '') &&
    (a.kind ?? '') === (b.kind ?? '') &&
    !a.inlined === !b.inlined &&
    same(a.address, b.address) &&
    (a.file ?? '') === (b.file ?? '') &&
    same(a.line, b.line)
  );
}

function same(a: number | undefined, b: number | undefined): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

// Interns frames and stacks while a parser streams; build() freezes the result into a StackTable.
// Stacks are found again through an open-addressing table of stack ids by a hash of their frames and labels
// (candidates compared in full): a key string per stack in a Map cost ~90 bytes and a string hash each, for a
// million distinct stacks; the table costs ~12 bytes a stack. Stacks are stored by column as they come (see
// StackTable), the arrays doubling as they fill.
export class ProfileBuilder {
  private readonly interner = new FrameInterner();
  private count = 0;
  private frameIds = new Int32Array(4096);
  /** count + 1 used. */
  private offsets = new Int32Array(1024);
  private values: Float64Array;
  /** Created when the first stack with labels comes. */
  private labels: (Labels | undefined)[] | undefined;
  /** Stack id + 1 per slot (0: empty), capacity a power of two, at most half full. */
  private slots: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(512);
  private defaultType: number;

  constructor(
    private readonly sampleTypes: readonly SampleType[],
    defaultSampleType = 0,
  ) {
    this.defaultType = defaultSampleType;
    this.values = new Float64Array(512 * Math.max(1, sampleTypes.length));
  }

  frameId(frame: Frame): number {
    return this.interner.id(frame);
  }

  /** FrameInterner.named: the frame named `text.slice(start, end)`, made by `make` the first time. */
  frameIdByName(text: string, start: number, end: number, make: (name: string) => Frame): number {
    return this.interner.named(text, start, end, make);
  }

  /**
   * Adds values for a stack given as frame ids, root first (the first `frameCount` of `frames`). Zero-weight
   * samples are kept out. What is given is copied, so a parser may reuse its arrays.
   */
  addStack(frames: ArrayLike<number>, values: ArrayLike<number>, labels?: Record<string, LabelValue>, frameCount = frames.length): void {
    const types = this.sampleTypes.length;
    if (values.length !== types) {
      throw new Error(`expected ${types} values per sample, got ${values.length}`);
    }
    let zero = true;
    for (let i = 0; i < types; i++) if (values[i] !== 0) zero = false;
    if (zero) return;
    const labelKey = labelsKey(labels);
    const hash = stackHash(frames, frameCount, labelKey);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let id = this.slots[slot]! - 1; id >= 0; slot = (slot + 1) & mask, id = this.slots[slot]! - 1) {
      if (this.hashes[id] === hash && this.matches(id, frames, frameCount, labelKey)) {
        const at = id * types;
        for (let i = 0; i < types; i++) this.values[at + i]! += values[i]!;
        return;
      }
    }
    const id = this.count++;
    this.store(id, frames, frameCount, values, labels);
    if (id >= this.hashes.length) this.hashes = grow(this.hashes, this.hashes.length * 2);
    this.hashes[id] = hash;
    this.slots[slot] = id + 1;
    if (2 * this.count > this.slots.length) this.rehash();
  }

  private store(id: number, frames: ArrayLike<number>, frameCount: number, values: ArrayLike<number>, labels: Record<string, LabelValue> | undefined): void {
    if (id + 2 > this.offsets.length) this.offsets = grow(this.offsets, this.offsets.length * 2);
    const start = this.offsets[id]!;
    const end = start + frameCount;
    if (end > this.frameIds.length) this.frameIds = grow(this.frameIds, Math.max(end, this.frameIds.length * 2));
    for (let i = 0; i < frameCount; i++) this.frameIds[start + i] = frames[i]!;
    this.offsets[id + 1] = end;
    const types = this.sampleTypes.length;
    if ((id + 1) * types > this.values.length) this.values = grow(this.values, this.values.length * 2);
    for (let i = 0; i < types; i++) this.values[id * types + i] = values[i]!;
    if (labels) {
      this.labels ??= [];
      this.labels[id] = { ...labels };
    }
  }

  private matches(id: number, frames: ArrayLike<number>, frameCount: number, labelKey: string): boolean {
    const start = this.offsets[id]!;
    if (this.offsets[id + 1]! - start !== frameCount) return false;
    for (let i = 0; i < frameCount; i++) if (this.frameIds[start + i] !== frames[i]) return false;
    return labelsKey(this.labels?.[id]) === labelKey;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }

  /** Convenience: adds a stack of frames (root first). */
  add(frames: readonly Frame[], values: readonly number[], labels?: Record<string, LabelValue>): void {
    this.addStack(
      frames.map((f) => this.frameId(f)),
      values,
      labels,
    );
  }

  get sampleCount(): number {
    return this.count;
  }

  build(extra: Partial<Pick<Profile, 'period' | 'durationNanos' | 'timeNanos' | 'comments'>> = {}): Profile {
    const count = this.count;
    const types = this.sampleTypes.length;
    let labels = this.labels;
    if (labels && labels.length < count) labels = Object.assign(labels.slice(), { length: count });
    const stacks = new StackTable(
      count,
      types,
      this.frameIds.slice(0, this.offsets[count]!),
      this.offsets.slice(0, count + 1),
      this.values.slice(0, count * types),
      labels?.slice(),
    );
    return {
      sampleTypes: this.sampleTypes,
      defaultSampleType: this.defaultType,
      frames: this.interner.frames,
      stacks,
      ...extra,
    };
  }
}

/** Index of a sample type by name; throws a usage-friendly message listing the choices. */
export function sampleTypeIndex(profile: Profile, name: string | undefined): number {
  if (name === undefined) return profile.defaultSampleType;
  const i = profile.sampleTypes.findIndex((t) => t.type === name);
  if (i < 0) {
    const choices = profile.sampleTypes.map((t) => t.type).join(', ');
    throw new NetprobeError('usage', `unknown sample type \`${name}\`; this profile has: ${choices}`);
  }
  return i;
}

/** Sum of one sample type over all stacks. */
export function profileTotal(profile: Profile, typeIndex = profile.defaultSampleType): number {
  const stacks = profile.stacks;
  let total = 0;
  for (let i = 0; i < stacks.count; i++) total += stacks.value(i, typeIndex);
  return total;
}
