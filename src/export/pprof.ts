// Model -> profile.proto bytes (raw protobuf; the CLI and capture gzip them at the output edge).
// Reference: https://github.com/google/pprof/blob/a8630aee/proto/profile.proto
// Readers: `go tool pprof`, Pyroscope, Parca (which wants ids sequential from 1 and valid string indexes).
//
// Written straight to the wire rather than through pprof-format's message objects, which held every sample,
// location, line and function as objects at once (27 s and 1.47 GB for a million distinct stacks): one pass over
// the stacks gives every location, function, mapping and string its id (in the order pprof-format's serializer
// gave them), a second measures the message and a third writes it into one buffer of exactly that size. What is
// held besides the profile is ids: typed arrays per frame, one string table, small maps.
import type { Frame, LabelValue, Profile, SampleType } from '../model/profile.js';
import { StringKeyedIds, stringHash } from '../model/string-ids.js';

// Numeric label units pprof understands; a key without one (tid, pid) is a plain number.
const LABEL_UNITS: Readonly<Record<string, string>> = { bytes: 'bytes' };

/** Serializes a profile as an uncompressed profile.proto message. */
export function toPprof(profile: Profile): Uint8Array {
  const ids = new ProfileIds(profile);
  const sampleTypes = profile.sampleTypes.map((t) => ids.valueType(t));
  const stacks = profile.stacks;
  const scratch = new Scratch();
  for (let s = 0; s < stacks.count; s++) {
    stackLocations(profile, ids, s, scratch);
    const labels = stacks.labels(s);
    if (labels) for (const [key, value] of Object.entries(labels)) ids.label(key, value);
  }
  const defaultType = profile.sampleTypes[profile.defaultSampleType];
  const scalars: Scalars = {
    defaultSampleType: defaultType ? ids.strings.id(defaultType.type) : 0,
    periodType: profile.period ? ids.valueType(profile.period.type) : undefined,
    period: profile.period ? Math.round(profile.period.value) : 0,
    durationNanos: profile.durationNanos ? Math.round(profile.durationNanos) : 0,
    timeNanos: profile.timeNanos ? Math.round(profile.timeNanos) : 0,
    comments: (profile.comments ?? []).map((c) => ids.strings.id(c)),
  };

  const encoder = new ProfileEncoder(profile, ids, sampleTypes, scalars);
  const sink = new Measure();
  encoder.encode(sink);
  const out = new Writer(Buffer.alloc(sink.size));
  encoder.encode(out);
  // A Buffer ignores writes past its end: a measure that disagreed with the writing would cut the profile short.
  if (out.written !== sink.size) throw new Error(`pprof encoding wrote ${out.written} bytes of the ${sink.size} measured`);
  return out.buf;
}

interface Scalars {
  defaultSampleType: number;
  periodType: [number, number] | undefined;
  period: number;
  durationNanos: number;
  timeNanos: number;
  comments: number[];
}

// Splits root-first stack s into runs: a physical frame followed by the frames inlined into it. One location per
// run; its lines list the innermost inlined callee first, so a leaf-first walk of location ids replays the stack.
// Fills `out` with the runs' location ids, leaf first (made the first time a run is seen).
function stackLocations(profile: Profile, ids: ProfileIds, s: number, out: Scratch): void {
  const { frameIds } = profile.stacks;
  const start = profile.stacks.start(s);
  const end = profile.stacks.end(s);
  out.clear();
  for (let k = start; k < end; ) {
    let runEnd = k + 1;
    while (runEnd < end && profile.frames[frameIds[runEnd]!]!.inlined) runEnd++;
    out.push(ids.location(frameIds, k, runEnd));
    k = runEnd;
  }
  out.reverse();
}

/**
 * Numbers reused from one stack to the next: an array whose first `length` items count. (An array emptied with
 * `length = 0` lets its storage go, so a million stacks made a million arrays again; a typed array's numbers
 * were boxed on their way to the writer.)
 */
class Scratch {
  readonly items: number[] = [];
  length = 0;

  clear(): void {
    this.length = 0;
  }

  push(n: number): void {
    this.items[this.length++] = n;
  }

