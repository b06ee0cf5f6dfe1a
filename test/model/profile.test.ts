// The profile builder (STYLE.md rule 5): frames and stacks interned, zero-weight samples kept out, and what it
// is given copied, so a parser reusing its arrays cannot change a profile behind the builder's back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { CPU_SAMPLE_TYPES, FrameInterner, ProfileBuilder, profileTotal, sampleTypeIndex, stackList, SYSCALL_SAMPLE_TYPES, type Frame, type Profile } from '../../src/model/profile.js';

/** `frame;frame;frame values [labels]` lines: the profile as a reader checks it. */
function dump(p: Profile): string[] {
  return stackList(p).map((s) => {
    const labels = s.labels ? ` ${JSON.stringify(s.labels)}` : '';
    return `${s.frames.map((id) => p.frames[id]!.name).join(';')} ${s.values.join(',')}${labels}`;
  });
}

const server: Frame = { name: 'server', kind: 'process' };
const main: Frame = { name: 'main', kind: 'user', module: '/srv/server' };
const read: Frame = { name: 'read', kind: 'syscall' };
const write: Frame = { name: 'write', kind: 'syscall' };

describe('ProfileBuilder', () => {
  it('interns every distinct frame once, ids in the order first seen', () => {
    const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
    b.add([server, main, read], [3, 1, 300]);
    b.add([server, main, write], [2, 0, 200]);
    b.add([{ ...server }, { ...main }, { ...read }], [1, 0, 100]);
    const p = b.build();
    expect(p.frames.map((f) => f.name)).toEqual(['server', 'main', 'read', 'write']);
    expect(stackList(p).map((s) => s.frames)).toEqual([
      [0, 1, 2],
      [0, 1, 3],
    ]);
  });

  it('frames differing in any field are different frames', () => {
    const b = new ProfileBuilder(CPU_SAMPLE_TYPES);
    const variants: Frame[] = [
      { name: 'f' },
      { name: 'f', kind: 'kernel' },
      { name: 'f', module: 'libc.so.6' },
      { name: 'f', inlined: true },
      { name: 'f', address: 0x1000 },
      { name: 'f', file: 'f.c' },
      { name: 'f', file: 'f.c', line: 7 },
    ];
    for (const f of variants) b.add([f], [1, 10]);
    expect(b.build().frames).toHaveLength(variants.length);
    expect(new FrameInterner().id({ name: 'f', inlined: false })).toBe(0);
  });

  it('merges samples of the same stack and labels, summing every value', () => {
    const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
    b.add([server, main, read], [3, 1, 300]);
    b.add([server, main, read], [4, 2, 400]);
    b.add([server, main, read], [1, 0, 50], { tid: 7 });
    b.add([server, main, read], [1, 0, 50], { tid: 7 });
    b.add([server, main, read], [1, 0, 50], { tid: 8, comm: 'worker' });
    // Label order does not matter.
    b.add([server, main, read], [1, 0, 50], { comm: 'worker', tid: 8 });
    expect(b.sampleCount).toBe(3);
    expect(dump(b.build())).toEqual(['server;main;read 7,3,700', 'server;main;read 2,0,100 {"tid":7}', 'server;main;read 2,0,100 {"tid":8,"comm":"worker"}']);
  });

  it('keeps zero-weight samples out, but a sample with any non-zero value in', () => {
    const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
    b.add([server, read], [0, 0, 0]);
    expect(b.sampleCount).toBe(0);
    b.add([server, write], [0, 0, 5]);
    expect(dump(b.build())).toEqual(['server;write 0,0,5']);
  });

  it('refuses a sample with the wrong number of values', () => {
    const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
    expect(() => b.add([server, read], [1, 2])).toThrow('expected 3 values per sample, got 2');
  });

  it('addStack takes frame ids from frameId()', () => {
    const b = new ProfileBuilder(CPU_SAMPLE_TYPES, 1);
    const ids = [b.frameId(server), b.frameId(main)];
    expect(b.frameId({ name: 'server', kind: 'process' })).toBe(ids[0]);
    b.addStack(ids, [5, 50_000_000]);
    const p = b.build({ durationNanos: 1e9, comments: ['perf record -F 99'] });
    expect(dump(p)).toEqual(['server;main 5,50000000']);
    expect(p).toMatchObject({ sampleTypes: CPU_SAMPLE_TYPES, defaultSampleType: 1, durationNanos: 1e9, comments: ['perf record -F 99'] });
  });

  it('copies the frames, values and labels it is given: the caller may reuse its arrays', () => {
    const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
    const frames = [b.frameId(server), b.frameId(read)];
    const values = [1, 0, 100];
    const labels: Record<string, string | number> = { tid: 1 };
    b.addStack(frames, values, labels);
    frames.push(b.frameId(main));
    values[0] = 1000;
    labels.tid = 2;
    expect(dump(b.build())).toEqual(['server;read 1,0,100 {"tid":1}']);
  });
});

