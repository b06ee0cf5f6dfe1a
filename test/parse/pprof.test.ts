import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as pprof from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { toPprof } from '../../src/export/pprof.js';
import { ParseError } from '../../src/model/errors.js';
import { profileTotal, stackList, type Profile } from '../../src/model/profile.js';
import { looksLikePprof, parsePprof } from '../../src/parse/pprof.js';
import { fixture } from '../helpers.js';

const raw = (name: string) => gunzipSync(readFileSync(fixture('pprof', name)));

// A readable dump: one `root;...;leaf values {labels}` line per stack, inlined frames marked with `+`.
function dump(profile: Profile): string[] {
  return stackList(profile)
    .map((s) => {
      const names = s.frames.map((f) => `${profile.frames[f]!.name}${profile.frames[f]!.inlined ? '+' : ''}`);
      const labels = s.labels ? ` ${JSON.stringify(s.labels)}` : '';
      return `${names.join(';')} ${s.values.join(',')}${labels}`;
    })
    .sort();
}

function inlinedInStacks(profile: Profile): string[] {
  const used = new Set(stackList(profile).flatMap((s) => s.frames));
  return [...used].map((i) => profile.frames[i]!).filter((f) => f.inlined).map((f) => `${f.name}@${f.address}:${f.line}`).sort();
}

function totals(profile: Profile): number[] {
  return profile.sampleTypes.map((_, i) => profileTotal(profile, i));
}

// Builds a raw profile.proto with pprof-format, for shapes Go does not produce.
function encode(build: (s: (text: string) => number) => pprof.ProfileInput): Uint8Array {
  const strings = new pprof.StringTable();
  return new pprof.Profile({ ...build((t) => strings.dedup(t)), stringTable: strings }).encode();
}

