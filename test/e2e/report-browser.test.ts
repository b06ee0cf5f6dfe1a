// Opens report.html (built from real captures) in headless Chromium: charts and flame graphs are drawn,
// no script errors, and nothing is fetched (the page's CSP would block it and record the violation). A second
// page from real `--cpu --offcpu --latency` runs adds where threads wait, latency histograms and off-CPU flame graphs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { profileFromSyscalls } from '../../src/model/syscall-profile.js';
import { renderReportHtml } from '../../src/render/report-html.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { compareRuns, type CompareRun, type SweepLevel } from '../../src/report/compare.js';
import type { Profile } from '../../src/model/profile.js';
import { fixture, toolAvailable } from '../helpers.js';
import { dumpDom } from './chromium.js';

const haveChromium = toolAvailable('chromium');
const REPORT_WINDOW = '1280,2000';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-report-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function table(file: string) {
  return (await readInput(fixture('models', file))).syscalls!;
}

// Three servers at 50 connections and a Go "sweep" from the 1/50/200-connection captures; request counts
// are wrk's for each window (fixtures/models/*.strace.load.txt).
async function reportHtml(): Promise<string> {
  const runs = [
    { name: 'go-nethttp', file: 'go-nethttp-c50.strace.txt', requests: 32249 },
    { name: 'nginx', file: 'nginx-1worker-c50.strace.txt', requests: 46356 },
    { name: 'python-threading', file: 'python-threadinghttpserver-c50.strace.txt', requests: 1191 },
  ];
  const tables = await Promise.all(runs.map((r) => table(r.file)));
  const comparison = compareRuns(runs.map((r, i) => ({ name: r.name, syscalls: tables[i]!, requests: r.requests })));
  const levels: SweepLevel[] = [];
  for (const [connections, file, requests] of [
    [1, 'go-nethttp-c1.strace.txt', 8948],
    [50, 'go-nethttp-c50.strace.txt', 32249],
    [200, 'go-nethttp-c200.strace.txt', 44836],
  ] as const) {
    const t = await table(file);
    levels.push({
      connections,
      dir: `connections-${connections}`,
      requests,
      requestsPerSecond: requests / 3,
      threads: null,
      rssBytes: null,
      idleConnections: connections,
      idleBytesPerConnection: 4096 + 20 * connections,
      perRequest: perRequestByFamily(t, requests),
      model: comparison.columns[0]!.model,
    });
  }
  comparison.sweeps.push({ name: 'go-nethttp', levels });
  return renderReportHtml({
    title: 'netprobe report test',
    comparison,
    expected: ['goroutine-per-connection (netpoll)', 'event-loop reactor (epoll)', 'thread-per-connection (blocking)'],
    profiles: tables.map((t) => profileFromSyscalls(t)),
  });
}

// Three example servers traced with --cpu --offcpu --latency (fixtures/render/README.md, "waits/").
const WAIT_SERVERS = ['go-nethttp', 'c-threads', 'c-epoll'];

async function waitsReportHtml(): Promise<string> {
  const runs: CompareRun[] = [];
  const cpu: Profile[] = [];
  const offcpu: Profile[] = [];
  for (const name of WAIT_SERVERS) {
    const loaded = await readInput(fixture('render', 'waits', name));
    const run = loaded.meta!.run!;
    runs.push({ name, syscalls: loaded.syscalls!, requests: run.load!.requests, offcpu: run.offcpu!, latency: run.latency! });
    cpu.push(loaded.meta!.cpuProfile!);
    offcpu.push(loaded.meta!.offcpuProfile!);
  }
  return renderReportHtml({ title: 'netprobe report test: waits', comparison: compareRuns(runs), profiles: cpu, offcpuProfiles: offcpu });
}

function pageErrors(dom: string): string[] {
  const m = /<html[^>]*\sdata-np-errors="([^"]*)"/.exec(dom);
  return m ? (JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as string[]) : [];
}

describe.skipIf(!haveChromium)('report.html in Chromium', () => {
  it('draws the bars, the sweep curves and the flame graph without errors or requests', async () => {
    const dom = await dumpDom(dir, 'report.html', await reportHtml(), REPORT_WINDOW);
    expect(pageErrors(dom)).toEqual([]);
    // One stacked bar per run, one segment per family it uses.
    expect(dom.match(/<svg class="np-bars"/g)).toHaveLength(1);
    expect((dom.match(/<rect class="np-bar"/g) ?? []).length).toBeGreaterThanOrEqual(3 * 3);
    expect(dom).toMatch(/<text[^>]*>python-threading<\/text>/);
    // Syscalls per request and memory per idle connection, each with one 3-point curve.
    expect(dom.match(/<svg class="np-curves"/g)).toHaveLength(2);
    expect(dom.match(/<path class="np-curve"/g)).toHaveLength(2);
    // The visible flame graph is drawn by d3-flame-graph (frames are <g ... class="frame">).
    const firstFlame = /<section class="np-flame" id="flame-1"[\s\S]*?<\/section>/.exec(dom)![0];
    expect(firstFlame).toMatch(/<svg[^>]*d3-flame-graph[\s\S]*?<g [^>]*class="frame"/);
    expect(dom).not.toMatch(/<img/);
  }, 120_000);

  it('draws where threads wait, the latency histograms and the off-CPU flame graph beside the CPU one', async () => {
    const dom = await dumpDom(dir, 'report-waits.html', await waitsReportHtml(), REPORT_WINDOW);
    expect(pageErrors(dom)).toEqual([]);
    // One stacked bar per server: Go waits in futex, epoll and sleep; c-threads in read; c-epoll in epoll_wait.
    expect(dom.match(/<svg class="np-waits"/g)).toHaveLength(1);
    expect((dom.match(/<rect class="np-wait"/g) ?? []).length).toBeGreaterThanOrEqual(3 + 1 + 1);
    expect(dom).toMatch(/<title>c-threads - blocking read\/recv\/accept: 2\.08 ms per request<\/title>/);
    // One histogram per family and server that has it (read, write and accept for all three, waits where they happen).
    const histograms = dom.match(/<svg class="np-hist"/g) ?? [];
    expect(histograms.length).toBeGreaterThanOrEqual(3 * 3 + 2);
    expect((dom.match(/<rect class="np-hist-bar"/g) ?? []).length).toBeGreaterThan(histograms.length);
    expect(dom).toMatch(/<h3>epoll wait<\/h3>/);
    // The visible tab holds the CPU flame graph and the off-CPU one, both drawn with frames.
    const pair = dom.slice(dom.indexOf('<div class="np-flame-pair" id="flames-1">'), dom.indexOf('<div class="np-flame-pair" id="flames-2"'));
    for (const id of ['flame-1', 'offcpu-1']) {
      const section = new RegExp(`<section class="np-flame" id="${id}"[\\s\\S]*?</section>`).exec(pair)![0];
      expect(section).toMatch(/<svg[^>]*d3-flame-graph[\s\S]*?<g [^>]*class="frame"/);
    }
    expect(pair).toContain('runtime.notesleep');
  }, 120_000);

  it('records a blocked request, so the check above would catch one', async () => {
    const html = (await reportHtml()).replace('</main>', () => '<img src="http://127.0.0.1:9/probe.png" alt=""></main>');
    const dom = await dumpDom(dir, 'report-with-request.html', html, REPORT_WINDOW);
    expect(pageErrors(dom).join('\n')).toMatch(/blocked: http:\/\/127\.0\.0\.1:9\/probe\.png \(img-src\)/);
  }, 120_000);
});
