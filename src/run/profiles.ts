// What the offline commands (convert, flame, diff, summary, check) take from a loaded input: its profile,
// its syscall table, and the encodings they write. The CLI renders and writes; this module decides.
import { foldedChunks, foldedStacks } from '../export/folded.js';
import { jsonDocumentChunks, syscallsJson, type SyscallsJson } from '../export/json.js';
import { NetprobeError } from '../model/errors.js';
import { sampleTypeIndex, type Profile } from '../model/profile.js';
import type { ModelVerdict } from '../model/run.js';
import { syscallsFromProfile, profileFromSyscalls } from '../model/syscall-profile.js';
import type { SyscallTable } from '../model/syscalls.js';
import type { InputFormat } from '../parse/types.js';
import {
  diffFolded,
  diffFoldedScaling,
  diffNormalisationOf,
  diffNormalisationWords,
  type DiffNormalisation,
  type DiffRow,
} from '../report/diff-folded.js';
import type { LoadedInput } from './input.js';
import type { OutputData } from './write.js';

/** The stacks to draw or convert: the input's profile, else one stack per syscall of its table. */
export function profileOf(loaded: LoadedInput): Profile {
  if (loaded.profile) return loaded.profile;
  if (loaded.syscalls) return profileFromSyscalls(loaded.syscalls);
  throw new NetprobeError('input', `${loaded.file} has neither stacks nor syscall counts to draw`);
}

/** A run directory's CPU or off-CPU profile (`convert --profile cpu|offcpu`). */
export function runProfileOf(loaded: LoadedInput, which: 'cpu' | 'offcpu'): Profile {
  const profile = which === 'cpu' ? loaded.meta?.cpuProfile : loaded.meta?.offcpuProfile;
  if (profile) return profile;
  if (loaded.format !== 'run') throw new NetprobeError('usage', `--profile ${which} applies to run directories; other inputs have one profile`);
  throw new NetprobeError('input', `${loaded.file}: the run has no ${which === 'cpu' ? 'CPU' : 'off-CPU'} profile (capture one with \`netprobe trace --${which}\`)`);
}

const WHAT_IT_IS: Partial<Record<InputFormat, string>> = {
  'perf-script': 'a perf script CPU profile',
  folded: 'folded stacks',
  pprof: 'a pprof profile without syscall sample types',
  run: 'a run directory without syscall counts',
};

/** The syscall table an input carries, directly or as a netprobe syscalls profile; a usage hint otherwise. */
export function syscallTableOf(loaded: LoadedInput): SyscallTable {
  const table = loaded.syscalls ?? (loaded.profile ? syscallsFromProfile(loaded.profile) : undefined);
  const negative = table?.rows.find((r) => r.calls < 0 || r.errors < 0);
  if (negative) {
    // pprof keeps negative values for differential profiles; as syscall counts they are nonsense.
    throw new NetprobeError('input', `${loaded.file}: ${negative.name} has a negative count (${negative.calls} calls, ${negative.errors} errors); syscall counts cannot be negative`, {
      hint: 'Is this a differential profile (go tool pprof -diff_base)? Compare the two runs with `netprobe compare` or `netprobe diff` instead.',
    });
  }
  if (table) return table;
  const what = WHAT_IT_IS[loaded.format] ?? loaded.format;
  throw new NetprobeError('input', `${loaded.file} has no syscall counts (it is ${what})`, {
    hint: loaded.profile ? `try \`netprobe flame ${loaded.file}\`` : undefined,
  });
}

/** `summary --json`: the syscalls/totals/threads/model fields of run.json. */
export function summaryJson(table: SyscallTable, threads: number | undefined, model: ModelVerdict): SyscallsJson & { model: ModelVerdict } {
  return { ...syscallsJson(table), threads: threads ?? null, model };
}

export type ConvertFormat = 'pprof' | 'folded' | 'json';

/**
 * `convert`: the bytes of `profile` (with `sampleType` as its default) in `format`. The pprof writer and
 * node:zlib are imported for that format only: every module loaded costs each run of the CLI.
 */
export async function encodeProfile(loaded: LoadedInput, profile: Profile, format: ConvertFormat, sampleType?: string): Promise<OutputData> {
  const typeIndex = sampleTypeIndex(profile, sampleType);
  const chosen: Profile = { ...profile, defaultSampleType: typeIndex };
  switch (format) {
    case 'pprof': {
      const [{ gzipSync }, { toPprof }] = await Promise.all([import('node:zlib'), import('../export/pprof.js')]);
      return gzipSync(toPprof(chosen));
    }
    case 'folded':
      return foldedChunks(chosen, typeIndex);
    case 'json':
      return jsonDocumentChunks(loaded.syscalls ? syscallsJson(loaded.syscalls) : undefined, loaded.profile ? chosen : undefined);
  }
}

export interface ProfileDiff {
  rows: DiffRow[];
  /** The sample type both sides were compared in. */
  sampleType: string;
  unit: string;
  /** How the base was scaled: per request when both sides know their request count, else by total (or not). */
  normalisation: DiffNormalisation;
  /** The same in words, for the page and stderr. */
  normalisationWords: string;
}

/** One side of a diff: its profile, the name shown in errors and, for run directories, the requests it served. */
export interface DiffSide {
  profile: Profile;
  name: string;
  requests?: number;
}

/**
 * `diff`: the folded difference of two profiles in a sample type both have. With `normalize`, the base is scaled
 * per request when both sides know their request count (a change that does the same work per request in more
 * calls must not make the unchanged paths look smaller), else to the new total.
 */
export function diffProfiles(base: DiffSide, next: DiffSide, options: { sampleType?: string; normalize: boolean; stripHex: boolean }): ProfileDiff {
  const type = commonSampleType(base, next, options.sampleType);
  const normalisation = diffNormalisationOf(options.normalize, base.requests, next.requests);
  const rows = diffFolded(foldedStacks(base.profile, type.baseIndex), foldedStacks(next.profile, type.newIndex), {
    ...diffFoldedScaling(normalisation),
    stripHex: options.stripHex,
  });
  return { rows, sampleType: type.name, unit: type.unit, normalisation, normalisationWords: diffNormalisationWords(normalisation) };
}

// Comparing calls with nanoseconds would draw nonsense: both sides must show the same sample type and unit.
function commonSampleType(
  { profile: base, name: baseName }: { profile: Profile; name: string },
  { profile: next, name: newName }: { profile: Profile; name: string },
  wanted: string | undefined,
): { name: string; unit: string; baseIndex: number; newIndex: number } {
  const name = wanted ?? base.sampleTypes[base.defaultSampleType]?.type;
  const baseIndex = base.sampleTypes.findIndex((t) => t.type === name);
  const newIndex = next.sampleTypes.findIndex((t) => t.type === name);
  if (name === undefined || baseIndex < 0 || newIndex < 0) {
    const list = (p: Profile) => p.sampleTypes.map((t) => t.type).join(', ') || 'none';
    throw new NetprobeError('usage', `${baseName} and ${newName} have no sample type \`${name ?? '?'}\` in common (${baseName}: ${list(base)}; ${newName}: ${list(next)})`, {
      hint: 'Pick one both have with --sample-type.',
    });
  }
  const unit = base.sampleTypes[baseIndex]!.unit;
  if (next.sampleTypes[newIndex]!.unit !== unit) {
    throw new NetprobeError('usage', `sample type \`${name}\` is in ${unit} in ${baseName} but in ${next.sampleTypes[newIndex]!.unit} in ${newName}`);
  }
  return { name, unit, baseIndex, newIndex };
}
