// pprof (profile.proto) decoder: any producer's profile into the stack-profile model.
//
// Input: the decompressed bytes of a `.pb.gz`/`.pb`, e.g. from Go's runtime/pprof
//   (`go test -cpuprofile cpu.pb.gz`, `pprof.WriteHeapProfile`), `go tool pprof -proto`, or netprobe itself.
// Reference: https://github.com/google/pprof/blob/a8630aee/proto/profile.proto
//
//   sample_type: [samples/count, cpu/nanoseconds]
//   sample { location_id: [1, 2]  value: [28, 280000000]  label { key: "phase" str: "mix" } }
//   location 1 { line [{main.mix :18}, {main.spinMix :24}] }   location 2 { line [{main.main :59}] }
// becomes the stack (root first) main.main;main.spinMix;main.mix (main.mix inlined) = [28, 280000000]
// with labels { phase: 'mix' }.
import * as pprof from 'pprof-format';
import { NetprobeError, ParseError } from '../model/errors.js';
import { ProfileBuilder, type Frame, type FrameKind, type LabelValue, type Profile, type SampleType } from '../model/profile.js';
import { isSyscallProfileTypes, syscallsFromProfile } from '../model/syscall-profile.js';
import { formatBytes } from '../model/units.js';
import { newTally, readVarint, walkMessage, WIRE_LEN, WIRE_VARINT, type Tally } from './pprof-wire.js';
import type { ParseResult } from './types.js';

// The sniffing that tells a pprof from text lives with the wire walk, in a module the input reader loads for
// every input; this one (and pprof-format) is loaded only for a pprof.
export { looksLikePprof } from './pprof-wire.js';

const EXPECTED = 'a pprof profile (profile.proto)';

export function parsePprof(bytes: Uint8Array, file: string): ParseResult {
  if (bytes.length === 0) throw new ParseError(file, 1, EXPECTED, '<empty file>');
  const tally = newTally();
  const problem = walkMessage(bytes, 0, bytes.length, 'Profile', 'whole', tally);
  if (problem !== null) throw new ParseError(file, 1, EXPECTED, problem);
  const budget = new DecodeBudget(file);
  budget.checkTables(tally);
  // The wire structure is valid, so pprof-format's lenient decoder cannot misread it.
  const profile = toModel(bytes, (message) => new ParseError(file, 1, EXPECTED, message), budget);
  const syscalls = syscallsFromProfile(profile);
  return syscalls ? { format: 'pprof', profile, syscalls } : { format: 'pprof', profile };
}

// ---- What decoding may allocate ------------------------------------------------------------------------
// A small gzip can declare a 3 GB string or millions of samples: decoded naively that took 59 s and 9.5 GB, or
// 1 GB for 2M samples in 35 KB. The wire walk counts what a profile declares before anything is decoded, samples
// are decoded one at a time into the builder (which merges equal stacks), and what stays held is estimated
// with the per-item costs below and refused past DECODE_BUDGET_BYTES.

/** No producer writes strings (names, file paths, label values) anywhere near this long. */
export const MAX_STRING_BYTES = 1024 * 1024;
/** Frames in one stack at most: perf stops at 127 by default, and flame graphs draw 1,000. */
export const MAX_STACK_FRAMES = 1_000_000;
/** What a decoded profile may hold, estimated (the issue-10 bound: a clear refusal, not gigabytes). */
export const DECODE_BUDGET_BYTES = 1024 * 1024 * 1024;
// Approximate heap bytes per decoded item (V8, 64-bit): objects, arrays and map entries each holds.
// Estimates from the object model before the columnar stack table (a frame costs 4 bytes there now): they
// over-count, so the budget refuses early rather than late (a profile of 700k stacks of 30 frames decoded in
// ~400 MB above the start, estimated at ~1 GiB).
const COST = { string: 48, mapping: 160, function: 200, location: 160, line: 120, stack: 160, frame: 24 } as const;

class DecodeBudget {
  private held = 0;

  constructor(private readonly file: string) {}

