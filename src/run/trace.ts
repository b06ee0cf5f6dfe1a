// One traced run, start to finish: plan and capture (capture/), then parse the tracers' output, classify,
// normalise, build run.json and write the run directory (run.json, syscalls.pb.gz, cpu.pb.gz, flame.html, raw/).
// The Run comes back in memory: trace, check, sweep and demo use it without re-reading the directory.
//
// Capture windows, per case (printed in the summary, stored in run.json `capture.window`): see capture/session.ts.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toPprof } from '../export/pprof.js';
import { buildRunJson, overheadRatio, type RunCapture } from '../export/run-json.js';
import { captureRun, chooseBackend, planCapture, type CaptureRequest, type Captured, type Plan } from '../capture/session.js';
import type { TraceOptions, TraceProgress, TracerOutput } from '../capture/types.js';
import { processName } from '../capture/target.js';
import { NetprobeError } from '../model/errors.js';
import type { LatencyTable } from '../model/latency.js';
import type { OffcpuSummary } from '../model/offcpu.js';
import type { Profile } from '../model/profile.js';
import type { ModelVerdict } from '../model/run.js';
import { profileFromSyscalls } from '../model/syscall-profile.js';
import { tableFromRows, type SyscallTable } from '../model/syscalls.js';
import { formatShare } from '../model/units.js';
import { VERSION } from '../model/version.js';
import type { ParseWarning } from '../parse/types.js';
import { renderFlameHtml } from '../render/flame-html.js';
import { classifyNetworkModel } from '../report/classify.js';
import { familyCounts } from '../model/families.js';
import { countsPerRequest } from '../report/normalise.js';
import { markObserverCost } from '../report/observer-cost.js';
import { offcpuEvidence, summariseOffcpu } from '../report/offcpu.js';
import { readTracerOutput } from './input.js';
import { assertNewRunDirectory, createRunDirectory, CPU_PPROF, FLAME_HTML, OFFCPU_PPROF, runName, RUN_JSON, SYSCALLS_PPROF, writeRunFiles } from './run-dir.js';
import { Symbolizer } from './symbolize.js';
import type { Run } from './types.js';
import { writeFileAtomic } from './write.js';

const LOAD_OUTPUT = 'raw/load-cmd.txt';
/** Below this many socket reads+writes per request, the server's work was probably not traced. */
const MIN_READ_WRITE_PER_REQUEST = 0.5;

