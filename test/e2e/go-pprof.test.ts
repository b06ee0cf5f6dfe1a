// Every profile netprobe writes must be read by Go's own pprof with the same totals per sample type.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { toPprof } from '../../src/export/pprof.js';
import { CPU_SAMPLE_TYPES, ProfileBuilder, profileTotal, stackList, type Profile } from '../../src/model/profile.js';
import { profileFromSyscalls } from '../../src/model/syscall-profile.js';
import { tableFromRows } from '../../src/model/syscalls.js';
import { parsePprof } from '../../src/parse/pprof.js';
import { fixture, toolAvailable } from '../helpers.js';

const hasGo = toolAvailable('go', ['version']);
const work = mkdtempSync(join(tmpdir(), 'netprobe-go-pprof-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// go tool pprof wants a writable HOME and build cache; give it fresh ones so a clean environment works.
const goEnv = { ...process.env, HOME: work, GOCACHE: join(work, 'gocache'), PPROF_TMPDIR: work, GOFLAGS: '' };

function goPprof(args: string[]): string {
  return execFileSync('go', ['tool', 'pprof', ...args], { env: goEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

interface RawTotals {
  types: string[];
  defaultType: string | undefined;
  totals: number[];
}

// `-raw` prints `Samples:`, a `type/unit type/unit[dflt]` line, then `v1 v2: loc ids` per sample.
function rawTotals(file: string): RawTotals {
  const lines = goPprof(['-raw', file]).split('\n');
  const header = lines.indexOf('Samples:');
  expect(header).toBeGreaterThanOrEqual(0);
  const typeWords = lines[header + 1]!.trim().split(/\s+/);
  const types = typeWords.map((w) => w.replace(/\[dflt\]$/, ''));
  const totals = types.map(() => 0);
  for (const line of lines.slice(header + 2)) {
    if (/^[A-Z]/.test(line)) break;
    const m = /^\s*(-?\d+(?:\s+-?\d+)*):/.exec(line);
    if (!m) continue;
    m[1]!.trim().split(/\s+/).forEach((v, i) => (totals[i]! += Number(v)));
  }
  return { types, defaultType: typeWords.find((w) => w.endsWith('[dflt]'))?.replace(/\[dflt\]$/, ''), totals };
}

// `-top` ends its header with `of <total><unit> total`; the smallest unit keeps the number exact.
function topTotal(file: string, sampleType: string, unit: string): number {
  const unitFlag = unit === 'nanoseconds' ? ['-unit=ns'] : unit === 'bytes' ? ['-unit=B'] : [];
  const out = goPprof(['-top', `-sample_index=${sampleType}`, ...unitFlag, file]);
  const m = /of (-?\d+)(?:ns|B)? total/.exec(out);
  if (!m) throw new Error(`no total in go tool pprof -top output:\n${out}`);
  return Number(m[1]);
}

function writeGz(name: string, profile: Profile): string {
  const path = join(work, name);
  writeFileSync(path, gzipSync(toPprof(profile)));
  return path;
}

function expectGoReadsSame(path: string, profile: Profile): void {
  const ours = profile.sampleTypes.map((_, i) => profileTotal(profile, i));
  const raw = rawTotals(path);
  expect(raw.types).toEqual(profile.sampleTypes.map((t) => `${t.type}/${t.unit}`));
  expect(raw.defaultType).toBe(`${profile.sampleTypes[profile.defaultSampleType]!.type}/${profile.sampleTypes[profile.defaultSampleType]!.unit}`);
  expect(raw.totals).toEqual(ours);
  profile.sampleTypes.forEach((t, i) => expect(topTotal(path, t.type, t.unit)).toBe(ours[i]));
}

describe.skipIf(!hasGo)('go tool pprof reads what netprobe writes', () => {
  it('a syscall table (calls, errors, time, errno labels)', () => {
    const table = tableFromRows(
      [
        { name: 'read', calls: 1000, errors: 400, errnos: { EAGAIN: 400 }, seconds: 0.012345 },
        { name: 'epoll_pwait', calls: 300, errors: 0, errnos: {}, seconds: 0.5 },
        { name: 'futex', calls: 50, errors: 7, errnos: {}, seconds: 0.25 },
      ],
      true,
    );
    const profile = profileFromSyscalls(table);
    const path = writeGz('syscalls.pb.gz', profile);
    expectGoReadsSame(path, profile);
    expect(goPprof(['-top', '-tagfocus=errno=EAGAIN', '-sample_index=errors', path])).toMatch(/accounting for 400, .* of 407 total/);
  });

  it('a real Go CPU profile and a Go heap profile, decoded and re-encoded', () => {
    for (const name of ['go-cpu.pb.gz', 'go-heap.pb.gz']) {
      const profile = parsePprof(gunzipSync(readFileSync(fixture('pprof', name))), name).profile!;
      const path = writeGz(`again-${name}`, profile);
      expectGoReadsSame(path, profile);
      // And Go's own view of the original agrees with ours.
      expect(rawTotals(fixture('pprof', name)).totals).toEqual(profile.sampleTypes.map((_, i) => profileTotal(profile, i)));
    }
  });

  it('a CPU profile with kernel frames, inlined chains, labels and no modules on some frames', () => {
    const b = new ProfileBuilder(CPU_SAMPLE_TYPES, 1);
    const main = { name: 'main', module: '/usr/bin/server' };
    const inl = { name: 'parse', module: '/usr/bin/server', inlined: true, line: 7 };
    const k = { name: 'do_syscall_64', module: '[kernel.kallsyms]', kind: 'kernel' as const, address: 0xffffffff821ed524 };
    b.add([{ name: 'server', kind: 'process' }, main, inl], [3, 3_000_000], { tid: 7 });
    b.add([{ name: 'server', kind: 'process' }, main, k], [2, 2_000_000], { comm: 'server' });
    b.add([{ name: '[unknown]' }], [1, 1_000_000]);
    const profile = b.build({ period: { type: { type: 'cpu', unit: 'nanoseconds' }, value: 1_000_000 } });
    expectGoReadsSame(writeGz('synthetic.pb.gz', profile), profile);
  });

  // Inputs other parsers read (their fixtures), converted to pprof like `netprobe convert` does.
  for (const [name, path] of [
    ['perf script', fixture('render', 'dd-bs512.perf')],
    ['strace -c', fixture('render', 'strace-c.txt')],
  ] as const) {
    it.skipIf(!existsSync(path))(`${name} output (${path.split('/').slice(-2).join('/')})`, async () => {
      const input = await readInput(path);
      const profile = input.profile ?? profileFromSyscalls(input.syscalls!);
      expect(stackList(profile).length).toBeGreaterThan(0);
      expectGoReadsSame(writeGz(`${name.replace(/\W/g, '')}.pb.gz`, profile), profile);
    });
  }
});
