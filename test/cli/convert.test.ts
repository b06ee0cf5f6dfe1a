// `netprobe convert` run as a user runs it: the built binary (npm test builds it first).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { profileTotal } from '../../src/model/profile.js';
import { parsePprof } from '../../src/parse/pprof.js';
import { fixture, runCli } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'netprobe-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GO_CPU = fixture('pprof', 'go-cpu.pb.gz');
const GO_HEAP = fixture('pprof', 'go-heap.pb.gz');
const STRACE_C = fixture('render', 'strace-c.txt');
const PERF = fixture('render', 'dd-bs512.perf');

function foldedTotal(text: string): number {
  return text
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

function expectOneLineError(r: { stderr: string; exitCode: number }, file: string): void {
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain(file);
  expect(r.stderr.trim().split('\n')[0]).toMatch(/^netprobe: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/internal error/);
}

describe('netprobe convert', () => {
  it('writes folded stacks of the default sample type to stdout', async () => {
    const r = await runCli(['convert', GO_CPU]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('runtime.main;main.main;runtime/pprof.Do;main.main.func1;main.spinMix;main.mix 280000000\n');
    // Go's CPU default is the last type, cpu/nanoseconds: 116 samples of 10ms.
    expect(foldedTotal(r.stdout)).toBe(1_160_000_000);
  });

  it('picks another sample type with --sample-type and refuses unknown ones listing the choices', async () => {
    const samples = await runCli(['convert', GO_CPU, '--sample-type', 'samples']);
    expect(samples.exitCode).toBe(0);
    expect(foldedTotal(samples.stdout)).toBe(116);
    const heap = await runCli(['convert', GO_HEAP, '--sample-type', 'alloc_space']);
    expect(foldedTotal(heap.stdout)).toBe(71810251);
    const bad = await runCli(['convert', GO_HEAP, '--sample-type', 'cpu']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('netprobe: unknown sample type `cpu`; this profile has: alloc_objects, alloc_space, inuse_objects, inuse_space\n');
  });

  it('writes gzipped pprof to a .pb.gz file and will not replace it without --force', async () => {
    const out = join(work, 'cpu.pb.gz');
    const r = await runCli(['convert', GO_CPU, '-o', out]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    const bytes = readFileSync(out);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const profile = parsePprof(gunzipSync(bytes), out).profile!;
    expect([profileTotal(profile, 0), profileTotal(profile, 1)]).toEqual([116, 1_160_000_000]);

    const again = await runCli(['convert', GO_CPU, '-o', out]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await runCli(['convert', GO_HEAP, '-o', out, '--force'])).exitCode).toBe(0);
    expect(parsePprof(gunzipSync(readFileSync(out)), out).profile!.sampleTypes).toHaveLength(4);
  });

  it('marks the chosen --sample-type as the pprof default', async () => {
    const out = join(work, 'heap-alloc.pb.gz');
    expect((await runCli(['convert', GO_HEAP, '-o', out, '--sample-type', 'alloc_space'])).exitCode).toBe(0);
    const profile = parsePprof(gunzipSync(readFileSync(out)), out).profile!;
    expect(profile.sampleTypes[profile.defaultSampleType]!.type).toBe('alloc_space');
  });

  it('chooses the format from the -o extension, and --format overrides it', async () => {
    const json = join(work, 'cpu.json');
    expect((await runCli(['convert', GO_CPU, '-o', json])).exitCode).toBe(0);
    const parsed = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(parsed)).toEqual(['profile']);
    expect(parsed.profile.sampleTypes).toEqual([
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    expect(parsed.profile.defaultSampleType).toBe(1);
    const total = parsed.profile.stacks.reduce((s: number, st: { values: number[] }) => s + st.values[0]!, 0);
    expect(total).toBe(116);
    expect(parsed.profile.stacks[0].frames.every((f: number) => typeof parsed.profile.frames[f].name === 'string')).toBe(true);

    const folded = join(work, 'cpu.txt');
    expect((await runCli(['convert', GO_CPU, '-o', folded])).exitCode).toBe(0);
    expect(foldedTotal(readFileSync(folded, 'utf8'))).toBe(1_160_000_000);

    const forced = await runCli(['convert', GO_CPU, '--format', 'json']);
    expect(JSON.parse(forced.stdout).profile.stacks.length).toBe(parsed.profile.stacks.length);
    const badFormat = await runCli(['convert', GO_CPU, '--format', 'svg']);
    expect(badFormat.exitCode).toBe(2);
  });

  it('writes binary pprof to a pipe and reads gzipped pprof from stdin', async () => {
    const piped = await runCli(['convert', GO_CPU, '--format', 'pprof']);
    expect(piped.exitCode).toBe(0);
    expect(piped.stdout.charCodeAt(0)).toBe(0x1f);
    const fromStdin = await runCli(['convert', '-', '--sample-type', 'samples'], { input: readFileSync(GO_CPU) });
    expect(fromStdin.exitCode).toBe(0);
    expect(foldedTotal(fromStdin.stdout)).toBe(116);
  });

  it.skipIf(!existsSync(STRACE_C))('turns a strace -c table into JSON like summary --json, and into a syscalls pprof', async () => {
    const json = await runCli(['convert', STRACE_C, '--format', 'json']);
    expect(json.exitCode).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(Object.keys(parsed)).toEqual(['syscalls', 'totals', 'threads']);
    expect(parsed.syscalls.find((s: { name: string }) => s.name === 'recvfrom')).toMatchObject({ calls: 900, errors: 300 });

    const out = join(work, 'syscalls.pb.gz');
    expect((await runCli(['convert', STRACE_C, '-o', out])).exitCode).toBe(0);
    const back = parsePprof(gunzipSync(readFileSync(out)), out);
    expect(back.syscalls!.totals).toEqual(parsed.totals);
    expect(back.syscalls!.rows.map((r) => [r.name, r.calls, r.errors])).toEqual(
      parsed.syscalls.map((r: { name: string; calls: number; errors: number }) => [r.name, r.calls, r.errors]),
    );
    // And back out of netprobe's own syscalls profile, the syscall table again.
    const again = await runCli(['convert', out, '--format', 'json']);
    expect(JSON.parse(again.stdout).totals).toEqual(parsed.totals);
  });

  it.skipIf(!existsSync(PERF))('passes the stackcollapse options through to the perf script parser', async () => {
    const plain = await runCli(['convert', PERF]);
    const all = await runCli(['convert', PERF, '--all']);
    const tid = await runCli(['convert', PERF, '--tid']);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toMatch(/^dd;.*do_syscall_64;/m);
    expect(plain.stdout).not.toContain('_[k]');
    expect(all.stdout).toContain('do_syscall_64_[k]');
    // A header with one number gives the tid; stackcollapse-perf.pl then shows the pid as `?`.
    expect(tid.stdout).toMatch(/^dd-\?\/9465;/m);
    expect(foldedTotal(all.stdout)).toBe(foldedTotal(plain.stdout));
  });

  it('converts a run directory\'s CPU profile with --profile cpu, and says when a run has none', async () => {
    const run = fixture('models', 'runs', 'go-nethttp-cpu');
    const cpu = await runCli(['convert', run, '--profile', 'cpu']);
    expect(cpu.exitCode).toBe(0);
    // perf samples of the Go server: stacks rooted at the process, through the HTTP handler.
    expect(cpu.stdout).toMatch(/^go-nethttp;.*net\/http\.\(\*conn\)\.serve;/m);
    const syscalls = await runCli(['convert', run]);
    expect(syscalls.stdout).toMatch(/^(\S+;)*read \d+$/m);
    const none = await runCli(['convert', fixture('models', 'runs', 'go-nethttp-bpftrace'), '--profile', 'cpu']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/has no CPU profile .*trace --cpu/);
  });

  it('fails with one line naming the file on empty, junk, truncated and unknown inputs', async () => {
    const empty = join(work, 'empty.pb.gz');
    writeFileSync(empty, '');
    const junk = join(work, 'junk.bin');
    writeFileSync(junk, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251)));
    const cutGzip = join(work, 'cut.pb.gz');
    const whole = readFileSync(GO_CPU);
    writeFileSync(cutGzip, whole.subarray(0, whole.length >> 1));
    const cutPprof = join(work, 'cut.pb');
    const rawPprof = gunzipSync(whole);
    writeFileSync(cutPprof, rawPprof.subarray(0, rawPprof.length - 10));
    const cutInside = join(work, 'cut-inside.pb.gz');
    writeFileSync(cutInside, gzipSync(rawPprof.subarray(0, 1000)));
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'these are my notes\nnothing to convert\n');

    for (const file of [empty, junk, cutGzip, cutPprof, cutInside, text]) {
      const r = await runCli(['convert', file]);
      expectOneLineError(r, file);
    }
    expect((await runCli(['convert', text])).stderr).toMatch(/notes\.txt:1: expected .*got `these are my notes`/);
    expect((await runCli(['convert', cutPprof])).stderr).toMatch(/cut\.pb:1: expected a pprof profile \(profile\.proto\), got `truncated/);
    expect((await runCli(['convert', cutGzip])).stderr).toMatch(/truncated or corrupt gzip/);
    expectOneLineError(await runCli(['convert', join(work, 'missing.pb.gz')]), 'missing.pb.gz');
  });

  it('documents formats and examples in --help', async () => {
    const r = await runCli(['convert', '--help']);
    expect(r.exitCode).toBe(0);
    for (const text of ['--format <format>', '--sample-type <name>', '--all', '.pb.gz/.pb/.pprof -> pprof', 'Examples:', '"stacks"']) {
      expect(r.stdout).toContain(text);
    }
  });
});
