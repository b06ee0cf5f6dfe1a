// Model -> profile.proto bytes (raw protobuf; the CLI and capture gzip them at the output edge).
// Reference: https://github.com/google/pprof/blob/a8630aee/proto/profile.proto
// Readers: `go tool pprof`, Pyroscope, Parca (which wants ids sequential from 1 and valid string indexes).
import * as pprof from 'pprof-format';
import type { Frame, LabelValue, Profile, SampleType } from '../model/profile.js';

// Numeric label units pprof understands; a key without one (tid, pid) is a plain number.
const LABEL_UNITS: Readonly<Record<string, string>> = { bytes: 'bytes' };

/** Serializes a profile as an uncompressed profile.proto message. */
export function toPprof(profile: Profile): Uint8Array {
  const strings = new pprof.StringTable();
  const mappings = new IdTable<string, pprof.Mapping>();
  const functions = new IdTable<string, pprof.Function>();
  const locations = new IdTable<string, pprof.Location>();

  const mappingId = (module: string | undefined): number =>
    module === undefined ? 0 : mappings.id(module, (id) => createMapping(id, strings.dedup(module)));

  const functionId = (frame: Frame): number =>
    functions.id(`${frame.name}\u0000${frame.file ?? ''}`, (id) =>
      new pprof.Function({ id, name: strings.dedup(frame.name), systemName: strings.dedup(frame.name), filename: strings.dedup(frame.file ?? '') }),
    );

  // One location per physical frame and the frames inlined into it; its lines list the innermost
  // inlined callee first, so a leaf-first walk of location ids replays the stack.
  const locationId = (run: readonly number[]): number =>
    locations.id(run.join(','), (id) => {
      const physical = profile.frames[run[0]!]!;
      return new pprof.Location({
        id,
        mappingId: mappingId(physical.module),
        address: physical.address ?? 0,
        line: run
          .map((f) => profile.frames[f]!)
          .reverse()
          .map((f) => new pprof.Line({ functionId: functionId(f), line: f.line ?? 0 })),
      });
    });

  const sampleType = profile.sampleTypes.map((t) => createValueType(strings, t));
  const sample = profile.stacks.map(
    (stack) =>
      new pprof.Sample({
        locationId: inlineRuns(profile, stack.frames).map(locationId).reverse(),
        value: stack.values.map((v) => Math.round(v)),
        label: Object.entries(stack.labels ?? {}).map(([key, value]) => createLabel(strings, key, value)),
      }),
  );
  const defaultType = profile.sampleTypes[profile.defaultSampleType];

  return new pprof.Profile({
    sampleType,
    sample,
    mapping: mappings.values(),
    location: locations.values(),
    function: functions.values(),
    stringTable: strings,
    ...(defaultType ? { defaultSampleType: strings.dedup(defaultType.type) } : {}),
    ...(profile.period ? { periodType: createValueType(strings, profile.period.type), period: Math.round(profile.period.value) } : {}),
    ...(profile.durationNanos ? { durationNanos: Math.round(profile.durationNanos) } : {}),
    ...(profile.timeNanos ? { timeNanos: Math.round(profile.timeNanos) } : {}),
    ...(profile.comments?.length ? { comment: profile.comments.map((c) => strings.dedup(c)) } : {}),
  }).encode();
}

// Splits a root-first stack into runs: a physical frame followed by the frames inlined into it.
function inlineRuns(profile: Profile, frames: readonly number[]): number[][] {
  const runs: number[][] = [];
  for (const f of frames) {
    const last = runs[runs.length - 1];
    if (last && profile.frames[f]!.inlined) last.push(f);
    else runs.push([f]);
  }
  return runs;
}

function createValueType(strings: pprof.StringTable, t: SampleType): pprof.ValueType {
  return new pprof.ValueType({ type: strings.dedup(t.type), unit: strings.dedup(t.unit) });
}

// Frames arrive symbolized; the has_* flags stop pprof from trying to symbolize them again from binaries.
function createMapping(id: number, filename: number): pprof.Mapping {
  return new pprof.Mapping({ id, filename, hasFunctions: true, hasFilenames: true, hasLineNumbers: true, hasInlineFrames: true });
}

function createLabel(strings: pprof.StringTable, key: string, value: LabelValue): pprof.Label {
  if (typeof value === 'string') return new pprof.Label({ key: strings.dedup(key), str: strings.dedup(value) });
  const unit = LABEL_UNITS[key];
  return new pprof.Label({ key: strings.dedup(key), num: Math.round(value), ...(unit ? { numUnit: strings.dedup(unit) } : {}) });
}

// Interns protobuf messages by key with ids 1, 2, 3… (0 means "none" in profile.proto).
class IdTable<K, V> {
  private readonly ids = new Map<K, number>();
  private readonly items: V[] = [];

  id(key: K, create: (id: number) => V): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.items.length + 1;
      this.ids.set(key, id);
      this.items.push(create(id));
    }
    return id;
  }

  values(): V[] {
    return this.items;
  }
}
