// The JSON shape of a syscall table, shared by `summary --json`, `convert --format json` and run.json.
import type { Frame, LabelValue, Profile, SampleType, StackTable } from '../model/profile.js';
import { utf8Chunks } from './chunks.js';
import type { SyscallRow, SyscallTable, SyscallTotals } from '../model/syscalls.js';

export interface SyscallsJson {
  syscalls: SyscallRow[];
  totals: SyscallTotals;
  threads: number | null;
  /** Calls still in flight when the capture ended, by syscall (part of `syscalls`); absent when the source cannot tell. */
  inFlight?: Record<string, number>;
}

export function syscallsJson(table: SyscallTable): SyscallsJson {
  return {
    syscalls: table.rows.map((r) => ({ name: r.name, calls: r.calls, errors: r.errors, errnos: { ...r.errnos }, seconds: r.seconds })),
    totals: { ...table.totals },
    threads: table.threads ?? null,
    ...(table.inFlight ? { inFlight: { ...table.inFlight } } : {}),
  };
}

export interface ProfileJson {
  sampleTypes: SampleType[];
  defaultSampleType: number;
  frames: { name: string; module?: string; kind?: string }[];
  stacks: { frames: number[]; values: number[]; labels?: Record<string, LabelValue> }[];
}

/**
 * The compact JSON form of a stack profile documented in the command's help, as one object: what
 * jsonDocumentChunks writes piece by piece (the tests hold one against the other).
 */
export function profileJson(profile: Profile): ProfileJson {
  return {
    sampleTypes: profile.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType: profile.defaultSampleType,
    frames: profile.frames.map(frameJson),
    stacks: Array.from({ length: profile.stacks.count }, (_, i) => stackJson(profile.stacks, i)),
  };
}

function frameJson(f: Frame): ProfileJson['frames'][number] {
  return { name: f.name, ...(f.module ? { module: f.module } : {}), ...(f.kind ? { kind: f.kind } : {}) };
}

function stackJson(stacks: StackTable, i: number): ProfileJson['stacks'][number] {
  const labels = stacks.labels(i);
  return { frames: Array.from(stacks.frames(i)), values: stacks.values(i), ...(labels ? { labels: { ...labels } } : {}) };
}

/**
 * `convert --format json`: exactly `JSON.stringify({ ...syscalls, profile: profileJson(profile) }, null, 2)` and a
 * newline, as UTF-8 chunks made as they are written. The frames and stacks are written one at a time, never all
 * as objects nor the text as one string: a million stacks took 1.3 GB that way.
 */
export function* jsonDocumentChunks(syscalls: SyscallsJson | undefined, profile: Profile | undefined): Generator<Uint8Array> {
  yield* utf8Chunks(jsonDocumentText(syscalls, profile));
}

function* jsonDocumentText(syscalls: SyscallsJson | undefined, profile: Profile | undefined): Generator<string> {
  const fields = Object.entries(syscalls ?? {}).filter(([, v]) => v !== undefined);
  if (!profile) {
    yield `${JSON.stringify(Object.fromEntries(fields), null, 2)}\n`;
    return;
  }
  yield '{\n';
  for (const [key, value] of fields) yield `  ${JSON.stringify(key)}: ${indented(value, '  ')},\n`;
  const sampleTypes = profile.sampleTypes.map((t) => ({ ...t }));
  yield `  "profile": {\n    "sampleTypes": ${indented(sampleTypes, '    ')},\n    "defaultSampleType": ${JSON.stringify(profile.defaultSampleType)},\n`;
  yield '    "frames": ';
  yield* jsonArray(profile.frames.length, (i) => frameJson(profile.frames[i]!));
  yield ',\n    "stacks": ';
  yield* jsonArray(profile.stacks.count, (i) => stackJson(profile.stacks, i));
  yield '\n  }\n}\n';
}

// An array of `count` elements at the profile's depth (its elements indented by 6 spaces), as JSON.stringify(…, null, 2) writes it.
function* jsonArray(count: number, element: (i: number) => unknown): Generator<string> {
  if (count === 0) {
    yield '[]';
    return;
  }
  yield '[\n';
  for (let i = 0; i < count; i++) yield `      ${indented(element(i), '      ')}${i < count - 1 ? ',\n' : '\n'}`;
  yield '    ]';
}

function indented(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`);
}
