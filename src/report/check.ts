// The CI gate's decision: does a measurement use more syscalls than its baseline allows?
//
// Both runs are normalised the same way (per request when both know their request count, else per second of
// capture when both know its length, else raw counts) and compared check by check. Checks come in two kinds,
// because syscall counts are deterministic only for the work a request needs:
// - work: the successful calls of read/recv, write/send, accept, epoll_ctl, clone/fork, io_uring and of every
//   syscall outside the families. Traced repeatedly under the same load (fixtures/servers go-nethttp and
//   c-epoll, 5,000 requests over 4 connections, bpftrace and strace), these moved by at most 6% per request.
// - timing: futex, epoll/poll waits, sleeps, yields, preemption signals, failed calls (EAGAIN: a read that
//   came too early) and therefore the total. These follow scheduling, not code: in the same captures Go's
//   futex calls per request ranged 0.53..1.38, its epoll waits 0.67..2.20 and the C reactor's epoll waits
//   0.45..0.73. By default a timing check fails only when it appears: under `minShare` of all calls in the
//   baseline, and grown by at least `minAppearance` of all calls now (a lock or a sleep in a server that had
//   none, failing reads in one that had a stray EAGAIN); `maxTimingIncrease` gates their amounts. The total is the
//   exception: its parts move, but a total that doubles (5.24 -> 17.4 calls per request) is more work whatever
//   moved, so it has a relative limit of its own (`DEFAULT_MAX_TOTAL_INCREASE`).
// Several captures of the same build (`--runs N`) are compared by their median per check, and the range of
// the runs is kept beside it; a baseline written from N runs stores the same (`RunsSummary`).
// Families too small to matter (a few madvise or clone calls jitter by large ratios) stay out of the gate
// unless the user names them.
import { FAMILIES, familyCounts, familyOf, otherCounts, type FamilyId } from '../model/families.js';
import type { Normalisation } from '../model/normalisation.js';
import type { ModelVerdict, RunsSummary } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';
import { classifyNetworkModel } from './classify.js';
import { crossBackendNotes } from './compare.js';
import { divisorOf, normalisationOf } from './normalise.js';

export interface CheckMeasurement {
  /** Shown in the verdict: the run name or the file's name. */
  name: string;
  syscalls: SyscallTable;
  /** Requests served during the capture. */
  requests?: number;
  /** Length of the capture window in seconds. */
  durationSeconds?: number;
  threads?: number;
  /** The run's network model; classified from `syscalls` when absent. */
  model?: ModelVerdict;
  /** Events the tracer lost: the counts are low by up to this many, so the run cannot pass a gate. */
  lost?: number;
  /** The tracer that made the counts (`strace`, `perf`, `bpftrace`), when known. */
  backend?: string;
  /** The program traced (`redis-server`, `python3 server.py`), when the run recorded its command. */
  program?: string;
  /**
   * A baseline written from several runs: per check, their median and range. Used instead of `syscalls` when
   * the check compares in the same normalisation.
   */
  runs?: RunsSummary;
}

export type CheckId = FamilyId | 'other' | 'total' | 'errors';
export type CheckKind = 'work' | 'timing';

/** How much a value may grow over its baseline. */
export type Limit =
  /** By this fraction of the baseline (0.1 = 10%). */
  | { kind: 'relative'; fraction: number }
  /** By this amount, in the comparison's unit (calls per request, per second, or calls). */
  | { kind: 'absolute'; amount: number }
  /** Only from under `minShare` of all calls, grown by at least `minAppearance` of all calls: the default of timing checks. */
  | { kind: 'appearance' }
  /** Not gated. */
  | { kind: 'off' };

export interface CheckOptions {
  /** Allowed relative growth of work checks without their own limit. Default 0.10. */
  maxIncrease?: number;
  /** Allowed relative growth of timing checks without their own limit. Default: only their appearance is gated. */
  maxTimingIncrease?: number;
  /** Limits for single checks; they replace the defaults above and ignore `minShare`. Default none. */
  limits?: Partial<Record<CheckId, Limit>>;
  /**
   * A check (other than total) under this share of all calls in both runs is too small to gate with a default
   * limit: a handful of calls jitters by large ratios. Default 0.01.
   */
  minShare?: number;
  /**
   * How much of all calls a timing check under `minShare` in the baseline must grow by to have appeared.
   * Default 0.04.
   */
  minAppearance?: number;
  /** Accept a different network-model label. Default false. */
  allowModelChange?: boolean;
}