/** Captures as `options` say and writes the run directory; returns the Run as written. */
export async function runTrace(options: TraceOptions): Promise<Run> {
  const plan = await planCapture(options);
  assertNewRunDirectory(options.outDir);
  const clock = Date.now();
  const progress = (phase: TraceProgress['phase'], extra: Omit<TraceProgress, 'phase' | 'elapsedSeconds'> = {}) =>
    options.onProgress?.({ phase, elapsedSeconds: (Date.now() - clock) / 1000, ...extra });

  progress('starting', { message: 'checking backends' });
  const choice = await chooseBackend(options);
  const name = options.name ?? runName(options.command, options.pid, options.pid !== undefined ? await processName(options.pid) : undefined);
  const dir = await createRunDirectory(options.outDir, name);
  const startedAt = new Date();
  const captured = await captureInto(dir, options, { plan, choice, progress });
  const analysed = await analyse(dir, captured, choice.backend);

  progress('writing');
  const loadFiles = captured.loadOutput !== undefined ? [LOAD_OUTPUT] : [];
  if (captured.loadOutput !== undefined) await writeFileAtomic(join(dir, LOAD_OUTPUT), captured.loadOutput);
  const { table, requests, syscallProfile, cpuProfile, offcpuProfile, offcpu } = analysed;
  const graphs = [
    { title: 'syscalls', profile: syscallProfile },
    ...(cpuProfile ? [{ title: 'cpu', profile: cpuProfile }] : []),
    ...(offcpuProfile ? [{ title: 'off-CPU', profile: offcpuProfile }] : []),
  ].filter((g) => g.profile.stacks.count > 0);
  const flameHtml = graphs.length > 0 ? renderFlameHtml(graphs, { title: `netprobe trace: ${name}`, subtitle: plan.commandText }) : undefined;
  const files = [
    RUN_JSON,
    SYSCALLS_PPROF,
    ...(cpuProfile ? [CPU_PPROF] : []),
    ...(offcpuProfile ? [OFFCPU_PPROF] : []),
    ...(flameHtml !== undefined ? [FLAME_HTML] : []),
    ...captured.outputs.flatMap((o) => o.files),
    ...loadFiles,
  ];
  const capture: RunCapture = {
    window: plan.window,
    seconds: captured.seconds,
    backendReason: choice.reason,
    time: 'wall',
    lost: captured.outputs.filter((o) => o.role === 'syscalls').reduce((n, o) => n + (o.lost ?? 0), 0),
    notes: [...choice.notes, ...plan.notes, ...captured.outputs.flatMap((o) => o.notes), ...(table.notes ?? []), ...captured.notes, ...analysed.notes],
  };
  const load = captured.load;
  const run = buildRunJson({
    exporter: options.exporter ?? `netprobe@${VERSION}`,
    name,
    command: options.command ? [...options.command] : null,
    backend: choice.backend,
    startedAt,
    durationSeconds: captured.seconds,
    target: { pid: captured.pid, exitCode: captured.exit?.exitCode ?? null, signal: captured.exit?.signal ?? null },
    load,
    syscalls: table,
    perRequest: requests ? countsPerRequest(table, requests) : null,
    model: withEvidence(classifyNetworkModel(table, { requests, threads: table.threads }), offcpu ? offcpuEvidence(offcpu) : []),
    overhead: overheadRatio(load?.requestsPerSecond, captured.untracedRps),
    capture,
    interrupted: captured.interrupted,
    files,
    ...(offcpu ? { offcpu } : {}),
    ...(analysed.latency ? { latency: analysed.latency } : {}),
  });
  await writeRunFiles(dir, {
    run,
    syscallsPprof: toPprof(syscallProfile),
    cpuPprof: cpuProfile ? toPprof(cpuProfile) : undefined,
    offcpuPprof: offcpuProfile ? toPprof(offcpuProfile) : undefined,
    flameHtml,
  });
  return {
    dir,
    run,
    syscalls: table,
    syscallProfile,
    ...(cpuProfile ? { cpuProfile } : {}),
    ...(offcpuProfile ? { offcpuProfile } : {}),
    interrupted: captured.interrupted,
    ...(captured.rssBytes !== undefined ? { rssBytes: captured.rssBytes } : {}),
    warnings: analysed.warnings,
  };
}