  checkTables(t: Tally): void {
    if (t.longest.bytes > MAX_STRING_BYTES) {
      throw new NetprobeError(
        'input',
        `${this.file}: a string of ${formatBytes(t.longest.bytes)} at byte ${t.longest.at} (netprobe reads pprof strings up to ${formatBytes(MAX_STRING_BYTES)}); refusing to decode it`,
      );
    }
    this.add(
      t.strings * COST.string + t.stringBytes + t.Mapping * COST.mapping + t.Function * COST.function + t.Location * COST.location + t.Line * COST.line,
      `${t.strings} strings, ${t.Location} locations, ${t.Function} functions`,
    );
  }

  /** Counts a new distinct stack of `frames` frames. */
  addStack(frames: number): void {
    this.add(COST.stack + frames * COST.frame, 'its samples');
  }

  /** Checks a stack of `frames` frames (one sample's, being built) would still fit. */
  checkStack(frames: number): void {
    if (frames > MAX_STACK_FRAMES) {
      throw new NetprobeError('input', `${this.file}: a sample of more than ${MAX_STACK_FRAMES.toLocaleString('en-US')} frames; refusing to decode it`);
    }
    if (this.held + frames * COST.frame > DECODE_BUDGET_BYTES) this.refuse(`a sample of about ${frames} frames`);
  }

  private add(bytes: number, what: string): void {
    this.held += bytes;
    if (this.held > DECODE_BUDGET_BYTES) this.refuse(what);
  }

  private refuse(what: string): never {
    throw new NetprobeError('input', `${this.file}: decoding this profile would take more than ${formatBytes(DECODE_BUDGET_BYTES)} of memory (${what}); refusing it`, {
      hint: 'A profile this large is usually a crafted or corrupt file; `go tool pprof -proto` can merge or trim a real one first.',
    });
  }
}

// ---- Decoded profile -> model ------------------------------------------------------------------------

type Fail = (message: string) => Error;

// pprof-format returns numbers, or bigints past 28 bits; int64 fields arrive as unsigned 64-bit.
function toNumber(v: number | bigint): number {
  if (typeof v === 'number') return v;
  return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
}

// Values must be exact in a double: 2^63 (read back as -2^63) would otherwise print as -9223372036854776000.
// Negative values stay: differential profiles (`go tool pprof -diff_base`) carry them.
function sampleValue(v: number | bigint, sample: number, index: number, fail: Fail): number {
  const n = toNumber(v);
  if (!Number.isSafeInteger(n)) throw fail(`sample ${sample + 1} has a value (${String(v)}) for sample type ${index + 1} beyond ±2^53, which netprobe cannot add exactly`);
  return n;
}

// Calls `visit` for each top-level field of a validated Profile message: varints with their bytes' bounds too.
function eachField(buf: Uint8Array, start: number, end: number, visit: (field: number, bodyStart: number, bodyEnd: number, wire: number) => void): void {
  for (let pos = start; pos < end; ) {
    const [tag, afterTag] = readVarint(buf, pos, end)!;
    const wire = tag % 8;
    const [length, afterLength] = readVarint(buf, afterTag, end)!;
    const bodyEnd = wire === WIRE_LEN ? afterLength + length : afterLength;
    visit(Math.floor(tag / 8), wire === WIRE_LEN ? afterLength : afterTag, bodyEnd, wire);
    pos = bodyEnd;
  }
}

// An int64/uint64 exactly as pprof-format gives it: a number, or a bigint past 2^49.
function exactVarint(buf: Uint8Array, pos: number): [number | bigint, number] {
  let n = 0;
  while (buf[pos + n]! >= 0x80) n++;
  n++;
  if (n <= 7) return [readVarint(buf, pos, pos + n)![0], pos + n];
  let value = 0n;
  for (let i = n - 1; i >= 0; i--) value = (value << 7n) | BigInt(buf[pos + i]! & 0x7f);
  return [value, pos + n];
}

// Numbers of a repeated field: packed (a length-delimited run of varints) or a single varint.
function eachNumber(buf: Uint8Array, start: number, end: number, visit: (v: number | bigint) => void): void {
  for (let pos = start; pos < end; ) {
    const [v, next] = exactVarint(buf, pos);
    visit(v);
    pos = next;
  }
}

