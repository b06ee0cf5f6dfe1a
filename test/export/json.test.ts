// convert --format json is written in chunks (export/json.ts jsonDocumentChunks): the text must be exactly what
// JSON.stringify(…, null, 2) gives for the same document.
import { describe, expect, it } from 'vitest';
import { jsonDocumentChunks, profileJson, syscallsJson } from '../../src/export/json.js';
import { ProfileBuilder, type Profile } from '../../src/model/profile.js';
import { SyscallTableBuilder } from '../../src/model/syscalls.js';

function text(chunks: Iterable<Uint8Array>): string {
  return Buffer.concat([...chunks]).toString('utf8');
}

function expected(syscalls: ReturnType<typeof syscallsJson> | undefined, profile: Profile | undefined): string {
  return `${JSON.stringify({ ...(syscalls ?? {}), ...(profile ? { profile: profileJson(profile) } : {}) }, null, 2)}\n`;
}

function table() {
  const b = new SyscallTableBuilder();
  b.add('read', 10, 2, 0.5, { EAGAIN: 2 });
  b.add('write', 7, 0, 0.25, {});
  b.tracksInFlight();
  b.addInFlight('read', 1);
  return syscallsJson(b.build(3));
}

function profile(): Profile {
  const b = new ProfileBuilder([{ type: 'calls', unit: 'count' }, { type: 'time', unit: 'nanoseconds' }], 1);
  b.add([{ name: 'main', module: '/bin/x' }, { name: 'séance "quoted"\n', kind: 'kernel' }, { name: 'read', kind: 'syscall' }], [3, 1.5], { thread: 7, comm: 'x' });
  b.add([{ name: 'main', module: '/bin/x' }, { name: '\u{1F600}' }], [1, 2]);
  return b.build();
}

describe('jsonDocumentChunks', () => {
  it('writes exactly what JSON.stringify writes, with and without each part', () => {
    const empty = new ProfileBuilder([{ type: 'samples', unit: 'count' }]).build();
    for (const [s, p] of [
      [table(), profile()],
      [undefined, profile()],
      [table(), undefined],
      [undefined, empty],
      [table(), empty],
    ] as const) {
      expect(text(jsonDocumentChunks(s, p))).toBe(expected(s, p));
    }
  });

  it('stays exact across chunk boundaries (20,000 stacks, several chunks)', () => {
    const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }]);
    for (let i = 0; i < 20_000; i++) b.add([{ name: 'root' }, { name: `fn_\u00e9_${i}` }], [1 + (i % 5)], i % 2 ? { tid: i } : undefined);
    const p = b.build();
    const chunks = [...jsonDocumentChunks(table(), p)];
    expect(chunks.length).toBeGreaterThan(1);
    expect(text(chunks)).toBe(expected(table(), p));
  });
});