export const DEFAULT_MAX_INCREASE = 0.1;
export const DEFAULT_MIN_SHARE = 0.01;
/**
 * A timing check appears when it grows by this share of all calls. Go's sched_yield is scheduling noise of up
 * to 2% of all calls: the unchanged Go net/http example went 0.003 -> 0.08 and 0.07 -> 0.14 yields per request
 * (7 calls in all) against its own baseline in CI. Go's nanosleep, absent from a C reactor, is 4.7% of its
 * calls; a lock or a sleep a change adds to every request is 10% and more.
 */
export const DEFAULT_MIN_APPEARANCE = 0.04;
/**
 * The total's own default limit: doubling. Its noise is its timing parts (futex, waits, EAGAIN reads): the
 * unchanged Go net/http example's total moved by -39%..+35% per request against its own baseline (40 checks,
 * 2 cores, with --runs 1 and 3), while a server without keep-alive triples its calls (+203%).
 */
export const DEFAULT_MAX_TOTAL_INCREASE = 1;
/** How many syscalls of `other` a check names: the ones that grew most. */
const TOP_CONTRIBUTORS = 3;

const TIMING_FAMILIES: ReadonlySet<FamilyId> = new Set(['futex', 'epoll-wait', 'poll-select', 'sleep', 'sched-yield', 'signals']);

/** Every check in the order they are reported: work first, then timing. */
export const CHECK_IDS: readonly CheckId[] = [
  ...FAMILIES.filter((f) => !TIMING_FAMILIES.has(f.id)).map((f) => f.id),
  'other',
  ...FAMILIES.filter((f) => TIMING_FAMILIES.has(f.id)).map((f) => f.id),
  'total',
  'errors',
];

export function checkKind(id: CheckId): CheckKind {
  return id === 'total' || id === 'errors' || TIMING_FAMILIES.has(id as FamilyId) ? 'timing' : 'work';
}

export function checkTitle(id: CheckId): string {
  const family = FAMILIES.find((f) => f.id === id);
  if (family) return family.title;
  return { other: 'other syscalls', total: 'total', errors: 'errors' }[id as 'other' | 'total' | 'errors'];
}


/**
 * `fail`: grew beyond its limit. `improved`: shrank by more than its limit allows it to grow (the baseline
 * could be tightened). `small`: under `minShare` in both runs, not gated. `off`: not gated by its limit.
 */
export type Verdict = 'pass' | 'fail' | 'improved' | 'small' | 'off';

export interface CountCheck {
  id: CheckId;
  kind: CheckKind;
  title: string;
  /**
   * Normalised as `CheckResult.normalisation` says; work checks count successful calls only. The median when
   * the side has several runs.
   */
  baseline: number;
  current: number;
  /** (current - baseline) / baseline; null when the baseline is 0. */
  change: number | null;
  limit: Limit;
  /** Whether the limit came from `limits` rather than a default. */
  explicitLimit: boolean;
  verdict: Verdict;
  /**
   * A `small` check that grew beyond its kind's relative limit (work: `maxIncrease`; timing: `maxTimingIncrease`,
   * else doubling): not a failure, but worth a warning.
   */
  grown: boolean;
  /** The lowest and highest value of the runs, when the side had more than one. */
  baselineRange?: ValueRange;
  currentRange?: ValueRange;
  /** `other` only: the syscalls outside the families that grew most, largest growth first. */
  contributors?: Contributor[];
}

export interface ValueRange {
  min: number;
  max: number;
}

/** One syscall of `other`, normalised like its check (successful calls; medians over several runs). */
export interface Contributor {
  name: string;
  baseline: number;
  current: number;
}

export interface ModelCheck {
  baseline: ModelVerdict;
  current: ModelVerdict;
  verdict: 'pass' | 'fail' | 'off';
}

export interface RunFacts {
  name: string;
  requests: number | null;
  durationSeconds: number | null;
  backend: string | null;
  program: string | null;
}