describe('StackTable', () => {
  const frameArb = fc.record({ name: fc.constantFrom('a', 'b', 'c', 'read', ''), kind: fc.constantFrom(undefined, 'kernel' as const) }).map((f) => (f.kind ? f : { name: f.name }));
  const sampleArb = fc.record({
    frames: fc.array(frameArb, { maxLength: 5 }),
    values: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
    labels: fc.option(fc.record({ tid: fc.integer({ min: 1, max: 3 }) }), { nil: undefined }),
  });

  it('every accessor agrees with the stack as plain arrays (at, stackList), which merge like a map', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 40 }), (samples) => {
        const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES);
        const expected = new Map<string, number[]>();
        for (const s of samples) {
          b.add(s.frames, s.values, s.labels);
          if (s.values.every((v) => v === 0)) continue;
          const key = JSON.stringify([s.frames.map((f) => [f.name, f.kind]), s.labels?.tid]);
          expected.set(key, (expected.get(key) ?? [0, 0, 0]).map((v, i) => v + s.values[i]!));
        }
        const p = b.build();
        const t = p.stacks;
        expect(t.count).toBe(expected.size);
        expect(t.offsets[t.count]).toBe(t.frameIds.length);
        expect(t.valueData.length).toBe(t.count * 3);
        const list = stackList(p);
        const got = new Map<string, number[]>();
        list.forEach((s, i) => {
          expect(s).toEqual(t.at(i));
          expect(Array.from(t.frames(i))).toEqual(s.frames);
          expect(t.frameCount(i)).toBe(s.frames.length);
          expect(t.end(i) - t.start(i)).toBe(s.frames.length);
          s.frames.forEach((f, d) => expect(t.frame(i, d)).toBe(f));
          expect(t.leaf(i)).toBe(s.frames.at(-1) ?? -1);
          expect(t.values(i)).toEqual(s.values);
          s.values.forEach((v, type) => expect(t.value(i, type)).toBe(v));
          expect(t.value(i, 3)).toBe(0);
          expect(t.labels(i)).toEqual(s.labels);
          got.set(JSON.stringify([s.frames.map((f) => [p.frames[f]!.name, p.frames[f]!.kind]), s.labels?.tid]), s.values);
        });
        expect(t.hasLabels).toBe(list.some((s) => s.labels));
        expect(got).toEqual(expected);
      }),
      { seed: 20261129, numRuns: 100 },
    );
  });

  it('addStack reads only the first frameCount frame ids', () => {
    const b = new ProfileBuilder(CPU_SAMPLE_TYPES);
    const ids = [b.frameId(server), b.frameId(main), b.frameId(read)];
    b.addStack(ids, [1, 10], undefined, 2);
    b.addStack(ids, [1, 10]);
    b.addStack([ids[0]!, ids[1]!], [2, 20]);
    expect(dump(b.build())).toEqual(['server;main 3,30', 'server;main;read 1,10']);
  });

  it('an empty profile has an empty table', () => {
    const p = new ProfileBuilder(CPU_SAMPLE_TYPES).build();
    expect(p.stacks.count).toBe(0);
    expect(stackList(p)).toEqual([]);
    expect(profileTotal(p)).toBe(0);
  });
});

describe('FrameInterner.named', () => {
  it('finds a frame by a range of a longer text, making a frame only for a name not seen before', () => {
    const interner = new FrameInterner();
    const made: string[] = [];
    const make = (name: string): Frame => {
      made.push(name);
      return { name, kind: 'kernel' };
    };
    const text = 'main;read;main';
    expect(interner.named(text, 0, 4, make)).toBe(0);
    expect(interner.named(text, 5, 9, make)).toBe(1);
    expect(interner.named(text, 10, 14, make)).toBe(0);
    expect(interner.id({ name: 'read', kind: 'kernel' })).toBe(1);
    expect(interner.id({ name: 'read' })).toBe(2);
    expect(interner.named('read', 0, 4, make)).toBe(1);
    expect(made).toEqual(['main', 'read']);
  });
});

describe('sampleTypeIndex and profileTotal', () => {
  const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES, 0);
  b.add([server, read], [3, 1, 300]);
  b.add([server, write], [2, 0, 200]);
  const p = b.build();

  it('sampleTypeIndex: by name, the default when none is asked for, a usage error listing the choices otherwise', () => {
    expect(sampleTypeIndex(p, undefined)).toBe(0);
    expect(sampleTypeIndex(p, 'time')).toBe(2);
    expect(() => sampleTypeIndex(p, 'cpu')).toThrow(new NetprobeError('usage', 'unknown sample type `cpu`; this profile has: calls, errors, time'));
    expect(() => sampleTypeIndex(p, 'cpu')).toThrow(expect.objectContaining({ code: 'usage' }));
  });

  it('profileTotal sums one sample type over all stacks, the default one unless told', () => {
    expect(profileTotal(p)).toBe(5);
    expect(profileTotal(p, 1)).toBe(1);
    expect(profileTotal(p, 2)).toBe(500);
  });
});