describe('parsePprof on Go runtime/pprof profiles', () => {
  it('reads a Go CPU profile: sample types, default = last, period, inlined frames, string labels', () => {
    const { profile, syscalls, format } = parsePprof(raw('go-cpu.pb.gz'), 'go-cpu.pb.gz');
    expect(format).toBe('pprof');
    expect(syscalls).toBeUndefined();
    expect(profile!.sampleTypes).toEqual([
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    // Go leaves default_sample_type unset: pprof's rule picks the last type.
    expect(profile!.defaultSampleType).toBe(1);
    expect(profile!.period).toEqual({ type: { type: 'cpu', unit: 'nanoseconds' }, value: 10_000_000 });
    expect(profile!.durationNanos).toBeGreaterThan(1e9);
    expect(profile!.timeNanos).toBeGreaterThan(1.6e18);
    // Same totals `go tool pprof -raw` prints for this file (116 samples, 1.16s).
    expect(totals(profile!)).toEqual([116, 1_160_000_000]);
    const lines = dump(profile!);
    // main.mix was inlined into main.spinMix: one location with two lines -> two frames, callee innermost.
    expect(lines).toContain('runtime.main;main.main;runtime/pprof.Do;main.main.func1;main.spinMix;main.mix+ 28,280000000 {"phase":"mix"}');
    expect(lines.filter((l) => l.includes('main.hashLoop')).every((l) => l.endsWith('{"phase":"hash"}'))).toBe(true);
    expect(lines.filter((l) => l.includes('main.sortLoop')).every((l) => !l.includes('{'))).toBe(true);
    const spin = profile!.frames.find((f) => f.name === 'main.spinMix' && f.line === 24)!;
    expect(spin).toMatchObject({ file: expect.stringMatching(/cpuburn\/main\.go$/), module: expect.stringMatching(/cpuburn$/) });
    expect(spin.inlined).toBeUndefined();
  });

  it('reads a Go heap profile: four sample types, inuse_space by default, numeric labels', () => {
    const { profile } = parsePprof(raw('go-heap.pb.gz'), 'go-heap.pb.gz');
    expect(profile!.sampleTypes.map((t) => `${t.type}/${t.unit}`)).toEqual([
      'alloc_objects/count',
      'alloc_space/bytes',
      'inuse_objects/count',
      'inuse_space/bytes',
    ]);
    expect(profile!.defaultSampleType).toBe(3);
    expect(totals(profile!)).toEqual([16722, 71810251, 14723, 53951749]);
    expect(dump(profile!)).toContain('runtime.main;main.main;main.bigChunks+ 200,52428800,200,52428800 {"bytes":262144}');
    expect(profile!.period).toEqual({ type: { type: 'space', unit: 'bytes' }, value: 4096 });
  });

  it('decodes what toPprof wrote back to the same stacks, types and metadata', () => {
    for (const name of ['go-cpu.pb.gz', 'go-heap.pb.gz']) {
      const first = parsePprof(raw(name), name).profile!;
      const again = parsePprof(toPprof(first), name).profile!;
      expect(dump(again)).toEqual(dump(first));
      expect(again.sampleTypes).toEqual(first.sampleTypes);
      expect(again.defaultSampleType).toBe(first.defaultSampleType);
      expect(again.period).toEqual(first.period);
      expect(again.durationNanos).toBe(first.durationNanos);
      expect(inlinedInStacks(again)).toEqual(inlinedInStacks(first));
    }
  });
});

describe('parsePprof on other shapes', () => {
  it('honours default_sample_type, marks kernel frames, names unsymbolized locations by address, keeps negative values', () => {
    const bytes = encode((s) => ({
      sampleType: [
        { type: s('samples'), unit: s('count') },
        { type: s('cpu'), unit: s('nanoseconds') },
      ],
      defaultSampleType: s('samples'),
      mapping: [
        { id: 1, filename: s('/usr/bin/server'), hasFunctions: true },
        { id: 2, filename: s('[kernel.kallsyms]'), hasFunctions: true },
      ],
      function: [
        { id: 1, name: s('main') },
        { id: 2, name: s('do_syscall_64') },
      ],
      location: [
        { id: 1, mappingId: 1, address: 0x401000, line: [{ functionId: 1, line: 3 }] },
        { id: 2, mappingId: 2, address: 0xffffffff81000130n, line: [{ functionId: 2 }] },
        { id: 3, mappingId: 1, address: 0x401abc },
      ],
      sample: [
        { locationId: [2, 1], value: [3, 30] },
        { locationId: [3, 1], value: [-2, -20], label: [{ key: s('tid'), num: 42 }, { key: s('comm'), str: s('server') }] },
      ],
    }));
    const { profile } = parsePprof(bytes, 'x.pb');
    expect(profile!.defaultSampleType).toBe(0);
    expect(dump(profile!)).toEqual(['main;0x401abc -2,-20 {"tid":42,"comm":"server"}', 'main;do_syscall_64 3,30']);
    expect(profile!.frames.find((f) => f.name === 'do_syscall_64')!.kind).toBe('kernel');
    expect(profile!.frames.find((f) => f.name === 'main')!.kind).toBeUndefined();
  });

  it('returns the syscall table of a syscalls profile and marks the leaf as the syscall', () => {
    const bytes = encode((s) => ({
      sampleType: [
        { type: s('calls'), unit: s('count') },
        { type: s('errors'), unit: s('count') },
        { type: s('time'), unit: s('nanoseconds') },
      ],
      function: [
        { id: 1, name: s('read') },
        { id: 2, name: s('handle_conn') },
      ],
      location: [
        { id: 1, line: [{ functionId: 1 }] },
        { id: 2, line: [{ functionId: 2 }] },
      ],
      sample: [
        { locationId: [1, 2], value: [10, 4, 5000], label: [{ key: s('errno'), str: s('EAGAIN') }] },
        { locationId: [1], value: [6, 0, 1000] },
      ],
    }));
    const { profile, syscalls } = parsePprof(bytes, 'syscalls.pb');
    expect(syscalls!.rows).toEqual([{ name: 'read', calls: 16, errors: 4, errnos: { EAGAIN: 4 }, seconds: 0.000006 }]);
    expect(syscalls!.totals).toEqual({ calls: 16, errors: 4, seconds: 0.000006 });
    const leaves = stackList(profile!).map((st) => profile!.frames[st.frames[st.frames.length - 1]!]!);
    expect(leaves.every((f) => f.kind === 'syscall' && f.name === 'read')).toBe(true);
    expect(profile!.frames[stackList(profile!)[0]!.frames[0]!]!).toMatchObject({ name: 'handle_conn' });
  });

  it('throws a ParseError naming the file for broken references and value counts', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'missing location',
        encode((s) => ({ sampleType: [{ type: s('samples'), unit: s('count') }], sample: [{ locationId: [7], value: [1] }] })),
        /location 7, which does not exist/,
      ],
      [
        'value count',
        encode((s) => ({ sampleType: [{ type: s('samples'), unit: s('count') }], sample: [{ value: [1, 2] }] })),
        /2 values for 1 sample types/,
      ],
      [
        'missing function',
        encode((s) => ({ sampleType: [{ type: s('a'), unit: s('b') }], location: [{ id: 1, line: [{ functionId: 9 }] }] })),
        /function 9, which does not exist/,
      ],
      [
        'string index',
        encode(() => ({ sampleType: [{ type: 99, unit: 0 }] })),
        /string 99, but the string table has 1/,
      ],
    ];
    for (const [, bytes, message] of cases) {
      const err = (() => {
        try {
          parsePprof(bytes, 'bad.pb');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ParseError);
      expect((err as ParseError).message).toMatch(/^bad\.pb:1: expected a pprof profile \(profile\.proto\), got `/);
      expect((err as ParseError).message).toMatch(message);
    }
  });

  it('reports truncated data, bad wire types and an empty input as ParseErrors', () => {
    const whole = raw('go-cpu.pb.gz');
    for (const cut of [1, 7, 100, 1000, whole.length - 1]) {
      expect(() => parsePprof(whole.subarray(0, cut), 'cut.pb')).toThrow(ParseError);
    }
    expect(() => parsePprof(whole.subarray(0, 100), 'cut.pb')).toThrow(/^cut\.pb:1: expected a pprof profile .*truncated/);
    // Field 1 (sample_type) with wire type 5 (fixed32): pprof-format alone would throw a bare Error.
    expect(() => parsePprof(Uint8Array.from([0x0d, 1, 2, 3, 4]), 'w.pb')).toThrow(/unsupported wire type 5/);
    expect(() => parsePprof(new Uint8Array(0), 'empty.pb')).toThrow(/empty\.pb:1: .*<empty file>/);
  });
});

describe('looksLikePprof', () => {
  it('accepts real profiles, whole or only their head', () => {
    for (const name of ['go-cpu.pb.gz', 'go-heap.pb.gz']) {
      const bytes = raw(name);
      expect(looksLikePprof(bytes)).toBe(true);
      expect(looksLikePprof(bytes.subarray(0, 64))).toBe(true);
      expect(looksLikePprof(toPprof(parsePprof(bytes, name).profile!))).toBe(true);
    }
  });

  it('refuses text inputs of every format and binary junk', () => {
    const texts = [
      '% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ----------------\n',
      'dd  9465   420.652025:    1003009 cpu-clock:ppp: \n\tffffffff821ed524 do_syscall_64+0x84 ([kernel.kallsyms])\n',
      'main;handle;read 12\nmain;accept 3\n',
      '\n\n2024-01-01 hello world\n',
      'Attaching 2 probes...\n@[read]: 12\n',
      '12345 read(3, "GET / HTTP/1.1\\r\\n", 1024) = 16\n',
      'H\n',
    ];
    for (const t of texts) expect(looksLikePprof(Buffer.from(t))).toBe(false);
    // Binary junk: ELF header, a PNG header, and deterministic pseudo-random bytes.
    expect(looksLikePprof(Buffer.from('7f454c4602010100000000000000000003003e00', 'hex'))).toBe(false);
    expect(looksLikePprof(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe(false);
    let seed = 12345;
    const junk = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16);
    expect(looksLikePprof(junk)).toBe(false);
    expect(looksLikePprof(new Uint8Array(0))).toBe(false);
  });
});
