// Every file netprobe writes goes through writeFileAtomic: a temp file beside the target, renamed into place, so
// a reader sees the old file or the new one, never part of one, and a failure leaves nothing behind.
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, closeSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { writeFileAtomic } from '../../src/run/write.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-write-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh directory per test, so its listing shows exactly what the test left. */
function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe('writeFileAtomic', () => {
  it('writes text and bytes, and leaves no temporary file behind', async () => {
    const d = folder('new');
    await writeFileAtomic(join(d, 'run.json'), '{"a":1}\n');
    await writeFileAtomic(join(d, 'syscalls.pb.gz'), new Uint8Array([0x1f, 0x8b, 0, 255]));
    expect(readFileSync(join(d, 'run.json'), 'utf8')).toBe('{"a":1}\n');
    expect([...readFileSync(join(d, 'syscalls.pb.gz'))]).toEqual([0x1f, 0x8b, 0, 255]);
    expect(readdirSync(d).sort()).toEqual(['run.json', 'syscalls.pb.gz']);
  });

  it('replaces an existing file by rename: a reader of the old file keeps reading the old content', async () => {
    const d = folder('replace');
    const path = join(d, 'flame.html');
    writeFileSync(path, 'old content');
    const before = statSync(path).ino;
    const fd = openSync(path, 'r');
    try {
      await writeFileAtomic(path, 'new content, longer than the old');
      expect(readFileSync(path, 'utf8')).toBe('new content, longer than the old');
      // A new inode took the name; the open descriptor still sees the whole old file, not a mix.
      expect(statSync(path).ino).not.toBe(before);
      const buf = Buffer.alloc(64);
      expect(buf.toString('utf8', 0, readSync(fd, buf, 0, 64, 0))).toBe('old content');
    } finally {
      closeSync(fd);
    }
    expect(readdirSync(d)).toEqual(['flame.html']);
  });

  it('concurrent writes of one path each use their own temporary file; one complete content wins', async () => {
    const d = folder('concurrent');
    const path = join(d, 'run.json');
    const contents = Array.from({ length: 8 }, (_, i) => `writer ${i} `.repeat(10_000));
    await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
    expect(contents).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(d)).toEqual(['run.json']);
  });

  it('a missing directory: an input error naming the path, with the cause kept', async () => {
    const path = join(dir, 'no-such-dir', 'run.json');
    const err = await writeFileAtomic(path, 'x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetprobeError);
    expect(err).toMatchObject({ code: 'input' });
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('a failed rename (a directory in the way) removes the temporary file it wrote', async () => {
    const d = folder('blocked');
    mkdirSync(join(d, 'run.json'));
    writeFileSync(join(d, 'run.json', 'keep'), 'x');
    await expect(writeFileAtomic(join(d, 'run.json'), 'data')).rejects.toThrow(new RegExp(`^cannot write .*blocked/run\\.json: `));
    expect(readdirSync(d)).toEqual(['run.json']);
    expect(readdirSync(join(d, 'run.json'))).toEqual(['keep']);
  });
});