export interface CheckResult {
  passed: boolean;
  /** Events the current run's tracer lost; set only when it lost some (and the check then failed). */
  lost?: number;
  normalisation: Normalisation;
  /** How many runs each side's values are the median of (1: a single run). */
  runs: { baseline: number; current: number };
  /** The share of all calls under which a check is small (`CheckOptions.minShare`). */
  minShare: number;
  /** The growth, as a share of all calls, at which a timing check has appeared (`CheckOptions.minAppearance`). */
  minAppearance: number;
  baseline: RunFacts;
  current: RunFacts;
  checks: CountCheck[];
  model: ModelCheck;
  /** Caveats about the comparison itself, in words. */
  notes: string[];
}

/**
 * Compares a measurement with its baseline and decides whether it regressed. Several current runs (`--runs N`)
 * are compared by their median per check; a baseline written from several runs brings its own medians.
 */
export function checkAgainstBaseline(
  baseline: CheckMeasurement,
  current: CheckMeasurement | readonly CheckMeasurement[],
  options: CheckOptions = {},
): CheckResult {
  const currents: readonly CheckMeasurement[] = Array.isArray(current) ? current : [current as CheckMeasurement];
  if (currents.length === 0) throw new RangeError('checkAgainstBaseline needs at least one current run');
  const first = currents[0]!;
  const minShare = options.minShare ?? DEFAULT_MIN_SHARE;
  const minAppearance = options.minAppearance ?? DEFAULT_MIN_APPEARANCE;
  const limits = options.limits ?? {};
  const defaults: Record<CheckKind, Limit> = {
    work: { kind: 'relative', fraction: options.maxIncrease ?? DEFAULT_MAX_INCREASE },
    timing: options.maxTimingIncrease === undefined ? { kind: 'appearance' } : { kind: 'relative', fraction: options.maxTimingIncrease },
  };
  const totalDefault: Limit = { kind: 'relative', fraction: options.maxTimingIncrease ?? DEFAULT_MAX_TOTAL_INCREASE };
  // What a small check is measured against for a warning: its kind's relative limit, or doubling for timing.
  const grownLimits: Record<CheckKind, Limit> = {
    work: defaults.work,
    timing: { kind: 'relative', fraction: options.maxTimingIncrease ?? 1 },
  };
  const normalisation = normalisationOf(baseline, ...currents);
  const base = sampledCounts([baseline], normalisation);
  const cur = sampledCounts(currents, normalisation);

  const checks: CountCheck[] = [];
  for (const id of CHECK_IDS) {
    const b = base.get(id)!;
    const c = cur.get(id)!;
    const explicit = limits[id];
    // Checks neither run has anything for say nothing; total and errors always appear.
    if (b.value === 0 && c.value === 0 && !explicit && id !== 'total' && id !== 'errors') continue;
    const kind = checkKind(id);
    const limit = explicit ?? (id === 'total' ? totalDefault : defaults[kind]);
    const small = !explicit && id !== 'total' && Math.max(b.share, c.share) < minShare;
    checks.push({
      id,
      kind,
      title: checkTitle(id),
      baseline: b.value,
      current: c.value,
      change: b.value === 0 ? null : (c.value - b.value) / b.value,
      limit,
      explicitLimit: explicit !== undefined,
      verdict: small ? 'small' : verdictOf(b, c, limit, minShare, minAppearance),
      grown: small && verdictOf(b, c, grownLimits[kind], minShare, minAppearance) === 'fail',
      ...(b.range ? { baselineRange: b.range } : {}),
      ...(c.range ? { currentRange: c.range } : {}),
      ...(id === 'other' ? { contributors: otherContributors(baseline, currents, normalisation) } : {}),
    });
  }

  const model = modelCheck(baseline, first, options.allowModelChange === true);
  // Lost events make every count low: such a run proves nothing and never passes.
  const lost = currents.reduce((n, r) => n + (r.lost ?? 0), 0);
  return {
    passed: checks.every((c) => c.verdict !== 'fail') && model.verdict !== 'fail' && !(lost > 0),
    ...(lost > 0 ? { lost } : {}),
    normalisation,
    runs: { baseline: storedRuns(baseline, normalisation)?.count ?? 1, current: currents.length },
    minShare,
    minAppearance,
    baseline: facts(baseline),
    current: facts(first),
    checks,
    model,
    notes: notesFor(baseline, first, normalisation),
  };
}

