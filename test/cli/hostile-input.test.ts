// Hostile input costs bounded time and memory and ends in one line naming the file and line (exit 2).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as pprof from 'pprof-format';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netprobe-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounded input', () => {
  it('a line of 20 MB is refused at once, naming its line', async () => {
    const file = join(dir, 'long-line.txt');
    writeFileSync(file, `main;read 1\nmain;write 2\n${'a'.repeat(20 * 1024 * 1024)}\n`);
    const started = Date.now();
    const r = await runCli(['summary', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^netprobe: ${file}:3: expected text lines \\(none of the formats netprobe reads has lines over 16\\.0 MiB\\)`));
    expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a gzip bomb is refused once it decompresses past the bound, which --max-input-size raises', async () => {
    // 64 MiB of short folded lines in a small gzip; the bound is lowered to 16 MiB to keep the test quick.
    const file = join(dir, 'bomb.folded.gz');
    writeFileSync(file, gzipSync(Buffer.from('main;handler;read 1\n'.repeat(64 * 1024 * 1024 / 20))));
    const r = await runCli(['--max-input-size', '16M', 'convert', file, '--format', 'folded']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/bomb\.folded\.gz: decompresses to more than 16\.0 MiB; refusing to inflate it further/);
    expect(r.stderr).toMatch(/--max-input-size/);
    const ok = await runCli(['--max-input-size', '128M', 'convert', file, '--format', 'folded']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('main;handler;read 3355443\n');
    const bad = await runCli(['--max-input-size', 'lots', 'summary', file]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Expected `--max-input-size` to be a size like 512M or 8G, got `lots`/);
  });

  it('summary refuses folded stacks right after detection instead of reading them to the end', async () => {
    const file = join(dir, 'big.folded');
    writeFileSync(file, 'main;handler;read 1\n'.repeat(2_000_000));
    const r = await runCli(['summary', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file} has no syscall counts (it is folded stacks)`);
  });

  it("escape sequences in an input or a target's stderr never reach the terminal raw", async () => {
    const file = join(dir, 'evil.txt');
    writeFileSync(file, `this line is text, not any format netprobe reads \u001b]0;pwned\u0007 and it goes on for a while\n`);
    const r = await runCli(['summary', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toContain('\u001b');
    // A target that sets the terminal title on its way out: its stderr tail is quoted, escaped.
    const t = await runCli(['trace', '--backend', 'strace', '--port', '9', '--ready-timeout', '5s', '--', 'sh', '-c', 'printf "\\033]0;pwned\\007 oops\\n" >&2; exit 3']);
    expect(t.exitCode).toBe(3);
    expect(t.stderr).not.toContain('\u001b');
    expect(t.stderr).toContain('| \\u001b]0;pwned\\u0007 oops');
  });
});

describe('outputs', () => {
  const input = fixture('folded', 'busy-cpu-clock.folded');

  it('never writes through a symbolic link, dangling or not, unless --force, which replaces the link itself', async () => {
    const target = join(dir, 'elsewhere.folded');
    const link = join(dir, 'link.folded');
    symlinkSync(target, link);
    const r = await runCli(['convert', input, '--format', 'folded', '-o', link]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${link} is a symbolic link; not writing through it`);
    expect(existsSync(target)).toBe(false);
    const forced = await runCli(['convert', input, '--format', 'folded', '-o', link, '--force']);
    expect(forced.exitCode).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it('leaves no temporary file beside the output, and replaces an existing one only with --force', async () => {
    const out = join(dir, 'out', 'x.folded');
    mkdirSync(join(dir, 'out'));
    writeFileSync(out, 'old\n');
    expect((await runCli(['convert', input, '--format', 'folded', '-o', out])).exitCode).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect((await runCli(['convert', input, '--format', 'folded', '-o', out, '--force'])).exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toBe('old\n');
    expect(readdirSync(join(dir, 'out'))).toEqual(['x.folded']);
  });

  it('a write into a missing directory is one line, exit 2', async () => {
    const r = await runCli(['convert', input, '--format', 'folded', '-o', join(dir, 'no', 'such', 'dir', 'x.folded')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^netprobe: cannot write .*x\.folded: ENOENT/);
  });
});

describe('deep stacks', () => {
  const deep = (n: number, leafCount: number) => `${Array.from({ length: n }, (_, i) => `f${i}`).join(';')} ${leafCount}\n`;

  it('flame draws a 2,200-frame stack cut to its outer 1,000 frames, saying how many were cut', async () => {
    const file = join(dir, 'deep.folded');
    writeFileSync(file, deep(2200, 5) + 'main;other 3\n');
    const out = join(dir, 'deep.html');
    const r = await runCli(['flame', file, '-o', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('[1201 deeper frames cut]');
  });

  it('diff of two 3,000-frame stacks works', async () => {
    const a = join(dir, 'deep-a.folded');
    const b = join(dir, 'deep-b.folded');
    writeFileSync(a, deep(3000, 5));
    writeFileSync(b, deep(3000, 9));
    const r = await runCli(['diff', a, b, '-o', join(dir, 'deep-diff.html')]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
  });
});

describe('nonsense values', () => {
  function profileWithValue(value: number | bigint, frames = 1): Buffer {
    const strings = new pprof.StringTable();
    const fn = new pprof.Function({ id: 1, name: strings.dedup('main') });
    const loc = new pprof.Location({ id: 1, line: [new pprof.Line({ functionId: 1 })] });
    const p = new pprof.Profile({
      sampleType: [new pprof.ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
      sample: [new pprof.Sample({ locationId: Array.from({ length: frames }, () => 1), value: [value] })],
      location: [loc],
      function: [fn],
      stringTable: strings,
    });
    return Buffer.from(p.encode());
  }

  it('a pprof value of 2^63 (or any beyond 2^53) is refused, not printed as -9223372036854776000', async () => {
    for (const [name, value] of [
      ['huge.pb', 1n << 63n],
      ['big.pb', (1n << 60n) + 1n],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, profileWithValue(value));
      const r = await runCli(['convert', file, '--format', 'folded']);
      expect({ name, code: r.exitCode }).toEqual({ name, code: 2 });
      expect(r.stderr).toMatch(/sample 1 has a value \(\d+\) for sample type 1 beyond ±2\^53/);
    }
    writeFileSync(join(dir, 'fine.pb'), profileWithValue(42));
    expect((await runCli(['convert', join(dir, 'fine.pb'), '--format', 'folded'])).stdout).toBe('main 42\n');
  });

  it('a pprof whose first sample is larger than the first read (256 KiB) is still read as pprof', async () => {
    const file = join(dir, 'wide-first-sample.pb');
    writeFileSync(file, profileWithValue(7, 300_000));
    const r = await runCli(['convert', file, '--format', 'folded']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.endsWith('main;main 7\n')).toBe(true);
  });

  it('a pprof with 18 MB between newline bytes is binary, not a text line over the bound', async () => {
    const strings = new pprof.StringTable();
    const big = 'x'.repeat(900 * 1024);
    const fns = Array.from({ length: 20 }, (_, i) => new pprof.Function({ id: i + 1, name: strings.dedup(`${big}${i}`) }));
    const locs = fns.map((_, i) => new pprof.Location({ id: i + 1, line: [new pprof.Line({ functionId: i + 1 })] }));
    const p = new pprof.Profile({
      sampleType: [new pprof.ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })],
      sample: [new pprof.Sample({ locationId: [1, 2], value: [1] })],
      location: locs,
      function: fns,
      stringTable: strings,
    });
    const file = join(dir, 'long-strings.pb');
    writeFileSync(file, p.encode());
    const r = await runCli(['convert', file, '--format', 'folded']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('run.json counts of -1, 1e308 or 1e999 are refused naming the row', async () => {
    for (const calls of ['-1', '1e308', '1e999', '2.5']) {
      const file = join(dir, `calls-${calls}.json`);
      writeFileSync(file, `{"schemaVersion": 1, "name": "x", "syscalls": [{"name": "read", "calls": 10}, {"name": "write", "calls": ${calls}}]}\n`);
      const r = await runCli(['summary', file]);
      expect({ calls, code: r.exitCode }).toEqual({ calls, code: 2 });
      expect(r.stderr).toMatch(/syscalls\[1\] \(write\): expected calls to be a whole number of at least 0, got /);
    }
  });

  it('a JSON syntax error names its line', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "syscalls": [\n    {"name": "read", "calls": 1},\n  ]\n}\n');
    const r = await runCli(['summary', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/broken\.json:4: not valid JSON/);
  });
});

describe('a target flooding stderr', () => {
  it('20 MB of stderr without a newline: the exit is noticed at once and the message stays short', async () => {
    const started = Date.now();
    const r = await runCli(['trace', '--backend', 'strace', '--port', '9', '--ready-timeout', '20s', '--', 'sh', '-c', 'head -c 20000000 /dev/zero | tr "\\0" E >&2; exit 7']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^netprobe: sh exited with code 7 before listening on port 9/);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('names are data', () => {
  it('compare --markdown escapes Markdown in a file name; a bidi override in a page title is shown escaped', async () => {
    const file = join(dir, 'evil`*[x](http:e)|<b>y.txt');
    writeFileSync(file, readFileSync(fixture('strace', 'summary', 'mix-c-S-calls.txt')));
    const r = await runCli(['compare', '--markdown', file]);
    expect(r.exitCode).toBe(0);
    const header = r.stdout.split('\n').find((l) => l.startsWith('|  |'))!;
    expect(header).toContain('evil\\`\\*\\[x\\](http:e)\\|\\<b>y.txt');
    const html = join(dir, 'bidi.html');
    const f = await runCli(['flame', fixture('folded', 'busy-cpu-clock.folded'), '-o', html, '--title', 'report \u202eexe.txt']);
    expect(f.exitCode).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toContain('\u202e');
    expect(page).toContain('<title>report \\u202eexe.txt</title>');
  });
});

describe('small things', () => {
  it('a strace -c table with its lines shuffled is refused, not read as folded stacks', async () => {
    const file = join(dir, 'shuffled-strace-c.txt');
    writeFileSync(file, 'syscall            calls    errors\nread                 150         0\n------------------ --------- ---------\nwrite                120         0\ntotal                270         0\n');
    const r = await runCli(['convert', file, '--format', 'folded']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/shuffled-strace-c\.txt:1: expected a strace -c table/);
  });

  it('standard input can be named once only', async () => {
    for (const args of [['compare', '-', '-'], ['diff', '-', '-', '-o', join(dir, 'd.html')]]) {
      const r = await runCli(args, { input: 'main;read 1\n' });
      expect({ args, code: r.exitCode }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/standard input \(-\) can be read only once/);
    }
  });
});