  reverse(): void {
    const items = this.items;
    for (let i = 0, j = this.length - 1; i < j; i++, j--) {
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }
}

// ---- Ids ---------------------------------------------------------------------------------------------------

/** The string table: index 0 is the empty string. */
class StringTable {
  readonly strings: string[] = [''];
  private readonly ids = new StringKeyedIds((id) => this.strings[id]!);

  constructor() {
    this.ids.add(0);
  }

  id(s: string): number {
    const hash = stringHash(s);
    let id = this.ids.get(s, hash);
    if (id < 0) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.add(id, hash);
    }
    return id;
  }
}

/** Ids from 1 (0 means "none" in profile.proto) for every mapping, function and location the stacks use. */
class ProfileIds {
  readonly strings = new StringTable();
  /** Mapping id - 1 -> filename string id. */
  readonly mappings: number[] = [];
  private readonly mappingIds = new Map<string, number>();
  /**
   * Function id - 1 -> name and filename string ids. Sized for the most there can be (a function per frame):
   * arrays of a million grown by push left their old copies as garbage.
   */
  readonly functionNames: Int32Array;
  readonly functionFiles: Int32Array;
  functionCount = 0;
  private readonly functionOfFrame: Int32Array;
  // Function ids by name string id (functions without a file: most), else by `name,file` string ids.
  private functionOfName = new Int32Array(1024);
  private readonly functionIds = new Map<string, number>();
  /** Location id - 1 -> its frame id (>= 0) when it is one frame, else -1 - the index of its run in `runs`. */
  locations: Int32Array;
  locationCount = 0;
  readonly runs: number[][] = [];
  private readonly locationOfFrame: Int32Array;
  private readonly runIds = new Map<string, number>();

  constructor(private readonly profile: Profile) {
    this.functionOfFrame = new Int32Array(profile.frames.length);
    this.functionNames = new Int32Array(profile.frames.length);
    this.locations = new Int32Array(profile.frames.length);
    this.functionFiles = new Int32Array(profile.frames.length);
    this.locationOfFrame = new Int32Array(profile.frames.length);
  }

  valueType(t: SampleType): [number, number] {
    return [this.strings.id(t.type), this.strings.id(t.unit)];
  }

  /** The location of the run of frames `frameIds[start..end)` (a physical frame and the frames inlined into it). */
  location(frameIds: Int32Array, start: number, end: number): number {
    if (end - start === 1) {
      const frame = frameIds[start]!;
      const id = this.locationOfFrame[frame]!;
      if (id !== 0) return id;
      const created = (this.locationOfFrame[frame] = this.newLocation(frame, frame));
      this.function(frame);
      return created;
    }
    const run = Array.from(frameIds.subarray(start, end));
    const key = run.join(',');
    const id = this.runIds.get(key);
    if (id !== undefined) return id;
    const created = this.newLocation(run, run[0]!);
    for (let i = run.length - 1; i >= 0; i--) this.function(run[i]!);
    this.runIds.set(key, created);
    return created;
  }

  mappingOf(frame: Frame): number {
    return frame.module === undefined ? 0 : this.mappingIds.get(frame.module)!;
  }

  functionOf(frameId: number): number {
    return this.functionOfFrame[frameId]!;
  }

  label(key: string, value: LabelValue): void {
    this.strings.id(key);
    if (typeof value === 'string') this.strings.id(value);
    else if (LABEL_UNITS[key]) this.strings.id(LABEL_UNITS[key]);
  }

  // A location's id, then its mapping's, then its functions' (innermost first, by the caller): the order
  // pprof-format gave ids and strings.
  private newLocation(stored: number | number[], physicalFrame: number): number {
    const id = ++this.locationCount;
    if (id > this.locations.length) {
      const grown = new Int32Array(2 * id);
      grown.set(this.locations);
      this.locations = grown;
    }
    if (typeof stored === 'number') this.locations[id - 1] = stored;
    else {
      this.locations[id - 1] = -1 - this.runs.length;
      this.runs.push(stored);
    }
    const physical = this.profile.frames[physicalFrame]!;
    if (physical.module !== undefined && !this.mappingIds.has(physical.module)) {
      this.mappingIds.set(physical.module, this.mappings.length + 1);
      this.mappings.push(this.strings.id(physical.module));
    }
    return id;
  }