const utf8 = new TextDecoder();

function toModel(bytes: Uint8Array, fail: Fail, budget: DecodeBudget): Profile {
  // Pass 1: everything but locations and samples, which refer to it (producers write tables in any order).
  const strings: string[] = [];
  const sampleTypeMessages: pprof.ValueType[] = [];
  const mappingMessages: pprof.Mapping[] = [];
  // Functions are kept as byte ranges until the string table is complete: a million decoded Function messages
  // held at once were ~100 MB of a million-stack profile's peak.
  const functionStarts: number[] = [];
  const functionEnds: number[] = [];
  const comments: (number | bigint)[] = [];
  let periodType: pprof.ValueType | undefined;
  const scalars: Record<number, number | bigint> = {};
  eachField(bytes, 0, bytes.length, (field, start, end, wire) => {
    const body = () => bytes.subarray(start, end);
    if (field === 1) sampleTypeMessages.push(pprof.ValueType.decode(body()));
    else if (field === 3) mappingMessages.push(pprof.Mapping.decode(body()));
    else if (field === 5) {
      functionStarts.push(start);
      functionEnds.push(end);
    }
    else if (field === 6) strings.push(utf8.decode(body()));
    else if (field === 11) periodType = pprof.ValueType.decode(body());
    else if (field === 13) eachNumber(bytes, start, end, (v) => comments.push(v));
    else if (field !== 2 && field !== 4 && wire === WIRE_VARINT) scalars[field] = exactVarint(bytes, start)[0];
  });
  const scalar = (field: number): number | bigint => scalars[field] ?? 0;

  if (strings.length > 0 && strings[0] !== '') throw fail(`string_table[0] = "${strings[0]}" (must be "")`);
  const str = (index: number | bigint, what: string): string => {
    const i = toNumber(index);
    if (i === 0) return '';
    const s = strings[i];
    if (s === undefined) throw fail(`${what} refers to string ${i}, but the string table has ${strings.length}`);
    return s;
  };

  const sampleTypes: SampleType[] = sampleTypeMessages.map((t) => ({ type: str(t.type, 'sample_type'), unit: str(t.unit, 'sample_type') }));
  const builder = new ProfileBuilder(sampleTypes, defaultTypeIndex(sampleTypes, str(scalar(14), 'default_sample_type')));
  const frames: Frame[] = [];
  const intern = (f: Frame): number => {
    const id = builder.frameId(f);
    frames[id] = f;
    return id;
  };

  const mappings = new Map<number, string>();
  for (const m of mappingMessages) mappings.set(uniqueId(toNumber(m.id), mappings, 'mapping', fail), str(m.filename, 'mapping'));
  // Function names and source files, by the function's place in the file.
  const functionIndex = new IdIndex('function', fail);
  const functionNames: string[] = [];
  const functionFiles: string[] = [];
  for (let i = 0; i < functionStarts.length; i++) {
    const f = pprof.Function.decode(bytes.subarray(functionStarts[i], functionEnds[i]));
    functionIndex.add(toNumber(f.id));
    functionNames.push(str(f.name, 'function') || str(f.systemName, 'function') || '??');
    functionFiles.push(str(f.filename, 'function'));
  }

  // Pass 2: every location is checked (its mapping and functions exist) and where it is kept; its frames are made
  // when a sample first uses it, so a million locations do not each hold frames and arrays at once.
  const locationIndex = new IdIndex('location', fail);
  const locationStarts: number[] = [];
  const locationEnds: number[] = [];
  eachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field !== 4) return;
    const loc = pprof.Location.decode(bytes.subarray(start, end));
    const id = toNumber(loc.id);
    locationIndex.add(id);
    const mappingId = toNumber(loc.mappingId);
    if (mappingId !== 0 && !mappings.has(mappingId)) throw fail(`location ${id} refers to mapping ${mappingId}, which does not exist`);
    for (const line of loc.line) {
      if (functionIndex.get(toNumber(line.functionId)) === undefined) throw fail(`location ${id} refers to function ${toNumber(line.functionId)}, which does not exist`);
    }
    locationStarts.push(start);
    locationEnds.push(end);
  });
  // Frame ids of each location (by its place), root first: line[0] is the innermost inlined callee, the last line
  // the function the code physically belongs to. One id or a list.
  const locationFrames: (number | number[] | undefined)[] = [];
  const framesOf = (id: number): number | number[] | undefined => {
    const at = locationIndex.get(id);
    if (at === undefined) return undefined;
    const known = locationFrames[at];
    if (known !== undefined) return known;
    const loc = pprof.Location.decode(bytes.subarray(locationStarts[at], locationEnds[at]));
    const mappingId = toNumber(loc.mappingId);
    const module = mappingId === 0 ? undefined : mappings.get(mappingId);
    const address = toNumber(loc.address);
    const lines: Frame[] = loc.line.map((line, i) => {
      const fn = functionIndex.get(toNumber(line.functionId))!;
      return frame(functionNames[fn]!, module, address, i < loc.line.length - 1, functionFiles[fn], toNumber(line.line));
    });
    // An unsymbolized location: name it by its exact address, as pprof does.
    if (lines.length === 0) lines.push(frame(`0x${loc.address.toString(16)}`, module, address, false));
    const ids = lines.reverse().map(intern);
    const stored = ids.length === 1 ? ids[0]! : ids;
    while (locationFrames.length < at) locationFrames.push(undefined);
    locationFrames[at] = stored;
    return stored;
  };

  // netprobe's syscall profiles (and any with the same sample types) end in the syscall itself.
  const syscallLeaves = isSyscallProfileTypes(sampleTypes);
  const syscallFrameIds = new Map<number, number>();

  // Pass 3: samples, one at a time into the builder, which merges equal stacks: a million equal samples hold one.
  let n = 0;
  eachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field !== 2) return;
    const sample = decodeSample(bytes, start, end, budget);
    if (sample.values.length !== sampleTypes.length) {
      throw fail(`sample ${n + 1} has ${sample.values.length} values for ${sampleTypes.length} sample types`);
    }
    const stack: number[] = [];
    for (let i = sample.locationIds.length - 1; i >= 0; i--) {
      const id = toNumber(sample.locationIds[i]!);
      const ids = framesOf(id);
      if (ids === undefined) throw fail(`sample ${n + 1} refers to location ${id}, which does not exist`);
      if (typeof ids === 'number') {
        stack.push(ids);
        continue;
      }
      // Inlined lines multiply: a location of 100k lines used 10k times is a billion frames.
      budget.checkStack(stack.length + ids.length);
      // One at a time: spreading a location of 100k inlined lines would overflow the call stack.
      for (const frameId of ids) stack.push(frameId);
    }
    if (syscallLeaves && stack.length > 0) {
      const leaf = stack[stack.length - 1]!;
      let id = syscallFrameIds.get(leaf);
      if (id === undefined) {
        id = intern({ ...frames[leaf]!, kind: 'syscall' });
        syscallFrameIds.set(leaf, id);
      }
      stack[stack.length - 1] = id;
    }
    const before = builder.sampleCount;
    builder.addStack(stack, sample.values.map((v, i) => sampleValue(v, n, i, fail)), labelsOf(sample.labels, str));
    if (builder.sampleCount > before) budget.addStack(stack.length);
    n++;
  });

  return builder.build({
    ...(periodType ? { period: { type: { type: str(periodType.type, 'period_type'), unit: str(periodType.unit, 'period_type') }, value: toNumber(scalar(12)) } } : {}),
    ...(toNumber(scalar(10)) ? { durationNanos: toNumber(scalar(10)) } : {}),
    ...(toNumber(scalar(9)) ? { timeNanos: toNumber(scalar(9)) } : {}),
    ...(comments.length ? { comments: comments.map((c) => str(c, 'comment')) } : {}),
  });
}

