// `netprobe check` on real captures: verdicts and exit codes, outputs, baselines, usage errors, and a real
// capture of the example C reactor against a copy of it that writes each response in 32-byte pieces.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, runCli, toolAvailable } from '../helpers.js';
import { freePort } from '../e2e/trace-support.js';

// strace -c tables carry no request count: these compare by raw counts (2,655 Go requests, 4,771 C ones).
const EPOLL = fixture('models', 'example-c-epoll-c1.strace.txt');
const GO = fixture('models', 'example-go-nethttp-c1.strace.txt');
const EPOLL_BPFTRACE = fixture('models', 'example-c-epoll-c1.bpftrace.txt');
const PERF = fixture('render', 'dd-bs512.perf');

const tmp = mkdtempSync(join(tmpdir(), 'netprobe-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('netprobe check', () => {
  it('passes an input against itself (exit 0)', async () => {
    const r = await runCli(['check', '--baseline', EPOLL, EPOLL]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`netprobe check: ${EPOLL} against baseline ${EPOLL}, calls (raw counts)`);
    expect(r.stdout).toMatch(/\nwrite\/send\s+4,771\s+4,771\s+0%\s+\+10%\s+ok\n/);
    expect(r.stdout).toMatch(/\nepoll wait\s+4,772\s+4,772\s+0%\s+new only\s+ok\n/);
    expect(r.stdout).toContain('\nnetwork model: event-loop reactor (epoll)  ok\n');
    expect(r.stdout).toMatch(/\nPASSED: \d+ checks within limits, same network model\n$/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('fails Go net/http against a C epoll baseline on futex, nanosleep and errors (exit 1)', async () => {
    const r = await runCli(['check', '--baseline', EPOLL, GO]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/\nfutex\s+0\s+4,731\s+new\s+new only\s+FAIL\n/);
    expect(r.stdout).toMatch(/\nnanosleep\s+0\s+4,275\s+new\s+new only\s+FAIL\n/);
    // One failed accept4 in the baseline, 1,617 failed reads and futex waits now.
    expect(r.stdout).toMatch(/\nerrors\s+1\s+1,617\s+x1,617\s+new only\s+FAIL\n/);
    // Fewer requests were served under strace, so the raw work counts dropped.
    expect(r.stdout).toMatch(/\nwrite\/send\s+4,771\s+2,655\s+-44%\s+\+10%\s+better\n/);
    expect(r.stdout).toContain('\nnote: raw counts are only comparable when both runs served the same load (same request count or duration)\n');
    expect(r.stdout).toContain(
      '\nnetwork model: event-loop reactor (epoll) -> goroutine-per-connection (netpoll)  FAIL (pass --allow-model-change if intended)\n',
    );
    const verdict = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(verdict).toBe(
      'FAILED: futex 0 → 4,731 calls (appeared: grew by over 4% of all calls, from under 1%); sleep 0 → 4,275 calls (appeared: grew by over 4% of all calls, from under 1%); errors 1 → 1,617 calls (appeared: grew by over 4% of all calls, from under 1%); network model event-loop reactor (epoll) → goroutine-per-connection (netpoll)',
    );
    expect(r.stderr).toBe('');
  });

  it('passes the same pair once its failures are accepted with --limit and --allow-model-change', async () => {
    const limits = ['--limit', 'futex=off', '--limit', 'nanosleep=off', '--limit', 'errors=1700', '--limit', 'total=off'];
    const r = await runCli(['check', '--baseline', EPOLL, GO, ...limits, '--allow-model-change']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\nfutex\s+0\s+4,731\s+new\s+off\s+off\n/);
    // An absolute limit, in the comparison's unit (raw calls here): up to 1 + 1,700 errors.
    expect(r.stdout).toMatch(/\nerrors\s+1\s+1,617\s+x1,617\s+\+1700\s+ok\n/);
    expect(r.stdout).toContain('\nnetwork model: event-loop reactor (epoll) -> goroutine-per-connection (netpoll)  not gated\n');
  });

  it('--markdown prints a PR comment, --json the checks', async () => {
    const md = await runCli(['check', '--baseline', EPOLL, GO, '--markdown']);
    expect(md.exitCode).toBe(1);
    expect(md.stdout).toMatch(/^### ❌ netprobe check found a regression\n/);
    expect(md.stdout).toContain('\n| check | baseline | current | change | limit | verdict |\n| --- | ---: | ---: | ---: | ---: | --- |\n');
    expect(md.stdout).toContain('\n| futex | 0 | 4,731 | new | new only | **FAIL** |\n');

    const json = await runCli(['check', '--baseline', EPOLL, GO, '--json']);
    expect(json.exitCode).toBe(1);
    const result = JSON.parse(json.stdout) as { passed: boolean; normalisation: string; checks: { id: string; verdict: string; baseline: number; current: number }[] };
    expect(result.passed).toBe(false);
    expect(result.normalisation).toBe('raw');
    expect(result.checks.filter((c) => c.verdict === 'fail').map((c) => c.id)).toEqual(['futex', 'sleep', 'errors']);
    expect(result.checks.find((c) => c.id === 'write')).toMatchObject({ baseline: 4771, current: 2655, verdict: 'improved' });
  });

  it('--update-baseline writes a run.json-shaped baseline that check reads back', async () => {
    const baseline = join(tmp, 'baseline.json');
    const w = await runCli(['check', '--baseline', baseline, '--update-baseline', EPOLL_BPFTRACE]);
    expect(w.exitCode).toBe(0);
    expect(w.stdout).toBe('');
    expect(w.stderr).toBe(`netprobe: baseline written to ${baseline} (163,202 calls, no request count or duration)\n`);
    const json = JSON.parse(readFileSync(baseline, 'utf8')) as Record<string, unknown>;
    expect(json).toMatchObject({ schemaVersion: 1, backend: 'bpftrace', load: null, totals: { calls: 163202, errors: 2 }, model: { label: 'event-loop reactor (epoll)' } });
    expect((json.syscalls as { name: string }[]).map((s) => s.name)).toContain('epoll_wait');

    expect((await runCli(['check', '--baseline', baseline, EPOLL_BPFTRACE])).exitCode).toBe(0);
    expect((await runCli(['check', '--baseline', baseline, GO])).exitCode).toBe(1);
    // Updating is the flag's purpose: an existing baseline is replaced.
    expect((await runCli(['check', '--baseline', baseline, '--update-baseline', GO])).exitCode).toBe(0);
    expect((await runCli(['check', '--baseline', baseline, GO])).exitCode).toBe(0);
  });

  it('notes a baseline captured by another backend, also through a baseline file written from a strace -c table', async () => {
    const r = await runCli(['check', '--baseline', EPOLL_BPFTRACE, EPOLL]);
    expect(r.stdout).toContain(
      '\nnote: runs from different backends (bpftrace: the baseline; strace: this run): strace stops the target at every syscall',
    );
    const baseline = join(tmp, 'strace-baseline.json');
    expect((await runCli(['check', '--baseline', baseline, '--update-baseline', EPOLL])).exitCode).toBe(0);
    const json = JSON.parse((await runCli(['check', '--baseline', baseline, EPOLL_BPFTRACE, '--json'])).stdout) as {
      baseline: { backend: string };
      current: { backend: string };
      notes: string[];
    };
    expect([json.baseline.backend, json.current.backend]).toEqual(['strace', 'bpftrace']);
    expect(json.notes).toContainEqual(expect.stringMatching(/^runs from different backends \(strace: the baseline; bpftrace: this run\)/));
    expect((await runCli(['check', '--baseline', EPOLL, EPOLL])).stdout).not.toContain('different backends');
  });

  it('notes a baseline of another program (run directories name their command)', async () => {
    const r = await runCli(['check', '--baseline', fixture('models', 'runs', 'c-threads-sweep', 'connections-10'), fixture('models', 'runs', 'go-nethttp-bpftrace')]);
    expect(r.stdout).toContain(
      '\nnote: the baseline is another program (baseline: c-threads; this run: go-nethttp): the check compares two programs, not two versions of one\n',
    );
    const md = await runCli(['check', '--baseline', fixture('models', 'runs', 'go-nethttp-strace'), fixture('models', 'runs', 'go-nethttp-bpftrace'), '--markdown']);
    expect(md.stdout).not.toContain('another program');
    expect(md.stdout).toContain('Note: runs from different backends (strace: the baseline; bpftrace: this run)');
  });

  it('exits 2 for a bad or missing baseline', async () => {
    const noSyscalls = join(tmp, 'not-a-baseline.json');
    writeFileSync(noSyscalls, '{"name": "x"}\n');
    const bad = await runCli(['check', '--baseline', noSyscalls, EPOLL]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/not-a-baseline\.json: expected a netprobe run\.json or baseline file with a `syscalls` array/);

    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"syscalls": [');
    const r = await runCli(['check', '--baseline', broken, EPOLL]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/broken\.json(:\d+)?: not valid JSON/);

    const perf = await runCli(['check', '--baseline', PERF, EPOLL]);
    expect(perf.exitCode).toBe(2);
    expect(perf.stderr).toMatch(/dd-bs512\.perf has no syscall counts/);

    const missing = await runCli(['check', '--baseline', join(tmp, 'nope.json'), EPOLL]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`netprobe: baseline ${join(tmp, 'nope.json')} does not exist\n`);
    expect(missing.stderr).toContain(`hint: Record one with \`netprobe check --baseline ${join(tmp, 'nope.json')} --update-baseline ${EPOLL}\``);
  });

  it('exits 2 on malformed options', async () => {
    const cases: [string[], RegExp][] = [
      [['--limit', 'futex'], /Expected `--limit` like futex=50%, total=0.5 or clone=off, got `futex`/],
      [['--limit', 'getpid=5%'], /getpid is not a syscall family, total or errors/],
      [['--limit', 'write=lots'], /Expected the limit in `--limit write=lots` to be a percentage/],
      [['--max-increase', '0.1'], /Expected `--max-increase` to be a percentage like 10%, got `0.1`/],
      [['--markdown', '--json'], /Expected at most one of `--markdown` and `--json`/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['check', '--baseline', EPOLL, EPOLL, ...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const noBaseline = await runCli(['check', EPOLL]);
    expect(noBaseline.exitCode).toBe(2);
    expect(noBaseline.stderr).toMatch(/required option '--baseline <file>' not specified/);

    const runs = await runCli(['check', '--baseline', EPOLL, EPOLL, '--runs', '3']);
    expect(runs.exitCode).toBe(2);
    expect(runs.stderr).toMatch(/--runs repeats a capture: give `-- <command>` \(or --pid\) instead of an input/);
    expect((await runCli(['check', '--baseline', EPOLL, EPOLL, '--runs', '0'])).stderr).toMatch(/Expected `--runs` to be a positive whole number, got `0`/);

    // An optional file after --markdown takes the next word: a directory there is the input, misplaced.
    const dir = await runCli(['check', '--baseline', EPOLL, '--markdown', tmp]);
    expect(dir.exitCode).toBe(2);
    expect(dir.stderr).toContain(`netprobe: \`--markdown ${tmp}\`: ${tmp} is a directory, not a file to write\n`);
  });

  it('writes --junit, --markdown and --json files atomically beside the table on stdout', async () => {
    const junit = join(tmp, 'reports', 'check.xml');
    mkdirSync(join(tmp, 'reports'), { recursive: true });
    const markdown = join(tmp, 'reports', 'check.md');
    const json = join(tmp, 'reports', 'check.json');
    const r = await runCli(['check', '--baseline', EPOLL, GO, '--junit', junit, '--markdown', markdown, '--json', json]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`netprobe check: ${GO} against baseline ${EPOLL}, calls (raw counts)`);
    expect(readFileSync(markdown, 'utf8')).toBe((await runCli(['check', '--baseline', EPOLL, GO, '--markdown'])).stdout);
    expect((JSON.parse(readFileSync(json, 'utf8')) as { passed: boolean }).passed).toBe(false);
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as { testsuites: { testsuite: { '@_failures': string } } };
    expect(doc.testsuites.testsuite['@_failures']).toBe('4');
    // Nothing but the reports: no temporary files left beside them.
    expect(readdirSync(join(tmp, 'reports')).sort()).toEqual(['check.json', 'check.md', 'check.xml']);
    // --json to stdout and --markdown to a file together.
    const both = await runCli(['check', '--baseline', EPOLL, GO, '--json', '--markdown', markdown]);
    expect((JSON.parse(both.stdout) as { passed: boolean }).passed).toBe(false);
  });

  it('under GitHub Actions: appends the Markdown to the job summary and prints annotations on stderr', async () => {
    const summary = join(tmp, 'step-summary.md');
    writeFileSync(summary, '## earlier step\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const r = await runCli(['check', '--baseline', EPOLL, GO], { env });
    expect(r.exitCode).toBe(1);
    const md = (await runCli(['check', '--baseline', EPOLL, GO, '--markdown'])).stdout;
    expect(readFileSync(summary, 'utf8')).toBe(`## earlier step\n${md}\n`);
    const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::'));
    // Small checks that grew past their limit warn without failing; `other` says which syscalls grew.
    expect(annotations.filter((l) => l.startsWith('::warning'))).toContainEqual(
      '::warning title=netprobe check%3A other::other 3 → 99 calls (x33.0; small: under 1%25 of all calls, not gated; grew most: getpid +51, rt_sigprocmask +12, mmap +8)',
    );
    expect(annotations.filter((l) => l.startsWith('::error'))).toEqual([
      '::error title=netprobe check%3A futex::futex 0 → 4,731 calls (appeared: grew by over 4%25 of all calls, from under 1%25)',
      '::error title=netprobe check%3A sleep::sleep 0 → 4,275 calls (appeared: grew by over 4%25 of all calls, from under 1%25)',
      '::error title=netprobe check%3A errors::errors 1 → 1,617 calls (appeared: grew by over 4%25 of all calls, from under 1%25)',
      '::error title=netprobe check%3A network model::network model event-loop reactor (epoll) → goroutine-per-connection (netpoll) (pass --allow-model-change if intended)',
    ]);
    // stdout stays the report alone; outside Actions there are no workflow commands.
    expect(r.stdout).not.toContain('::error');
    expect((await runCli(['check', '--baseline', EPOLL, GO])).stderr).not.toContain('::');
  });

  it('exits 3 with the fix when the environment cannot capture (no tracer)', async () => {
    // A PATH with node and sh only: no strace, perf or bpftrace.
    const bin = join(tmp, 'only-node');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = await runCli(['check', '--baseline', EPOLL, '--backend', 'strace', '--', '/bin/true'], { env: { PATH: bin } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('netprobe: cannot start strace: strace not found\nhint: Install it with `apt-get install strace`.\n');
    const auto = await runCli(['check', '--baseline', EPOLL, '--', '/bin/true'], { env: { PATH: bin } });
    expect(auto.exitCode).toBe(3);
    expect(auto.stderr).toMatch(/^netprobe: no tracing backend works here .*\nhint: bpftrace: apt-get install bpftrace \| perf: apt-get install linux-perf \| strace: apt-get install strace\n$/);
  });
});

// Real captures: the example C reactor twice (per request, passes), then a copy whose write() sends at most
// 32 bytes per call, three writes per 75-byte response (fails on write/send only).
describe.skipIf(!toolAvailable('strace', ['-V']) || !toolAvailable('gcc'))('netprobe check on run directories', () => {
  it('passes a second capture of the same server and fails the one with small writes', async () => {
    const source = readFileSync(fixture('servers', 'c-epoll', 'server.c'), 'utf8');
    const slow = source.replace('c->out_used - c->out_sent);', '(c->out_used - c->out_sent) > 32 ? 32 : (c->out_used - c->out_sent));');
    expect(slow).not.toBe(source);
    writeFileSync(join(tmp, 'small-writes.c'), slow);
    execFileSync('gcc', ['-O2', '-o', join(tmp, 'c-epoll'), fixture('servers', 'c-epoll', 'server.c')]);
    // The copy's `#include "../common/http.h"` is resolved from the original's directory.
    execFileSync('gcc', ['-O2', '-I', fixture('servers', 'c-epoll'), '-o', join(tmp, 'small-writes'), join(tmp, 'small-writes.c')]);

    const trace = async (binary: string, out: string) => {
      const port = await freePort();
      const r = await runCli(['trace', '--backend', 'strace', '-o', join(tmp, out), '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-n', '3000', '--', join(tmp, binary), String(port)]);
      expect(r.exitCode, r.stderr).toBe(0);
      return join(tmp, out);
    };
    const first = await trace('c-epoll', 'run-1');
    const second = await trace('c-epoll', 'run-2');
    const regressed = await trace('small-writes', 'run-3');

    const baseline = join(tmp, 'runs-baseline.json');
    const w = await runCli(['check', '--baseline', baseline, '--update-baseline', first]);
    expect(w.stderr).toMatch(/\(\d[\d,]* calls, 3,000 requests\)\n$/);

    const same = await runCli(['check', '--baseline', baseline, second]);
    expect(same.exitCode, same.stdout).toBe(0);
    expect(same.stdout.split('\n')[0]).toMatch(/, calls per request$/);
    expect(same.stdout).toMatch(/\nwrite\/send\s+1\.00\s+1\.00\s+0%\s+\+10%\s+ok\n/);

    const worse = await runCli(['check', '--baseline', baseline, regressed]);
    expect(worse.exitCode, worse.stdout).toBe(1);
    expect(worse.stdout).toMatch(/\nwrite\/send\s+1\.00\s+3\.00\s+\+200%\s+\+10%\s+FAIL\n/);
    expect(worse.stdout.trimEnd().split('\n').at(-1)).toBe('FAILED: write 1.00 → 3.00 per request (+200%, limit +10%)');
  });

  it('captures with `-- <cmd>` and checks the new run directory', async () => {
    const baseline = join(tmp, 'runs-baseline.json');
    const capture = async (binary: string, out: string) => {
      const port = await freePort();
      return runCli(['check', '--baseline', baseline, '--backend', 'strace', '-o', join(tmp, out), '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-n', '3000', '--', join(tmp, binary), String(port)]);
    };
    const same = await capture('c-epoll', 'run-4');
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stderr).toContain(`netprobe: captured ${join(tmp, 'run-4')}\n`);
    expect(same.stdout.split('\n')[0]).toBe(`netprobe check: ${join(tmp, 'run-4')} against baseline ${baseline}, calls per request`);
    const worse = await capture('small-writes', 'run-5');
    expect(worse.exitCode).toBe(1);
    expect(worse.stdout.trimEnd().split('\n').at(-1)).toBe('FAILED: write 1.00 → 3.00 per request (+200%, limit +10%)');
  });
});
