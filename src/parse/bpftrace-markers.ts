// The lines netprobe's own bpftrace programs print beside their maps, in one place: the parsers recognise them
// and the capture (src/capture/bpftrace-script.ts, in-flight.ts) writes them.

/** Every netprobe program's ready line, printed from BEGIN once every probe is attached, starts so. */
export const NETPROBE_READY_PREFIX = 'netprobe: probes attached';
/** The off-CPU and latency programs' ready line (their own parsers read their maps). */
export const NETPROBE_READY_NO_COUNTS = `${NETPROBE_READY_PREFIX}; off-CPU or latency maps, no syscall counts`;
/** The two-probe counting program's ready line (and, before NETPROBE_READY_NO_COUNTS, the off-CPU and latency ones'). */
export const NETPROBE_READY_RETURNS = `${NETPROBE_READY_PREFIX}; calls in flight at the end = @calls - @returns`;
/** The counting program's ready line since it counts at sys_exit alone. */
export const NETPROBE_READY_AT_RETURN = `${NETPROBE_READY_PREFIX}; calls = @returns + @calls (exits) + @inflight`;
/**
 * The counting program seeds a thread that was blocked in syscall nr before the capture as @threads[tid] =
 * BLOCKED_SEED + nr (never 1, never BLOCKED_SEED - 1 of rt_sigreturn's id -1); its first return sets 1.
 */
export const BLOCKED_SEED = 1000;
/** Appended after the counting program's maps: the calls in flight at the end follow as `@inflight[<tid>]: <nr>`. */
export const IN_FLIGHT_HEADER = 'netprobe: calls in flight at the end, from /proc/<pid>/task/<tid>/syscall';
/** Appended instead when a thread's syscall file could not be read; the reason follows. */
export const IN_FLIGHT_UNKNOWN = 'netprobe: calls in flight at the end unknown:';