interface WireSample {
  locationIds: (number | bigint)[];
  values: (number | bigint)[];
  labels: pprof.Label[];
}

function decodeSample(buf: Uint8Array, start: number, end: number, budget: DecodeBudget): WireSample {
  const sample: WireSample = { locationIds: [], values: [], labels: [] };
  eachField(buf, start, end, (field, bodyStart, bodyEnd) => {
    if (field === 1) eachNumber(buf, bodyStart, bodyEnd, (v) => budget.checkStack(sample.locationIds.push(v)));
    else if (field === 2) eachNumber(buf, bodyStart, bodyEnd, (v) => sample.values.push(v));
    else if (field === 3) sample.labels.push(pprof.Label.decode(buf.subarray(bodyStart, bodyEnd)));
  });
  return sample;
}

// pprof's rule: default_sample_type names a type; when unset (or unknown) consumers use the last one.
function defaultTypeIndex(types: readonly SampleType[], name: string): number {
  const named = name === '' ? -1 : types.findIndex((t) => t.type === name);
  return named >= 0 ? named : Math.max(0, types.length - 1);
}

// Places of functions or locations by id. Producers number them 1, 2, 3… in file order (pprof-format, Go), which
// needs no map: a million locations in a Map took ~30 MB plus its growth; other numberings fall back to one.
class IdIndex {
  private size = 0;
  private byId: Map<number, number> | undefined;

