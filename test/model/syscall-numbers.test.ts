import { describe, expect, it } from 'vitest';
import { errnoName, errnoNumber } from '../../src/model/errno.js';
import { AARCH64_SYSCALLS, X86_64_SYSCALLS, normalizeArch, syscallName } from '../../src/model/syscall-numbers.js';

describe('syscall numbers', () => {
  it('names x86_64 numbers, including syscalls newer than the 6.1 headers', () => {
    expect(syscallName(0, 'x86_64')).toBe('read');
    expect(syscallName(110, 'x86_64')).toBe('getppid');
    expect(syscallName(232, 'x86_64')).toBe('epoll_wait');
    expect(syscallName(281, 'x86_64')).toBe('epoll_pwait');
    expect(syscallName(435, 'x86_64')).toBe('clone3');
    expect(syscallName(450, 'x86_64')).toBe('set_mempolicy_home_node');
    expect(syscallName(462, 'x86_64')).toBe('mseal');
    expect(syscallName(469, 'x86_64')).toBe('file_setattr');
    expect(syscallName(335, 'x86_64')).toBe('uretprobe');
  });

  it('names aarch64 numbers from the generic table (no epoll_wait, open or poll)', () => {
    expect(syscallName(63, 'aarch64')).toBe('read');
    expect(syscallName(22, 'aarch64')).toBe('epoll_pwait');
    expect(syscallName(56, 'aarch64')).toBe('openat');
    expect(syscallName(79, 'aarch64')).toBe('newfstatat');
    expect(syscallName(163, 'aarch64')).toBe('getrlimit');
    expect(syscallName(435, 'aarch64')).toBe('clone3');
    expect(syscallName(462, 'aarch64')).toBe('mseal');
    const names = new Set(Object.values(AARCH64_SYSCALLS));
    for (const missing of ['epoll_wait', 'open', 'poll', 'uretprobe']) expect(names.has(missing)).toBe(false);
  });

  it('covers every syscall up to 469 and has one name per number', () => {
    expect(Object.keys(X86_64_SYSCALLS)).toHaveLength(383);
    expect(Object.keys(AARCH64_SYSCALLS)).toHaveLength(325);
    expect(new Set(Object.values(X86_64_SYSCALLS)).size).toBe(383);
  });

  it('names unknown numbers the way strace does', () => {
    expect(syscallName(500, 'x86_64')).toBe('syscall_0x1f4');
    expect(syscallName(400, 'aarch64')).toBe('syscall_0x190');
  });

  it('normalises os.arch() and uname -m spellings and rejects others with a usage error', () => {
    expect(normalizeArch('x64')).toBe('x86_64');
    expect(normalizeArch('x86_64')).toBe('x86_64');
    expect(normalizeArch('amd64')).toBe('x86_64');
    expect(normalizeArch('arm64')).toBe('aarch64');
    expect(normalizeArch('aarch64')).toBe('aarch64');
    expect(() => normalizeArch('riscv64')).toThrow(expect.objectContaining({ code: 'usage', message: 'no syscall table for architecture `riscv64`' }));
  });
});

describe('errno', () => {
  it('maps numbers to names and back, with aliases', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(115)).toBe('EINPROGRESS');
    expect(errnoName(133)).toBe('EHWPOISON');
    expect(errnoName(512)).toBe('ERESTARTSYS');
    expect(errnoName(4000)).toBe('errno_4000');
    expect(errnoNumber('EAGAIN')).toBe(11);
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('ENOTSUP')).toBe(95);
    expect(errnoNumber('ENOPE')).toBeUndefined();
  });
});