/** Captures into the fresh run directory; a capture that traced nothing leaves no directory behind. */
async function captureInto(
  dir: string,
  options: TraceOptions,
  { plan, choice, progress }: { plan: Plan; choice: Awaited<ReturnType<typeof chooseBackend>>; progress: CaptureRequest['progress'] },
): Promise<Captured> {
  let attached = false;
  try {
    return await captureRun(options, {
      plan,
      backend: choice.backend,
      ...(choice.cpuEvent ? { cpuEvent: choice.cpuEvent } : {}),
      runDir: dir,
      onAttached: () => (attached = true),
      progress,
    });
  } catch (e) {
    // Nothing was traced (the target or a tracer failed to start, Ctrl-C came first): leave no empty run directory behind.
    if (!attached) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

interface Analysed {
  table: SyscallTable;
  requests: number | undefined;
  syscallProfile: Profile;
  cpuProfile?: Profile;
  offcpuProfile?: Profile;
  offcpu?: OffcpuSummary;
  latency?: LatencyTable;
  /** Caveats found while reading the outputs (unnamed frames, observer cost, a server's work not seen). */
  notes: string[];
  warnings: ParseWarning[];
}

/** The captured outputs read, symbolised and summarised: everything run.json and the profiles hold. */
async function analyse(dir: string, captured: Captured, backend: string): Promise<Analysed> {
  const parsed = await parseOutputs(dir, captured.outputs);
  // A target that exited before the tracer printed left its user frames unnamed: name them from its mappings.
  const symbols = new Symbolizer(captured.mappings ?? []);
  if (parsed.syscallProfile) parsed.syscallProfile = symbols.resolve(parsed.syscallProfile, 'syscall stacks');
  if (parsed.offcpuProfile) parsed.offcpuProfile = symbols.resolve(parsed.offcpuProfile, 'off-CPU stacks');
  const table = parsed.syscalls;
  const requests = captured.load && captured.load.requests > 0 ? captured.load.requests : undefined;
  const observer = parsed.cpuProfile ? markObserverCost(parsed.cpuProfile) : undefined;
  const observerNotes =
    observer && observer.share > 0
      ? [`${formatShare(observer.share)} of the target's CPU samples are the ${backend} tracer's own probes (observer cost, marked as tracer frames in flame.html)`]
      : [];
  return {
    table,
    requests,
    syscallProfile: parsed.syscallProfile ?? profileFromSyscalls(table),
    ...(observer ? { cpuProfile: observer.profile } : {}),
    ...(parsed.offcpuProfile ? { offcpuProfile: parsed.offcpuProfile, offcpu: summariseOffcpu(parsed.offcpuProfile, requests) } : {}),
    ...(parsed.latency ? { latency: parsed.latency } : {}),
    notes: [...symbols.notes, ...observerNotes, ...sanityNotes(table, requests)],
    warnings: parsed.warnings,
  };
}

interface ParsedOutputs {
  syscalls: SyscallTable;
  syscallProfile?: Profile;
  cpuProfile?: Profile;
  offcpuProfile?: Profile;
  latency?: LatencyTable;
  warnings: ParseWarning[];
}

/** Reads every tracer's output through the one input reader, in the format the backend named. */
async function parseOutputs(dir: string, outputs: readonly TracerOutput[]): Promise<ParsedOutputs> {
  const out: ParsedOutputs = { syscalls: tableFromRows([], false), warnings: [] };
  for (const o of outputs) {
    if (!o.output) {
      // The tracer wrote nothing because the target made no syscall.
      if (o.role === 'syscalls') out.syscalls = tableFromRows([], true, o.threads);
      continue;
    }
    const loaded = await readTracerOutput(join(dir, o.output.file), o.output.format);
    out.warnings.push(...loaded.warnings);
    if (o.role === 'latency') {
      out.latency = loaded.latency ?? {};
      continue;
    }
    if (o.role === 'cpu' || o.role === 'offcpu') {
      if (loaded.profile) out[o.role === 'cpu' ? 'cpuProfile' : 'offcpuProfile'] = loaded.profile;
      continue;
    }
    if (!loaded.syscalls) throw new NetprobeError('input', `${loaded.file}: no syscall counts in the ${o.output.format} output`);
    out.syscalls = loaded.syscalls.threads === undefined && o.threads !== undefined && o.threads > 0 ? { ...loaded.syscalls, threads: o.threads } : loaded.syscalls;
    if (o.stacks && loaded.profile) out.syscallProfile = loaded.profile;
  }
  return out;
}

function withEvidence(model: ModelVerdict, extra: string[]): ModelVerdict {
  return extra.length > 0 ? { ...model, evidence: [...model.evidence, ...extra] } : model;
}

/** Caveats that only the counts reveal: an empty capture, or a server whose work was not seen. */
function sanityNotes(table: SyscallTable, requests: number | undefined): string[] {
  if (table.totals.calls === 0) return ['no syscalls captured: the target made none in the capture window'];
  if (requests === undefined) return [];
  const families = familyCounts(table);
  const perRequest = (families.read.calls + families.write.calls) / requests;
  if (perRequest >= MIN_READ_WRITE_PER_REQUEST) return [];
  return [`only ${perRequest.toFixed(1)} read/write calls per request: the server's work may happen in processes netprobe did not trace`];
}
