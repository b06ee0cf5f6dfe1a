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

function labelsKey(labels?: Record<string, LabelValue>): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0001');
}

// Gives every distinct frame one id, in the order first seen. ProfileBuilder interns through it; a parser that
// learns only at the end which frames its stacks keep interns with its own and hands the used ones over.
export class FrameInterner {
  readonly frames: Frame[] = [];
  private readonly ids = new Map<string, number>();

  id(frame: Frame): number {
    const key = frameKey(frame);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push(frame);
      this.ids.set(key, id);
    }
    return id;
  }
}

// Interns frames and stacks while a parser streams; build() freezes the result.
export class ProfileBuilder {
  private readonly interner = new FrameInterner();
  private readonly stacks: Stack[] = [];
  private readonly stackIds = new Map<string, number>();
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
    const key = `${frames.join(',')}|${labelsKey(labels)}`;
    const id = this.stackIds.get(key);
    if (id === undefined) {
      this.stackIds.set(key, this.stacks.length);
      this.stacks.push(labels ? { frames: [...frames], values: [...values], labels: { ...labels } } : { frames: [...frames], values: [...values] });
      return;
    }
    const stack = this.stacks[id]!;
    for (let i = 0; i < values.length; i++) stack.values[i]! += values[i]!;
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
