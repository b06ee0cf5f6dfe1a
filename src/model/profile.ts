import { NetprobeError } from './errors.js';

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

export interface Stack {
  /** Frame ids, root first, leaf last. */
  frames: readonly number[];
  /** One value per sample type. */
  values: number[];
  labels?: Readonly<Record<string, LabelValue>>;
}

export interface Profile {
  sampleTypes: readonly SampleType[];
  /** Index into sampleTypes of the type shown by default. */
  defaultSampleType: number;
  frames: readonly Frame[];
  stacks: readonly Stack[];
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
function stackHash(frames: readonly number[], labelKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < frames.length; i++) h = Math.imul(h ^ frames[i]!, 0x01000193);
  for (let i = 0; i < labelKey.length; i++) h = Math.imul(h ^ labelKey.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 1;
}

function grow(array: Int32Array, length: number): Int32Array {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}

function labelsKey(labels?: Readonly<Record<string, LabelValue>>): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0001');
}

// Gives every distinct frame one id, in the order first seen. ProfileBuilder interns through it; a parser that
// learns only at the end which frames its stacks keep interns with its own and hands the used ones over.
// Keyed by name first: most names are one frame, and a map from the name itself costs no key string (a million
// distinct frames took 2.3 s and ~100 MB more with a composed key for each); frames sharing a name with another
// fall back to the full key.
export class FrameInterner {
  readonly frames: Frame[] = [];
  private readonly byName = new Map<string, number>();
  private readonly byKey = new Map<string, number>();

  id(frame: Frame): number {
    const first = this.byName.get(frame.name);
    if (first === undefined) return this.add(frame, (id) => this.byName.set(frame.name, id));
    if (sameFrame(this.frames[first]!, frame)) return first;
    const key = frameKey(frame);
    return this.byKey.get(key) ?? this.add(frame, (id) => this.byKey.set(key, id));
  }

  private add(frame: Frame, remember: (id: number) => void): number {
    const id = this.frames.length;
    this.frames.push(frame);
    remember(id);
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

// Interns frames and stacks while a parser streams; build() freezes the result.
// Stacks are found again through an open-addressing table of stack ids by a hash of their frames and labels
// (candidates compared in full): a key string per stack in a Map cost ~90 bytes and a string hash each, for a
// million distinct stacks; the table costs ~12 bytes a stack.
export class ProfileBuilder {
  private readonly interner = new FrameInterner();
  private readonly stacks: Stack[] = [];
  /** Stack id + 1 per slot (0: empty), capacity a power of two, at most half full. */
  private slots: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(512);
  private defaultType: number;

  constructor(
    private readonly sampleTypes: readonly SampleType[],
    defaultSampleType = 0,
  ) {
    this.defaultType = defaultSampleType;
  }

  frameId(frame: Frame): number {
    return this.interner.id(frame);
  }

  /** Adds values for a stack given as frame ids, root first. Zero-weight samples are kept out. */
  addStack(frames: readonly number[], values: readonly number[], labels?: Record<string, LabelValue>): void {
    if (values.length !== this.sampleTypes.length) {
      throw new Error(`expected ${this.sampleTypes.length} values per sample, got ${values.length}`);
    }
    if (values.every((v) => v === 0)) return;
    const labelKey = labelsKey(labels);
    const hash = stackHash(frames, labelKey);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let id = this.slots[slot]! - 1; id >= 0; slot = (slot + 1) & mask, id = this.slots[slot]! - 1) {
      if (this.hashes[id] === hash && this.matches(id, frames, labelKey)) {
        const stack = this.stacks[id]!;
        for (let i = 0; i < values.length; i++) stack.values[i]! += values[i]!;
        return;
      }
    }
    const id = this.stacks.length;
    this.stacks.push(labels ? { frames: [...frames], values: [...values], labels: { ...labels } } : { frames: [...frames], values: [...values] });
    if (id >= this.hashes.length) this.hashes = grow(this.hashes, this.hashes.length * 2);
    this.hashes[id] = hash;
    this.slots[slot] = id + 1;
    if (2 * this.stacks.length > this.slots.length) this.rehash();
  }

  private matches(id: number, frames: readonly number[], labelKey: string): boolean {
    const stack = this.stacks[id]!;
    if (stack.frames.length !== frames.length) return false;
    for (let i = 0; i < frames.length; i++) if (stack.frames[i] !== frames[i]) return false;
    return labelsKey(stack.labels) === labelKey;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.stacks.length; id++) {
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
    return this.stacks.length;
  }

  build(extra: Partial<Pick<Profile, 'period' | 'durationNanos' | 'timeNanos' | 'comments'>> = {}): Profile {
    return {
      sampleTypes: this.sampleTypes,
      defaultSampleType: this.defaultType,
      frames: this.interner.frames,
      stacks: this.stacks,
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
  let total = 0;
  for (const s of profile.stacks) total += s.values[typeIndex] ?? 0;
  return total;
}