/**
 * What a baseline written from several runs stores: per check, the median and range of the runs in the best
 * normalisation they all support. Checks no run has anything for are left out (they read back as 0).
 */
export function summariseRuns(runs: readonly CheckMeasurement[]): RunsSummary {
  const normalisation = normalisationOf(...runs);
  const sampled = sampledCounts(runs, normalisation);
  const checks: RunsSummary['checks'] = {};
  for (const id of CHECK_IDS) {
    const s = sampled.get(id)!;
    if (s.value === 0 && (s.range?.max ?? 0) === 0 && id !== 'total') continue;
    checks[id] = { median: s.value, min: s.range?.min ?? s.value, max: s.range?.max ?? s.value };
  }
  return { count: runs.length, normalisation, checks };
}

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function positive(n: number | undefined): n is number {
  return n !== undefined && Number.isFinite(n) && n > 0;
}

interface Normalised {
  value: number;
  /** Share of the run's calls (0..1), for the small-check rule. */
  share: number;
  /** All the run's calls in the same unit, for the appearance rule. */
  total: number;
  /** The runs' lowest and highest value, when there were several. */
  range?: ValueRange;
}

// A baseline's stored medians count only when they are in the unit the check compares in.
function storedRuns(run: CheckMeasurement, normalisation: Normalisation): RunsSummary | undefined {
  return run.runs && run.runs.count > 1 && run.runs.normalisation === normalisation ? run.runs : undefined;
}

/** Each check's value over one or more runs: the median, the range, and the median share of all calls. */
function sampledCounts(runs: readonly CheckMeasurement[], normalisation: Normalisation): Map<CheckId, Normalised> {
  const stored = runs.length === 1 ? storedRuns(runs[0]!, normalisation) : undefined;
  if (stored) {
    const total = stored.checks.total?.median ?? 0;
    const out = new Map<CheckId, Normalised>();
    for (const id of CHECK_IDS) {
      const s = stored.checks[id] ?? { median: 0, min: 0, max: 0 };
      out.set(id, { value: s.median, share: total > 0 ? s.median / total : 0, total, range: { min: s.min, max: s.max } });
    }
    return out;
  }
  const each = runs.map((r) => normalisedCounts(r, normalisation));
  if (each.length === 1) return each[0]!;
  const out = new Map<CheckId, Normalised>();
  const total = median(each.map((m) => m.get('total')!.value));
  for (const id of CHECK_IDS) {
    const values = each.map((m) => m.get(id)!.value);
    out.set(id, {
      value: median(values),
      share: median(each.map((m) => m.get(id)!.share)),
      total,
      range: { min: Math.min(...values), max: Math.max(...values) },
    });
  }
  return out;
}

/** The syscalls outside every family that grew most (successful calls, medians over the current runs). */
function otherContributors(baseline: CheckMeasurement, currents: readonly CheckMeasurement[], normalisation: Normalisation): Contributor[] {
  const base = otherSyscalls(baseline, normalisation);
  const each = currents.map((r) => otherSyscalls(r, normalisation));
  const names = new Set([...base.keys(), ...each.flatMap((m) => [...m.keys()])]);
  const out: Contributor[] = [];
  for (const name of names) {
    const current = median(each.map((m) => m.get(name) ?? 0));
    const b = base.get(name) ?? 0;
    if (current > b) out.push({ name, baseline: b, current });
  }
  out.sort((x, y) => y.current - y.baseline - (x.current - x.baseline) || x.name.localeCompare(y.name));
  return out.slice(0, TOP_CONTRIBUTORS);
}

function otherSyscalls(run: CheckMeasurement, normalisation: Normalisation): Map<string, number> {
  const divisor = divisorOf(run, normalisation);
  const out = new Map<string, number>();
  for (const row of run.syscalls.rows) {
    if (familyOf(row.name) === undefined) out.set(row.name, (out.get(row.name) ?? 0) + (row.calls - row.errors) / divisor);
  }
  return out;
}

