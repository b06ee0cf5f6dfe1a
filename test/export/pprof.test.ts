import * as pprof from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { toPprof } from '../../src/export/pprof.js';
import { CPU_SAMPLE_TYPES, ProfileBuilder, profileTotal, stackList, SYSCALL_SAMPLE_TYPES, type Profile } from '../../src/model/profile.js';
import { profileFromSyscalls, syscallsFromProfile } from '../../src/model/syscall-profile.js';
import { tableFromRows, type SyscallTable } from '../../src/model/syscalls.js';
import { parsePprof } from '../../src/parse/pprof.js';

// A perf-like CPU profile: process root, user frames with an inlined chain, kernel frames, labels.
function cpuProfile(): Profile {
  const b = new ProfileBuilder(CPU_SAMPLE_TYPES, 1);
  const server = { name: 'server', kind: 'process' as const };
  const main = { name: 'main', module: '/usr/bin/server', address: 0x401000, file: 'server.c', line: 10 };
  const handle = { name: 'handle', module: '/usr/bin/server', address: 0x401200, file: 'server.c', line: 40 };
  const parse = { name: 'parse', module: '/usr/bin/server', address: 0x401200, inlined: true, file: 'parse.h', line: 7 };
  const digit = { name: 'is_digit', module: '/usr/bin/server', address: 0x401200, inlined: true, file: 'ctype.h', line: 2 };
  const read = { name: 'read', module: '/usr/lib/x86_64-linux-gnu/libc.so.6', address: 0xf82ad };
  const entry = { name: 'entry_SYSCALL_64', module: '[kernel.kallsyms]', kind: 'kernel' as const, address: 0xffffffff81000130 };
  b.add([server, main, handle, parse, digit], [5, 5_000_000], { tid: 4242, comm: 'server' });
  b.add([server, main, read, entry], [2, 2_000_000], { tid: 4243, comm: 'server' });
  b.add([server, main, handle], [1, 1_000_000]);
  return b.build({ period: { type: { type: 'cpu', unit: 'nanoseconds' }, value: 1_000_000 }, durationNanos: 3e9, timeNanos: 1.7e18, comments: ['netprobe test'] });
}

const decodeRaw = (bytes: Uint8Array) => pprof.Profile.decode(bytes);