  // Functions are a name and a source file; frames differing only in address or line share one.
  private function(frameId: number): void {
    if (this.functionOfFrame[frameId] !== 0) return;
    const frame = this.profile.frames[frameId]!;
    const name = this.strings.id(frame.name);
    const file = this.strings.id(frame.file ?? '');
    let id = file === 0 ? this.functionOfName[name] : this.functionIds.get(`${name},${file}`);
    if (!id) {
      id = ++this.functionCount;
      this.functionNames[id - 1] = name;
      this.functionFiles[id - 1] = file;
      if (file !== 0) this.functionIds.set(`${name},${file}`, id);
      else {
        if (name >= this.functionOfName.length) {
          const grown = new Int32Array(Math.max(name + 1, this.functionOfName.length * 2));
          grown.set(this.functionOfName);
          this.functionOfName = grown;
        }
        this.functionOfName[name] = id;
      }
    }
    this.functionOfFrame[frameId] = id;
  }
}

// ---- Wire ------------------------------------------------------------------------------------------------

const VARINT = 0;
const LEN = 2;

/** Where encoded bytes go: a size count, or a buffer. */
interface Sink {
  varint(n: number): void;
  /** A string's UTF-8 bytes, `bytes` long. */
  utf8(s: string, bytes: number): void;
}

class Measure implements Sink {
  size = 0;

  varint(n: number): void {
    this.size += varintSize(n);
  }

  utf8(_s: string, bytes: number): void {
    this.size += bytes;
  }
}

class Writer implements Sink {
  private pos = 0;

  constructor(readonly buf: Buffer) {}

  /** Bytes written so far (more than buf holds if the measure was short). */
  get written(): number {
    return this.pos;
  }

  varint(n: number): void {
    if (n < 0) {
      // int64 as two's complement: ten bytes.
      let big = BigInt.asUintN(64, BigInt(n));
      while (big >= 0x80n) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return;
    }
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  utf8(s: string, bytes: number): void {
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
  }
}

function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

// Sizes of the pieces of a message, as pprof-format writes them: fields equal to 0 and empty repeated fields left
// out, packed repeated numbers.
const numberField = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));
const messageField = (length: number): number => 1 + varintSize(length) + length;

function packedSize(values: readonly number[] | Scratch): number {
  if (values instanceof Scratch) {
    let size = 0;
    for (let i = 0; i < values.length; i++) size += varintSize(values.items[i]!);
    return size;
  }
  let size = 0;
  for (const v of values) size += varintSize(v);
  return size;
}

function writeNumber(sink: Sink, field: number, n: number): void {
  if (n === 0) return;
  sink.varint((field << 3) | VARINT);
  sink.varint(n);
}

function writePacked(sink: Sink, field: number, values: readonly number[] | Scratch): void {
  if (values.length === 0) return;
  sink.varint((field << 3) | LEN);
  sink.varint(packedSize(values));
  if (values instanceof Scratch) for (let i = 0; i < values.length; i++) sink.varint(values.items[i]!);
  else for (const v of values) sink.varint(v);
}

function writeHeader(sink: Sink, field: number, length: number): void {
  sink.varint((field << 3) | LEN);
  sink.varint(length);
}

class ProfileEncoder {
  constructor(
    private readonly profile: Profile,
    private readonly ids: ProfileIds,
    private readonly sampleTypes: readonly [number, number][],
    private readonly scalars: Scalars,
  ) {}