function normalisedCounts(run: CheckMeasurement, normalisation: Normalisation): Map<CheckId, Normalised> {
  const divisor = divisorOf(run, normalisation);
  const { totals } = run.syscalls;
  const entry = (n: number): Normalised => ({ value: n / divisor, share: totals.calls > 0 ? n / totals.calls : 0, total: totals.calls / divisor });
  const families = familyCounts(run.syscalls);
  const out = new Map<CheckId, Normalised>();
  for (const f of FAMILIES) {
    const { calls, errors } = families[f.id];
    // A failed read is one that came too early (EAGAIN): scheduling, so it counts under errors, not work.
    out.set(f.id, entry(TIMING_FAMILIES.has(f.id) ? calls : calls - errors));
  }
  const other = otherCounts(run.syscalls, families);
  out.set('other', entry(other.calls - other.errors));
  out.set('total', entry(totals.calls));
  out.set('errors', entry(totals.errors));
  return out;
}

// Relative slack so that a value equal to its limit, after floating-point division, still passes.
const EPSILON = 1e-9;

function verdictOf(b: Normalised, c: Normalised, limit: Limit, minShare: number, minAppearance: number): Verdict {
  if (limit.kind === 'off') return 'off';
  if (limit.kind === 'appearance') {
    // A baseline with 1 failed accept in 19,095 calls has no errors to speak of; 1,617 failed reads do count.
    // What appeared is the growth, so the growth itself must reach minAppearance: crossing minShare is not
    // enough, Go's sched_yield sits near 1% of calls and crossed it in 3 of 20 unchanged runs (0.06 -> 0.11
    // per request, 5.4 calls in all), and grew by 1.1% of all calls in CI (DEFAULT_MIN_APPEARANCE).
    // Growth itself is needed: with --min-appearance 0% an unchanged check must still pass.
    const grew = c.value - b.value;
    if (b.share < minShare) return grew > 0 && grew >= minAppearance * c.total ? 'fail' : 'pass';
    return c.share < minShare && -grew > 0 && -grew >= minAppearance * b.total ? 'improved' : 'pass';
  }
  const baseline = b.value;
  const current = c.value;
  const margin = limit.kind === 'relative' ? baseline * limit.fraction : limit.amount;
  const slack = EPSILON * Math.max(1, baseline);
  if (current > baseline + margin + slack) return 'fail';
  if (current < baseline - margin - slack) return 'improved';
  return 'pass';
}

function modelCheck(baseline: CheckMeasurement, current: CheckMeasurement, allowChange: boolean): ModelCheck {
  const b = baseline.model ?? classify(baseline);
  const c = current.model ?? classify(current);
  const verdict = allowChange ? 'off' : b.label === c.label ? 'pass' : 'fail';
  return { baseline: b, current: c, verdict };
}

function classify(run: CheckMeasurement): ModelVerdict {
  const threads = run.threads ?? run.syscalls.threads;
  return classifyNetworkModel(run.syscalls, {
    ...(positive(run.requests) ? { requests: run.requests } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
}

function facts(run: CheckMeasurement): RunFacts {
  return {
    name: run.name,
    requests: positive(run.requests) ? run.requests : null,
    durationSeconds: positive(run.durationSeconds) ? run.durationSeconds : null,
    backend: run.backend ?? null,
    program: run.program ?? null,
  };
}

function notesFor(baseline: CheckMeasurement, current: CheckMeasurement, normalisation: Normalisation): string[] {
  const notes: string[] = [];
  if (normalisation !== 'per-request' && positive(baseline.requests) !== positive(current.requests)) {
    const known = positive(baseline.requests) ? 'the baseline' : 'the current run';
    notes.push(`only ${known} knows its request count, so the runs are compared ${normalisation === 'raw' ? 'by raw counts' : 'per second'}`);
  }
  if (normalisation === 'raw') {
    notes.push('raw counts are only comparable when both runs served the same load (same request count or duration)');
  }
  if (baseline.program !== undefined && current.program !== undefined && baseline.program !== current.program) {
    notes.push(`the baseline is another program (baseline: ${baseline.program}; this run: ${current.program}): the check compares two programs, not two versions of one`);
  }
  notes.push(
    ...crossBackendNotes(
      [
        { name: 'the baseline', backend: baseline.backend, threads: baseline.threads ?? baseline.syscalls.threads },
        { name: 'this run', backend: current.backend, threads: current.threads ?? current.syscalls.threads },
      ],
      'run',
    ),
  );
  return notes;
}