describe('toPprof', () => {
  it('writes one string table, ids sequential from 1 and every reference resolvable', () => {
    const p = decodeRaw(toPprof(cpuProfile()));
    const strings = p.stringTable.strings;
    expect(strings[0]).toBe('');
    expect(new Set(strings).size).toBe(strings.length);
    for (const list of [p.mapping, p.location, p.function]) {
      expect(list.map((x) => Number(x.id))).toEqual(list.map((_, i) => i + 1));
    }
    const locationIds = new Set(p.location.map((l) => Number(l.id)));
    const functionIds = new Set(p.function.map((f) => Number(f.id)));
    for (const s of p.sample) for (const id of s.locationId) expect(locationIds.has(Number(id))).toBe(true);
    for (const l of p.location) for (const line of l.line) expect(functionIds.has(Number(line.functionId))).toBe(true);
    expect(p.sampleType.map((t) => `${strings[Number(t.type)]}/${strings[Number(t.unit)]}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(strings[Number(p.defaultSampleType)]).toBe('cpu');
    expect(strings[Number(p.periodType!.type)]).toBe('cpu');
    expect(Number(p.period)).toBe(1_000_000);
    expect(Number(p.durationNanos)).toBe(3e9);
    expect(p.comment.map((c) => strings[Number(c)])).toEqual(['netprobe test']);
  });

  it('marks mappings as symbolized so pprof does not look for the binaries', () => {
    const p = decodeRaw(toPprof(cpuProfile()));
    const names = p.mapping.map((m) => p.stringTable.strings[Number(m.filename)]);
    expect(names).toEqual(['/usr/bin/server', '/usr/lib/x86_64-linux-gnu/libc.so.6', '[kernel.kallsyms]']);
    expect(p.mapping.every((m) => m.hasFunctions && m.hasFilenames && m.hasLineNumbers && m.hasInlineFrames)).toBe(true);
  });

  it('writes an inlined chain as one location whose lines list the innermost callee first', () => {
    const p = decodeRaw(toPprof(cpuProfile()));
    const fn = (id: number | bigint) => p.stringTable.strings[Number(p.function.find((f) => f.id === id)!.name)];
    const chain = p.location.find((l) => l.line.length > 1)!;
    expect(chain.line.map((l) => fn(l.functionId))).toEqual(['is_digit', 'parse', 'handle']);
    expect(chain.line.map((l) => Number(l.line))).toEqual([2, 7, 40]);
    expect(Number(chain.address)).toBe(0x401200);
    // The sample through it is leaf first: [chain, main, server].
    const first = p.sample.find((s) => s.locationId.length === 3 && Number(s.value[0]) === 5)!;
    expect(Number(first.locationId[0])).toBe(Number(chain.id));
  });

  it('writes string labels as str and numbers as num', () => {
    const p = decodeRaw(toPprof(cpuProfile()));
    const s = p.stringTable.strings;
    const labels = p.sample.map((x) => x.label.map((l) => [s[Number(l.key)], Number(l.str) ? s[Number(l.str)] : Number(l.num), Number(l.numUnit)]));
    expect(labels).toContainEqual([
      ['tid', 4242, 0],
      ['comm', 'server', 0],
    ]);
    const bytes = new ProfileBuilder([{ type: 'alloc_space', unit: 'bytes' }]);
    bytes.add([{ name: 'f' }], [64], { bytes: 64 });
    const q = decodeRaw(toPprof(bytes.build()));
    expect(q.stringTable.strings[Number(q.sample[0]!.label[0]!.numUnit)]).toBe('bytes');
  });

  it('round-trips through the decoder with the same stacks, kinds of kernel frames and totals', () => {
    const model = cpuProfile();
    const back = parsePprof(toPprof(model), 'cpu.pb').profile!;
    const folded = (p: Profile) => stackList(p).map((s) => `${s.frames.map((f) => p.frames[f]!.name).join(';')} ${s.values.join(',')}`).sort();
    expect(folded(back)).toEqual(folded(model));
    expect([profileTotal(back, 0), profileTotal(back, 1)]).toEqual([8, 8_000_000]);
    expect(back.frames.find((f) => f.name === 'entry_SYSCALL_64')!.kind).toBe('kernel');
    expect(stackList(back).find((s) => s.values[0] === 5)!.labels).toEqual({ tid: 4242, comm: 'server' });
  });
});

describe('profileFromSyscalls and syscallsFromProfile', () => {
  const table: SyscallTable = tableFromRows(
    [
      { name: 'read', calls: 1000, errors: 400, errnos: { EAGAIN: 400 }, seconds: 0.012345 },
      { name: 'epoll_wait', calls: 300, errors: 0, errnos: {}, seconds: 0.5 },
      { name: 'connect', calls: 5, errors: 5, errnos: { EINPROGRESS: 4, ECONNREFUSED: 1 }, seconds: 0.000101 },
      // strace -c counts errors without an errno breakdown.
      { name: 'futex', calls: 50, errors: 7, errnos: {}, seconds: 0.25 },
    ],
    true,
  );

  it('makes one syscall leaf per syscall with calls, errors and time in nanoseconds, totals unchanged', () => {
    const profile = profileFromSyscalls(table);
    expect(profile.sampleTypes).toEqual(SYSCALL_SAMPLE_TYPES);
    expect(profile.defaultSampleType).toBe(0);
    expect([0, 1, 2].map((i) => profileTotal(profile, i))).toEqual([1355, 412, 762_446_000]);
    expect(profile.frames.every((f) => f.kind === 'syscall')).toBe(true);
    expect(stackList(profile).every((s) => s.frames.length === 1)).toBe(true);
    // Failed calls with a known errno carry it as a label, so pprof -tagfocus errno=EAGAIN works.
    const eagain = stackList(profile).find((s) => s.labels?.errno === 'EAGAIN')!;
    expect(eagain.values).toEqual([400, 400, 0]);
  });

  it('reads the table back, through pprof bytes too', () => {
    const direct = syscallsFromProfile(profileFromSyscalls(table))!;
    const viaPprof = parsePprof(toPprof(profileFromSyscalls(table)), 'syscalls.pb').syscalls!;
    for (const back of [direct, viaPprof]) {
      expect(back.rows).toEqual(table.rows);
      expect(back.totals).toEqual(table.totals);
      expect(back.hasTime).toBe(true);
    }
  });

  it('keeps an inconsistent errno breakdown out of the labels rather than change totals', () => {
    const odd = tableFromRows([{ name: 'read', calls: 3, errors: 1, errnos: { EAGAIN: 2 }, seconds: 0 }], false);
    const profile = profileFromSyscalls(odd);
    expect(stackList(profile)).toEqual([{ frames: [0], values: [3, 1, 0] }]);
    expect(syscallsFromProfile(profile)!.hasTime).toBe(false);
  });

  it('says undefined for profiles that are not syscall profiles', () => {
    expect(syscallsFromProfile(cpuProfile())).toBeUndefined();
  });
});
