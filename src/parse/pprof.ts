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
import { ParseError } from '../model/errors.js';
import { ProfileBuilder, type Frame, type FrameKind, type LabelValue, type Profile, type SampleType } from '../model/profile.js';
import { isSyscallProfileTypes, syscallsFromProfile } from '../model/syscall-profile.js';
import type { ParseResult } from './types.js';

const EXPECTED = 'a pprof profile (profile.proto)';

/** True when the (decompressed) bytes look like a serialized profile.proto. */
export function looksLikePprof(bytes: Uint8Array): boolean {
  // Text can spell a few Profile fields (`2` string, `H` time_nanos, `p` default_sample_type…) but never
  // a ValueType, whose tags 0x08/0x10 are control bytes; every profile with a sample type holds one.
  return hasControlBytes(bytes) && walkMessage(bytes, 0, bytes.length, 'Profile', 'head') === null;
}

export function parsePprof(bytes: Uint8Array, file: string): ParseResult {
  if (bytes.length === 0) throw new ParseError(file, 1, EXPECTED, '<empty file>');
  const problem = walkMessage(bytes, 0, bytes.length, 'Profile', 'whole');
  if (problem !== null) throw new ParseError(file, 1, EXPECTED, problem);
  // The wire structure is valid, so pprof-format's lenient decoder cannot misread it.
  const decoded = pprof.Profile.decode(bytes);
  const profile = toModel(decoded, (message) => new ParseError(file, 1, EXPECTED, message));
  const syscalls = syscallsFromProfile(profile);
  return syscalls ? { format: 'pprof', profile, syscalls } : { format: 'pprof', profile };
}

// ---- Wire-level validation --------------------------------------------------------------------------
// pprof-format checks nothing: a truncated length silently shortens a message, and fixed32/fixed64
// fields throw a bare Error. Walking the wire format first against the schema turns any
// structural problem into one ParseError and lets the detector reject text and junk.

// `packed`: a repeated number, packed (length-delimited) or one varint per element (Go writes both).
type FieldKind = 'varint' | 'packed' | 'string' | MessageName;
type MessageName = 'Profile' | 'ValueType' | 'Sample' | 'Label' | 'Mapping' | 'Location' | 'Line' | 'Function';

const varints = (...fields: number[]): Record<number, FieldKind> => Object.fromEntries(fields.map((f) => [f, 'varint']));

const SCHEMA: Record<MessageName, Record<number, FieldKind>> = {
  Profile: {
    1: 'ValueType', 2: 'Sample', 3: 'Mapping', 4: 'Location', 5: 'Function', 6: 'string',
    ...varints(7, 8, 9, 10, 12, 14, 15), 11: 'ValueType', 13: 'packed',
  },
  ValueType: varints(1, 2),
  Sample: { 1: 'packed', 2: 'packed', 3: 'Label' },
  Label: varints(1, 2, 3, 4),
  Mapping: varints(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
  Location: { ...varints(1, 2, 3, 5), 4: 'Line' },
  Line: varints(1, 2, 3),
  Function: varints(1, 2, 3, 4, 5),
};

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
// Complete fields a head of bytes must hold before its last field may run past the end: one (the first
// sample_type), so a profile whose first sample is larger than the sniffed head is still recognised.
const PREFIX_FIELDS = 1;

/** Reads a varint at `pos`; returns [value, next position] or null when it does not end before `end`. */
function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos < end; i++) {
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, pos];
  }
  return null;
}

/**
 * `whole`: the bytes are a complete message; fields profile.proto does not define are skipped, as
 * protobuf readers do. `head`: the bytes may be only the start of a file, so the last top-level field may
 * run past their end (once PREFIX_FIELDS fields were complete), and, to tell pprof from text and junk,
 * undefined fields are refused.
 */
type WalkMode = 'whole' | 'head';

/** Checks that buf[start, end) is a well-formed `name` message; returns null or what is wrong. */
function walkMessage(buf: Uint8Array, start: number, end: number, name: MessageName, mode: WalkMode): string | null {
  const schema = SCHEMA[name];
  let fields = 0;
  const cut = (problem: string) => (mode === 'head' && name === 'Profile' && fields >= PREFIX_FIELDS ? null : `truncated: ${problem}`);
  for (let pos = start; pos < end; fields++) {
    const tagAt = pos;
    const tag = readVarint(buf, pos, end);
    if (!tag) return cut(`a field tag of ${name} at byte ${tagAt}`);
    pos = tag[1];
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    const kind = schema[field];
    // pprof-format reads a tag as one byte, so fields from 16 on would be misread rather than skipped.
    if (field === 0 || field > 15 || (kind === undefined && mode === 'head')) return `unknown field ${field} in ${name} at byte ${tagAt}`;
    if (wire !== WIRE_VARINT && wire !== WIRE_LEN) return `unsupported wire type ${wire} (field ${field} of ${name}) at byte ${tagAt}`;
    if (kind !== undefined && kind !== 'packed' && wire !== (kind === 'varint' ? WIRE_VARINT : WIRE_LEN)) {
      return `wrong wire type ${wire} for field ${field} of ${name} at byte ${tagAt}`;
    }
    const value = readVarint(buf, pos, end);
    if (!value) return cut(`field ${field} of ${name} at byte ${tagAt}`);
    pos = value[1];
    if (wire === WIRE_LEN) {
      const bodyEnd = pos + value[0];
      if (bodyEnd > end) return cut(`field ${field} of ${name} at byte ${tagAt} needs ${value[0]} bytes, ${end - pos} left`);
      const problem = kind === undefined || kind === 'string' || kind === 'varint' ? null : walkBody(buf, pos, bodyEnd, kind, mode);
      if (problem) return problem;
      pos = bodyEnd;
    }
  }
  return null;
}

