// The profile builder (STYLE.md rule 5): frames and stacks interned, zero-weight samples kept out, and what it
// is given copied, so a parser reusing its arrays cannot change a profile behind the builder's back.
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