  encode(sink: Sink): void {
    const { profile, ids, scalars } = this;
    for (const t of this.sampleTypes) this.valueType(sink, 1, t);
    const stacks = profile.stacks;
    const types = stacks.sampleTypeCount;
    // Reused for every stack: a million stacks' arrays were garbage the collector had to keep up with.
    const locationIds = new Scratch();
    const values = new Scratch();
    const packed = (list: Scratch) => (list.length === 0 ? 0 : messageField(packedSize(list)));
    for (let s = 0; s < stacks.count; s++) {
      stackLocations(profile, ids, s, locationIds);
      values.clear();
      for (let t = 0; t < types; t++) values.push(Math.round(stacks.valueData[s * types + t]!));
      const stackLabels = stacks.labels(s);
      if (!stackLabels) {
        writeHeader(sink, 2, packed(locationIds) + packed(values));
        writePacked(sink, 1, locationIds);
        writePacked(sink, 2, values);
        continue;
      }
      const labels = Object.entries(stackLabels).map(([key, value]) => this.label(key, value));
      const length = packed(locationIds) + packed(values) + labels.reduce((sum, l) => sum + messageField(labelSize(l)), 0);
      writeHeader(sink, 2, length);
      writePacked(sink, 1, locationIds);
      writePacked(sink, 2, values);
      for (const l of labels) {
        writeHeader(sink, 3, labelSize(l));
        for (let field = 1; field <= 4; field++) writeNumber(sink, field, l[field - 1]!);
      }
    }
    for (const [i, filename] of ids.mappings.entries()) {
      const fields = [i + 1, 0, 0, 0, filename, 0, 1, 1, 1, 1];
      writeHeader(sink, 3, fields.reduce((sum, n) => sum + numberField(n), 0));
      fields.forEach((n, f) => writeNumber(sink, f + 1, n));
    }
    for (let i = 0; i < ids.locationCount; i++) {
      const stored = ids.locations[i]!;
      this.location(sink, i + 1, stored >= 0 ? stored : ids.runs[-1 - stored]!);
    }
    for (let i = 0; i < ids.functionCount; i++) {
      const name = ids.functionNames[i]!;
      const file = ids.functionFiles[i]!;
      writeHeader(sink, 5, numberField(i + 1) + 2 * numberField(name) + numberField(file));
      writeNumber(sink, 1, i + 1);
      writeNumber(sink, 2, name);
      writeNumber(sink, 3, name);
      writeNumber(sink, 4, file);
    }
    const strings = ids.strings.strings;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i]!;
      const bytes = Buffer.byteLength(s, 'utf8');
      writeHeader(sink, 6, bytes);
      sink.utf8(s, bytes);
    }
    writeNumber(sink, 9, scalars.timeNanos);
    writeNumber(sink, 10, scalars.durationNanos);
    if (scalars.periodType) this.valueType(sink, 11, scalars.periodType);
    writeNumber(sink, 12, scalars.period);
    writePacked(sink, 13, scalars.comments);
    writeNumber(sink, 14, scalars.defaultSampleType);
  }

  private valueType(sink: Sink, field: number, [type, unit]: readonly [number, number]): void {
    writeHeader(sink, field, numberField(type) + numberField(unit));
    writeNumber(sink, 1, type);
    writeNumber(sink, 2, unit);
  }

  // [key, str, num, num_unit]
  private label(key: string, value: LabelValue): [number, number, number, number] {
    const strings = this.ids.strings;
    if (typeof value === 'string') return [strings.id(key), strings.id(value), 0, 0];
    const unit = LABEL_UNITS[key];
    return [strings.id(key), 0, Math.round(value), unit ? strings.id(unit) : 0];
  }

  // A location of one frame is stored as its frame id, of an inlined run as the run's frame ids.
  private location(sink: Sink, id: number, run: number | readonly number[]): void {
    const count = typeof run === 'number' ? 1 : run.length;
    const frameAt = (k: number) => (typeof run === 'number' ? run : run[k]!);
    const physical = this.profile.frames[frameAt(0)]!;
    const mapping = this.ids.mappingOf(physical);
    const address = physical.address ?? 0;
    // Lines: innermost inlined callee first; one with neither function nor line is left out.
    let length = numberField(id) + numberField(mapping) + numberField(address);
    for (let k = count - 1; k >= 0; k--) {
      const size = this.lineSize(frameAt(k));
      if (size !== 0) length += messageField(size);
    }
    writeHeader(sink, 4, length);
    writeNumber(sink, 1, id);
    writeNumber(sink, 2, mapping);
    writeNumber(sink, 3, address);
    for (let k = count - 1; k >= 0; k--) {
      const frame = frameAt(k);
      const size = this.lineSize(frame);
      if (size === 0) continue;
      writeHeader(sink, 4, size);
      writeNumber(sink, 1, this.ids.functionOf(frame));
      writeNumber(sink, 2, this.profile.frames[frame]!.line ?? 0);
    }
  }

  private lineSize(frame: number): number {
    return numberField(this.ids.functionOf(frame)) + numberField(this.profile.frames[frame]!.line ?? 0);
  }
}

function labelSize(l: readonly number[]): number {
  return l.reduce((sum, n) => sum + numberField(n), 0);
}
