// Latency by syscall family: runtimes and architectures sleep, wait and read through different syscalls
// (epoll_wait vs epoll_pwait, nanosleep vs clock_nanosleep), so models compare per family.
import { FAMILIES } from '../model/families.js';
import { latencyFromBuckets, type LatencyTable } from '../model/latency.js';

/**
 * One distribution per family (keyed by family id) with any measured member: the members' buckets added up, calls
 * summed, the largest max; percentiles read again from the merged buckets. Syscalls outside every family are left out.
 */
export function latencyByFamily(table: LatencyTable): LatencyTable {
  const out: LatencyTable = {};
  for (const family of FAMILIES) {
    const members = family.members.map((name) => table[name]).filter((l) => l !== undefined);
    if (members.length === 0) continue;
    out[family.id] = latencyFromBuckets(
      members.flatMap((l) => l.buckets),
      Math.max(...members.map((l) => l.max)),
    );
  }
  return out;
}