function walkBody(buf: Uint8Array, start: number, end: number, kind: MessageName | 'packed', mode: WalkMode): string | null {
  if (kind !== 'packed') return walkMessage(buf, start, end, kind, mode);
  for (let pos = start; pos < end; ) {
    const v = readVarint(buf, pos, end);
    if (!v) return `truncated: a packed number at byte ${pos}`;
    pos = v[1];
  }
  return null;
}

// Runs once per input over its first read (up to 256 KiB), before the engine has compiled anything: a JavaScript
// loop over the bytes cost 2-4 ms there (node --cpu-prof of `netprobe convert`); a regular expression over the
// latin1 text of the same bytes runs as native code from the start.
// eslint-disable-next-line no-control-regex -- control bytes are exactly what this looks for
const CONTROL_BYTE = /[\x00-\x08\x0e-\x1f]/;

function hasControlBytes(bytes: Uint8Array): boolean {
  return CONTROL_BYTE.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
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

function toModel(p: pprof.Profile, fail: Fail): Profile {
  const strings = p.stringTable.strings;
  if (strings.length > 0 && strings[0] !== '') throw fail(`string_table[0] = "${strings[0]}" (must be "")`);
  const str = (index: number | bigint, what: string): string => {
    const i = toNumber(index);
    if (i === 0) return '';
    const s = strings[i];
    if (s === undefined) throw fail(`${what} refers to string ${i}, but the string table has ${strings.length}`);
    return s;
  };

  const sampleTypes: SampleType[] = p.sampleType.map((t) => ({ type: str(t.type, 'sample_type'), unit: str(t.unit, 'sample_type') }));
  const builder = new ProfileBuilder(sampleTypes, defaultTypeIndex(sampleTypes, str(p.defaultSampleType, 'default_sample_type')));
  const frames: Frame[] = [];
  const intern = (f: Frame): number => {
    const id = builder.frameId(f);
    frames[id] = f;
    return id;
  };

  const mappings = new Map<number, string>();
  for (const m of p.mapping) mappings.set(uniqueId(toNumber(m.id), mappings, 'mapping', fail), str(m.filename, 'mapping'));
  const functions = new Map<number, { name: string; file: string }>();
  for (const f of p.function) {
    const name = str(f.name, 'function') || str(f.systemName, 'function') || '??';
    functions.set(uniqueId(toNumber(f.id), functions, 'function', fail), { name, file: str(f.filename, 'function') });
  }

  // Frame ids of each location, root first: line[0] is the innermost inlined callee, the last line the
  // function the code physically belongs to.
  // Frames are interned when a sample first uses a location, so unused locations add no frames.
  const locations = new Map<number, Frame[]>();
  for (const loc of p.location) {
    const id = uniqueId(toNumber(loc.id), locations, 'location', fail);
    const mappingId = toNumber(loc.mappingId);
    const module = mappingId === 0 ? undefined : mappings.get(mappingId);
    if (mappingId !== 0 && module === undefined) throw fail(`location ${id} refers to mapping ${mappingId}, which does not exist`);
    // Addresses are unsigned: a kernel address (0xffff...) is not a negative number.
    const address = Number(loc.address);
    const lines: Frame[] = loc.line.map((line, i) => {
      const fn = functions.get(toNumber(line.functionId));
      if (!fn) throw fail(`location ${id} refers to function ${toNumber(line.functionId)}, which does not exist`);
      return frame(fn.name, module, address, i < loc.line.length - 1, fn.file, toNumber(line.line));
    });
    // An unsymbolized location: name it by its exact address, as pprof does.
    if (lines.length === 0) lines.push(frame(`0x${loc.address.toString(16)}`, module, address, false));
    locations.set(id, lines.reverse());
  }
  const locationFrames = new Map<number, number[]>();

  // netprobe's syscall profiles (and any with the same sample types) end in the syscall itself.
  const syscallLeaves = isSyscallProfileTypes(sampleTypes);
  const syscallFrameIds = new Map<number, number>();

  for (const [n, sample] of p.sample.entries()) {
    if (sample.value.length !== sampleTypes.length) {
      throw fail(`sample ${n + 1} has ${sample.value.length} values for ${sampleTypes.length} sample types`);
    }
    const stack: number[] = [];
    for (let i = sample.locationId.length - 1; i >= 0; i--) {
      const id = toNumber(sample.locationId[i]!);
      let ids = locationFrames.get(id);
      if (!ids) {
        const lines = locations.get(id);
        if (!lines) throw fail(`sample ${n + 1} refers to location ${id}, which does not exist`);
        ids = lines.map(intern);
        locationFrames.set(id, ids);
      }
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
    builder.addStack(stack, sample.value.map((v, i) => sampleValue(v, n, i, fail)), labelsOf(sample.label, str));
  }

  return builder.build({
    ...(p.periodType ? { period: { type: { type: str(p.periodType.type, 'period_type'), unit: str(p.periodType.unit, 'period_type') }, value: toNumber(p.period) } } : {}),
    ...(toNumber(p.durationNanos) ? { durationNanos: toNumber(p.durationNanos) } : {}),
    ...(toNumber(p.timeNanos) ? { timeNanos: toNumber(p.timeNanos) } : {}),
    ...(p.comment.length ? { comments: p.comment.map((c) => str(c, 'comment')) } : {}),
  });
}

// pprof's rule: default_sample_type names a type; when unset (or unknown) consumers use the last one.
function defaultTypeIndex(types: readonly SampleType[], name: string): number {
  const named = name === '' ? -1 : types.findIndex((t) => t.type === name);
  return named >= 0 ? named : Math.max(0, types.length - 1);
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
