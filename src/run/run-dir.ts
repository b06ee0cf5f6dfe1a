// Run directories: created fresh for every capture (never reused), written only here, and read back wherever
// a file is accepted.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { NetprobeError } from '../model/errors.js';
import type { RunJson } from '../model/run.js';
import { parsePprof } from '../parse/pprof.js';
import { parseRunJson, runJsonResult } from '../parse/run-json.js';
import type { ParseResult } from '../parse/types.js';
import { writeFileAtomic } from './write.js';

export const RUN_JSON = 'run.json';
export const SYSCALLS_PPROF = 'syscalls.pb.gz';
export const CPU_PPROF = 'cpu.pb.gz';
export const OFFCPU_PPROF = 'offcpu.pb.gz';
export const FLAME_HTML = 'flame.html';
export const DEFAULT_PARENT = 'netprobe-out';

/** `20260122-081502`, local time: sorts by time and is safe in file names. */
export function timestampForPath(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A name for file paths from the command (`./server --x` -> `server`), or the attached process's name and pid. */
export function runName(command: readonly string[] | undefined, pid: number | undefined, processName?: string): string {
  if (command?.[0]) return safeName(basename(command[0]));
  // An attached process by its name when it has one (`nginx-4242`), else by its pid.
  return safeName(processName ? `${processName}-${pid}` : `pid-${pid ?? 'unknown'}`);
}

/** A run name usable as one path component: no separators, no leading dots (`../../x` -> `x`). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'run';
}

/** Refuses an explicit `--out` that exists, before anything is started (createRunDirectory checks again). */
export function assertNewRunDirectory(outDir: string | undefined): void {
  if (outDir !== undefined && existsSync(resolve(outDir))) throw outDirExists(outDir);
}

function outDirExists(outDir: string): NetprobeError {
  return new NetprobeError('usage', `${outDir} already exists; not overwriting it`, {
    hint: 'Choose a new path with --out, or leave it out for a fresh netprobe-out/<name>-<timestamp>.',
  });
}

/**
 * Creates the run directory and its raw/ folder. An explicit `outDir` must not exist yet; the default
 * `netprobe-out/<name>-<timestamp>` gets a `-2`, `-3`... suffix when two runs start in the same second.
 */
export async function createRunDirectory(outDir: string | undefined, name: string, now = new Date()): Promise<string> {
  if (outDir !== undefined) {
    const dir = resolve(outDir);
    if (existsSync(dir)) throw outDirExists(outDir);
    await mkdirFresh(dir, outDir);
    return dir;
  }
  // `--name ../../escaped` names a run; it never picks a place outside netprobe-out/.
  const stem = resolve(DEFAULT_PARENT, `${safeName(name)}-${timestampForPath(now)}`);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? stem : `${stem}-${n}`;
    if (existsSync(dir)) continue;
    try {
      await mkdirFresh(dir, dir);
      return dir;
    } catch (e) {
      // Another run took the name between the check and mkdir: try the next suffix.
      if ((e as NetprobeError).cause && ((e as NetprobeError).cause as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
  }
}

async function mkdirFresh(dir: string, shown: string): Promise<void> {
  await mkdir(resolve(dir, '..'), { recursive: true }).catch(() => {});
  // Non-recursive mkdir fails with EEXIST instead of silently reusing a directory.
  await mkdir(dir).catch((cause: NodeJS.ErrnoException) => {
    const code = cause.code === 'EEXIST' ? 'usage' : 'environment';
    throw new NetprobeError(code, `cannot create run directory ${shown}: ${cause.message}`, { cause });
  });
  await mkdir(join(dir, 'raw'));
}

export interface RunFiles {
  run: RunJson;
  /** Raw protobuf (gzipped here). */
  syscallsPprof?: Uint8Array;
  cpuPprof?: Uint8Array;
  offcpuPprof?: Uint8Array;
  flameHtml?: string;
}

/** Writes the analysis files, each atomically; run.json last, so a directory with run.json is complete. */
export async function writeRunFiles(dir: string, files: RunFiles): Promise<void> {
  if (files.syscallsPprof) await writeFileAtomic(join(dir, SYSCALLS_PPROF), gzipSync(files.syscallsPprof));
  if (files.cpuPprof) await writeFileAtomic(join(dir, CPU_PPROF), gzipSync(files.cpuPprof));
  if (files.offcpuPprof) await writeFileAtomic(join(dir, OFFCPU_PPROF), gzipSync(files.offcpuPprof));
  if (files.flameHtml !== undefined) await writeFileAtomic(join(dir, FLAME_HTML), files.flameHtml);
  await writeRunJson(dir, files.run);
}

/** Writes `dir/run.json` atomically (a reader never sees half of it). */
export async function writeRunJson(dir: string, run: RunJson): Promise<void> {
  await writeFileAtomic(join(dir, RUN_JSON), `${JSON.stringify(run, null, 2)}\n`);
}

/** Reads a run directory: syscalls from run.json, the syscall profile (and the CPU and off-CPU ones) from its pprof files. */
export async function loadRunDirectory(path: string): Promise<ParseResult> {
  const file = join(path, RUN_JSON);
  const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new NetprobeError('input', `${path}: not a netprobe run directory (${cause.code === 'ENOENT' ? 'no run.json' : cause.message})`, {
      cause,
      hint: 'Run directories are written by `netprobe trace`; pass a file to read anything else.',
    });
  });
  const result = runJsonResult(parseRunJson(text, file));
  const syscallProfile = await readProfile(path, SYSCALLS_PPROF);
  const cpuProfile = await readProfile(path, CPU_PPROF);
  const offcpuProfile = await readProfile(path, OFFCPU_PPROF);
  const profile = syscallProfile ?? cpuProfile ?? offcpuProfile;
  const meta = { ...result.meta, ...(cpuProfile ? { cpuProfile } : {}), ...(offcpuProfile ? { offcpuProfile } : {}) };
  return profile ? { ...result, profile, meta } : { ...result, meta };
}

async function readProfile(dir: string, file: string) {
  const bytes = await readFile(join(dir, file)).catch(() => undefined);
  if (!bytes) return undefined;
  let raw: Uint8Array;
  try {
    raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  } catch (cause) {
    throw new NetprobeError('input', `${join(dir, file)}: truncated or corrupt gzip data`, { cause });
  }
  return parsePprof(raw, join(dir, file)).profile;
}
