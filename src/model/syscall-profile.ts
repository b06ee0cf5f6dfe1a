// Syscall tables as stack profiles and back: what `syscalls.pb.gz` holds and what `summary` reads from it.
import { ProfileBuilder, SYSCALL_SAMPLE_TYPES, type Profile, type SampleType } from './profile.js';
import { tableFromRows, type SyscallRow, type SyscallTable } from './syscalls.js';

/** The label key that carries the errno name on samples of failed calls. */
export const ERRNO_LABEL = 'errno';

/**
 * One stack per syscall, the syscall as its only frame, values [calls, errors, time ns].
 * When a row breaks its errors down by errno, each errno gets its own sample labelled `errno=<name>`
 * (those calls all failed, so calls = errors = n; their time is not known separately and stays on the
 * unlabelled sample), so `go tool pprof -tagfocus errno=EAGAIN` works and every total is unchanged.
 */
export function profileFromSyscalls(table: SyscallTable): Profile {
  const builder = new ProfileBuilder(SYSCALL_SAMPLE_TYPES, 0);
  for (const row of table.rows) {
    const frame = builder.frameId({ name: row.name, kind: 'syscall' });
    const nanos = Math.round(row.seconds * 1e9);
    const errnos = Object.entries(row.errnos).filter(([, n]) => n > 0);
    const broken = errnos.reduce((sum, [, n]) => sum + n, 0);
    if (broken === 0 || broken > row.errors || broken > row.calls) {
      builder.addStack([frame], [row.calls, row.errors, nanos]);
      continue;
    }
    for (const [errno, n] of errnos.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      builder.addStack([frame], [n, n, 0], { [ERRNO_LABEL]: errno });
    }
    builder.addStack([frame], [row.calls - broken, row.errors - broken, nanos]);
  }
  return builder.build();
}

/** True when every sample type is one of calls/count, errors/count, time/nanoseconds and calls is there. */
export function isSyscallProfileTypes(types: readonly SampleType[]): boolean {
  const known = (t: SampleType) => SYSCALL_SAMPLE_TYPES.some((s) => s.type === t.type && s.unit === t.unit);
  return types.length > 0 && types.every(known) && types.some((t) => t.type === 'calls');
}

/**
 * The syscall table of a syscalls profile (netprobe's own `syscalls.pb.gz`, with or without syscall
 * stacks): rows keyed by the leaf frame's name; `errno` string labels become the errno breakdown.
 * Undefined for any other kind of profile.
 */
export function syscallsFromProfile(profile: Profile): SyscallTable | undefined {
  if (!isSyscallProfileTypes(profile.sampleTypes)) return undefined;
  const index = (type: string) => profile.sampleTypes.findIndex((t) => t.type === type);
  const [callsAt, errorsAt, timeAt] = [index('calls'), index('errors'), index('time')];
  const rows = new Map<string, SyscallRow & { nanos: number }>();
  const stacks = profile.stacks;
  for (let i = 0; i < stacks.count; i++) {
    const leaf = stacks.leaf(i);
    if (leaf < 0) continue;
    const name = profile.frames[leaf]!.name;
    let row = rows.get(name);
    if (!row) {
      row = { name, calls: 0, errors: 0, errnos: {}, seconds: 0, nanos: 0 };
      rows.set(name, row);
    }
    const errors = errorsAt < 0 ? 0 : stacks.value(i, errorsAt);
    row.calls += stacks.value(i, callsAt);
    row.errors += errors;
    if (timeAt >= 0) row.nanos += stacks.value(i, timeAt);
    const errno = stacks.labels(i)?.[ERRNO_LABEL];
    if (typeof errno === 'string' && errors > 0) row.errnos[errno] = (row.errnos[errno] ?? 0) + errors;
  }
  // Sum integer nanoseconds, convert once: summing float seconds drifts.
  const result = [...rows.values()].map(({ nanos, ...row }) => ({ ...row, seconds: nanos / 1e9 }));
  const hasTime = result.some((r) => r.seconds > 0);
  return tableFromRows(
    result.filter((r) => r.calls > 0 || r.errors > 0),
    hasTime,
  );
}
