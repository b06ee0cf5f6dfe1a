// The pprof wire format walked against profile.proto's schema, without decoding it: tells a pprof from text and
// junk (looksLikePprof, run on every input's first bytes) and checks a whole profile before pprof.ts decodes it.
// Reference: https://github.com/google/pprof/blob/a8630aee/proto/profile.proto

/** True when the (decompressed) bytes look like a serialized profile.proto. */
export function looksLikePprof(bytes: Uint8Array): boolean {
  // Text can spell a few Profile fields (`2` string, `H` time_nanos, `p` default_sample_type…) but never
  // a ValueType, whose tags 0x08/0x10 are control bytes; every profile with a sample type holds one.
  return hasControlBytes(bytes) && walkMessage(bytes, 0, bytes.length, 'Profile', 'head') === null;
}

/** What a profile declares, counted by the wire walk. */
export interface Tally {
  strings: number;
  stringBytes: number;
  /** The longest string: its length and where its field starts. */
  longest: { bytes: number; at: number };
  Mapping: number;
  Function: number;
  Location: number;
  Line: number;
}

export function newTally(): Tally {
  return { strings: 0, stringBytes: 0, longest: { bytes: 0, at: 0 }, Mapping: 0, Function: 0, Location: 0, Line: 0 };
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

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;
// Complete fields a head of bytes must hold before its last field may run past the end: one (the first
// sample_type), so a profile whose first sample is larger than the sniffed head is still recognised.
const PREFIX_FIELDS = 1;

/** Reads a varint at `pos`; returns [value, next position] or null when it does not end before `end`. */
export function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] | null {
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
export function walkMessage(buf: Uint8Array, start: number, end: number, name: MessageName, mode: WalkMode, tally?: Tally): string | null {
  const schema = SCHEMA[name];
  if (tally && name in tally) tally[name as keyof Tally & MessageName]++;
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
      if (tally && kind === 'string') {
        tally.strings++;
        tally.stringBytes += value[0];
        if (value[0] > tally.longest.bytes) tally.longest = { bytes: value[0], at: tagAt };
      }
      const problem = kind === undefined || kind === 'string' || kind === 'varint' ? null : walkBody(buf, pos, bodyEnd, kind, mode, tally);
      if (problem) return problem;
      pos = bodyEnd;
    }
  }
  return null;
}

function walkBody(buf: Uint8Array, start: number, end: number, kind: MessageName | 'packed', mode: WalkMode, tally?: Tally): string | null {
  if (kind !== 'packed') return walkMessage(buf, start, end, kind, mode, tally);
  for (let pos = start; pos < end; ) {
    const v = readVarint(buf, pos, end);
    if (!v) return `truncated: a packed number at byte ${pos}`;
    pos = v[1];
  }
  return null;
}

// Runs once per input over its sniffed head (64 KiB, run/input.ts SNIFF_BYTES), before the engine has compiled
// anything: a JavaScript loop over the bytes cost 2-4 ms there (node --cpu-prof of `netprobe convert`); a regular
// expression over the latin1 text of the same bytes runs as native code from the start.
// eslint-disable-next-line no-control-regex -- control bytes are exactly what this looks for
const CONTROL_BYTE = /[\x00-\x08\x0e-\x1f]/;

function hasControlBytes(bytes: Uint8Array): boolean {
  return CONTROL_BYTE.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}
