// Syscall families: which syscalls count as what a server does, summed so runtimes and architectures compare.
import { describe, expect, it } from 'vitest';
import { eagainTotal, FAMILIES, familyCounts, familyOf, hasErrnoDetail, otherCounts } from '../../src/model/families.js';
import { tableFromRows, type SyscallRow } from '../../src/model/syscalls.js';

const row = (name: string, calls: number, errors = 0, errnos: Record<string, number> = {}, seconds = 0): SyscallRow => ({ name, calls, errors, errnos, seconds });

// Go's netpoll server as bpftrace sees it: reads that come too early fail with EAGAIN.
const go = tableFromRows(
  [
    row('read', 300, 100, { EAGAIN: 90, EWOULDBLOCK: 5, ECONNRESET: 5 }, 0.03),
    row('write', 200, 0, {}, 0.02),
    row('epoll_pwait', 150, 0, {}, 0.5),
    row('futex', 80, 10, { ETIMEDOUT: 4, EAGAIN: 6 }, 0.4),
    row('nanosleep', 20, 0, {}, 0.1),
    row('tgkill', 5),
    row('rt_sigreturn', 5),
    row('accept4', 4, 2, { EAGAIN: 2 }),
    row('madvise', 7),
    row('getrandom', 3, 1, { EINTR: 1 }),
  ],
  true,
);

describe('familyOf', () => {
  it('groups the syscalls that do the same job across runtimes and architectures', () => {
    expect(['epoll_wait', 'epoll_pwait', 'epoll_pwait2'].map(familyOf)).toEqual(['epoll-wait', 'epoll-wait', 'epoll-wait']);
    expect(['read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg'].map(familyOf)).toEqual(Array(5).fill('read'));
    expect(['write', 'writev', 'sendto', 'sendmsg', 'sendfile'].map(familyOf)).toEqual(Array(5).fill('write'));
    expect(['accept', 'accept4'].map(familyOf)).toEqual(['accept', 'accept']);
    expect(['clone', 'clone3', 'fork', 'vfork'].map(familyOf)).toEqual(Array(4).fill('thread-create'));
    expect(['poll', 'ppoll', 'select', 'pselect6'].map(familyOf)).toEqual(Array(4).fill('poll-select'));
    expect(['tgkill', 'rt_sigreturn'].map(familyOf)).toEqual(['signals', 'signals']);
    expect(familyOf('clock_nanosleep')).toBe('sleep');
  });

  it('leaves file reads by offset and unrelated syscalls outside every family', () => {
    for (const name of ['pread64', 'preadv', 'openat', 'madvise', 'mmap', 'not_a_syscall', '']) expect(familyOf(name), name).toBeUndefined();
  });

  it('puts every member in exactly one family', () => {
    const members = FAMILIES.flatMap((f) => f.members);
    expect(new Set(members).size).toBe(members.length);
  });
});

describe('familyCounts', () => {
  it('sums calls, errors, EAGAIN failures and time by family; every family is present', () => {
    const counts = familyCounts(go);
    expect(Object.keys(counts).sort()).toEqual(FAMILIES.map((f) => f.id).sort());
    expect(counts.read).toEqual({ calls: 300, errors: 100, eagain: 95, seconds: 0.03 });
    expect(counts.futex).toEqual({ calls: 80, errors: 10, eagain: 6, seconds: 0.4 });
    expect(counts.signals).toEqual({ calls: 10, errors: 0, eagain: 0, seconds: 0 });
    expect(counts.accept).toMatchObject({ calls: 4, errors: 2, eagain: 2 });
    expect(counts['io-uring']).toEqual({ calls: 0, errors: 0, eagain: 0, seconds: 0 });
  });

  it('adds up the members of one family', () => {
    const nginx = tableFromRows([row('recvfrom', 10), row('readv', 5), row('read', 1), row('writev', 10), row('sendfile', 3)], false);
    const counts = familyCounts(nginx);
    expect(counts.read.calls).toBe(16);
    expect(counts.write.calls).toBe(13);
  });
});

describe('otherCounts', () => {
  it('is what the table holds outside every family', () => {
    expect(otherCounts(go)).toEqual({ calls: 10, errors: 1 });
    expect(otherCounts(go, familyCounts(go))).toEqual(otherCounts(go));
  });

  it('is zero for a table of family members only, and everything for one of none', () => {
    expect(otherCounts(tableFromRows([row('read', 3, 1)], false))).toEqual({ calls: 0, errors: 0 });
    expect(otherCounts(tableFromRows([row('openat', 3, 1), row('mmap', 2)], false))).toEqual({ calls: 5, errors: 1 });
  });
});

describe('eagainTotal and hasErrnoDetail', () => {
  it('eagainTotal counts EAGAIN and EWOULDBLOCK failures of every syscall, in families or not', () => {
    expect(eagainTotal(go)).toBe(90 + 5 + 6 + 2);
    expect(eagainTotal(tableFromRows([row('getrandom', 4, 4, { EAGAIN: 4 })], false))).toBe(4);
  });

  it('hasErrnoDetail: errno names present, or no errors at all; not a strace -c table with errors', () => {
    expect(hasErrnoDetail(go)).toBe(true);
    expect(hasErrnoDetail(tableFromRows([row('read', 10)], false))).toBe(true);
    expect(hasErrnoDetail(tableFromRows([], false))).toBe(true);
    // strace -c counts errors but cannot name them: EAGAIN is unknown, not zero.
    const straceC = tableFromRows([row('read', 10, 3), row('write', 5)], true);
    expect(hasErrnoDetail(straceC)).toBe(false);
    expect(eagainTotal(straceC)).toBe(0);
  });
});