  constructor(
    private readonly what: string,
    private readonly fail: Fail,
  ) {}

  /** Records the next item's id; refuses 0 and duplicates. */
  add(id: number): void {
    if (id === 0) throw this.fail(`a ${this.what} with id 0`);
    if (this.byId === undefined && id === this.size + 1) {
      this.size++;
      return;
    }
    if (this.byId === undefined) this.byId = new Map(Array.from({ length: this.size }, (_, i) => [i + 1, i]));
    if (this.byId.has(id)) throw this.fail(`two ${this.what}s with id ${id}`);
    this.byId.set(id, this.size++);
  }

  /** The place of the item with this id, or undefined. */
  get(id: number): number | undefined {
    if (this.byId !== undefined) return this.byId.get(id);
    return Number.isInteger(id) && id >= 1 && id <= this.size ? id - 1 : undefined;
  }
}

function uniqueId(id: number, seen: Map<number, unknown>, what: string, fail: Fail): number {
  if (id === 0) throw fail(`a ${what} with id 0`);
  if (seen.has(id)) throw fail(`two ${what}s with id ${id}`);
  return id;
}

function frame(name: string, module: string | undefined, address: number, inlined: boolean, file = '', line = 0): Frame {
  const kind = frameKind(module, address);
  return {
    name,
    ...(module ? { module } : {}),
    ...(kind ? { kind } : {}),
    ...(inlined ? { inlined } : {}),
    ...(address ? { address } : {}),
    ...(file ? { file } : {}),
    ...(line > 0 ? { line } : {}),
  };
}

// perf_to_profile and similar name the kernel mapping `[kernel.kallsyms]` (or the vmlinux path);
// JIT code comes from perf's /tmp/perf-<pid>.map symbol files.
function frameKind(module: string | undefined, address: number): FrameKind | undefined {
  if (module !== undefined && (/^\[kernel/.test(module) || /(^|\/)vmlinux/.test(module))) return 'kernel';
  if (module === undefined && address >= 0xffff800000000000) return 'kernel';
  if (module !== undefined && /(^|\/)perf-\d+\.map$|^\[jit/i.test(module)) return 'jit';
  return undefined;
}

function labelsOf(labels: readonly pprof.Label[], str: (i: number | bigint, what: string) => string): Record<string, LabelValue> | undefined {
  if (labels.length === 0) return undefined;
  const out: Record<string, LabelValue> = {};
  for (const label of labels) {
    const key = str(label.key, 'label');
    // Several values for one key are "strongly discouraged" by profile.proto; the first one wins.
    if (key in out) continue;
    const text = str(label.str, 'label');
    const isNumber = text === '' && (toNumber(label.num) !== 0 || toNumber(label.numUnit) !== 0);
    out[key] = isNumber ? toNumber(label.num) : text;
  }
  return out;
}
