// The JSON shape of a syscall table, shared by `summary --json`, `convert --format json` and run.json.
import { stackList, type LabelValue, type Profile, type SampleType } from '../model/profile.js';
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

// The compact JSON form of a stack profile documented in the command's help.
export function profileJson(profile: Profile): ProfileJson {
  return {
    sampleTypes: profile.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType: profile.defaultSampleType,
    frames: profile.frames.map((f) => ({ name: f.name, ...(f.module ? { module: f.module } : {}), ...(f.kind ? { kind: f.kind } : {}) })),
    stacks: stackList(profile).map((s) => ({ frames: s.frames, values: s.values, ...(s.labels ? { labels: { ...s.labels } } : {}) })),
  };
}
