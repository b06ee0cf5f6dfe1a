// What run/ hands back: a run in memory, as written to its run directory, so no caller re-reads what was just written.
import type { NetprobeRunJson } from '../export/run-json.js';
import type { Profile } from '../model/profile.js';
import type { SyscallTable } from '../model/syscalls.js';
import type { ParseWarning } from '../parse/types.js';

export interface Run {
  /** The run directory written (absolute). */
  dir: string;
  /** run.json as written (the DESIGN.md fields plus `capture` and `interrupted`). */
  run: NetprobeRunJson;
  /** The syscall table run.json holds. */
  syscalls: SyscallTable;
  /** The syscall profile written to syscalls.pb.gz (with stacks when they were recorded). */
  syscallProfile: Profile;
  /** The CPU profile written to cpu.pb.gz, when `--cpu`. */
  cpuProfile?: Profile;
  /** The off-CPU profile written to offcpu.pb.gz, when `--offcpu`. */
  offcpuProfile?: Profile;
  /** True when the capture was cut short by the signal (Ctrl-C). */
  interrupted: boolean;
  /** Resident memory in bytes of the target and its child processes at the end of the load window, when known. */
  rssBytes?: number;
  /** Parser warnings about the tracer output (the CLI prints them). */
  warnings: ParseWarning[];
}

// The types the CLI needs from the layers below run/, so cli/ depends on run/ alone.
export type { BackendName, HttpLoadSpec, TraceOptions, TraceProgress } from '../capture/types.js';
export type { CollapseOptions, InputFormat, ParseWarning } from '../parse/types.js';
