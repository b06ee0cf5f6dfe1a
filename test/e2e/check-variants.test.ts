// Regressions users will recognise, caught by `check -- <cmd>`: the Go net/http example (fixtures/servers/
// go-nethttp) against a baseline of itself, then two variants of it, each one code change (main.go VARIANT):
// split-write (two Write calls with a Flush between: two write(2) per request) and no-keepalive (a connection,
// so an accept and a close, per request). Each writes JUnit and Markdown files; the JUnit is parsed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleServers } from '../../src/capture/example-servers.js';
import { TEST_SERVER_CACHE } from '../capture/server-process.js';
import { runCli, toolAvailable } from '../helpers.js';
import { freePort, usableBackends } from './trace-support.js';

const usable = usableBackends();
const backend = usable.bpftrace ? 'bpftrace' : 'strace';
const haveGo = toolAvailable('go', ['version']);

interface JunitCase {
  '@_name': string;
  failure?: { '@_message': string };
}

/** The JUnit file, validated and parsed: its failing test cases by name and message. */
function junitFailures(file: string): Record<string, string> {
  const xml = readFileSync(file, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(xml) as {
    testsuites: { testsuite: { '@_failures': string; testcase: JunitCase[] } };
  };
  const suite = doc.testsuites.testsuite;
  const failures = Object.fromEntries(suite.testcase.filter((c) => c.failure).map((c) => [c['@_name'], c.failure!['@_message']]));
  expect(Number(suite['@_failures'])).toBe(Object.keys(failures).length);
  return failures;
}

describe.skipIf(!haveGo || !(usable.bpftrace || usable.strace))(`check -- <cmd> on the Go net/http example and its variants (${backend})`, () => {
  let dir = '';
  let server = '';
  const baseline = () => join(dir, 'go-nethttp.json');
  const check = async (args: string[], variant?: string) => {
    const port = await freePort();
    const load = ['--backend', backend, '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-n', '5000'];
    return runCli(['check', '--baseline', baseline(), ...args, ...load, '--', server, String(port), ...(variant ? [variant] : [])], { cwd: dir });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-check-variants-'));
    const { built, skipped } = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE, only: ['go-nethttp'] });
    expect(skipped).toEqual([]);
    server = built[0]!.command[0]!;
    const w = await check(['--update-baseline']);
    expect(w.exitCode, w.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the original passes its own baseline', async () => {
    const r = await check(['--junit', join(dir, 'original.xml')]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\nwrite\/send +1\.0\d +1\.0\d +\S+ +\+10% +ok\n/);
    expect(junitFailures(join(dir, 'original.xml'))).toEqual({});
  });

  it('split-write fails on write/send, 1.00 -> 2.00 per request', async () => {
    const junit = join(dir, 'split-write.xml');
    const markdown = join(dir, 'split-write.md');
    const r = await check(['--junit', junit, '--markdown', markdown], 'split-write');
    expect(r.exitCode, r.stdout).toBe(1);
    const verdict = r.stdout.trimEnd().split('\n').at(-1)!;
    // 1.00 -> 2.00 when the machine is quiet: Go also wakes its netpoller with a write(2) (netpollBreak), which
    // adds a few per cent on a busy CPU (1.04 seen with the whole suite running).
    const message = /^write 1\.0\d → 2\.0\d per request \(\+(9\d|10\d)%, limit \+10%\)$/;
    expect(verdict.replace(/^FAILED: /, '').split('; ')[0]).toMatch(message);
    expect(junitFailures(junit).write).toMatch(message);
    const md = readFileSync(markdown, 'utf8');
    expect(md).toMatch(/^### ❌ netprobe check found a regression\n/);
    expect(md).toMatch(/\n\| write\/send \| 1\.0\d \| 2\.0\d \| \+(9\d|10\d)% \| \+10% \| \*\*FAIL\*\* \|\n/);
  });

  it('no-keepalive fails on accept (about none -> 1.00 per request), and names what grew in other', async () => {
    const junit = join(dir, 'no-keepalive.xml');
    const markdown = join(dir, 'no-keepalive.md');
    const r = await check(['--junit', junit, '--markdown', markdown], 'no-keepalive');
    expect(r.exitCode, r.stdout).toBe(1);
    const failures = junitFailures(junit);
    expect(failures.accept).toMatch(/^accept 0\.\d+ → 1\.00 per request \(x[\d,]+, limit \+10%\)$/);
    // A socket per request: close and setsockopt (TCP_NODELAY, keep-alive probes) lead the other syscalls.
    expect(failures.other).toMatch(/; grew most: .*close \+1\.00/);
    expect(failures.other).toMatch(/setsockopt \+\d\.00/);
    expect(readFileSync(markdown, 'utf8')).toMatch(/\n\| accept \| 0\.\d+ \| 1\.00 \| x[\d,]+ \| \+10% \| \*\*FAIL\*\* \|\n/);
  });
});
