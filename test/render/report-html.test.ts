// report.html from real captures: structure, offline guarantees and escaping of hostile names.
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { profileFromSyscalls } from '../../src/model/syscall-profile.js';
import { REPORT_CSP, renderReportHtml } from '../../src/render/report-html.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { compareRuns } from '../../src/report/compare.js';
import { fixture } from '../helpers.js';

async function table(file: string) {
  return (await readInput(fixture('models', file))).syscalls!;
}

const HOSTILE = '</script><img src=x onerror=alert(1)>';

async function report() {
  const go = await table('go-nethttp-c50.strace.txt');
  const nginx = await table('nginx-1worker-c50.strace.txt');
  const comparison = compareRuns([
    { name: 'go-nethttp', syscalls: go, requests: 32249 },
    { name: HOSTILE, syscalls: nginx, requests: 21000 },
  ]);
  comparison.sweeps.push({
    name: 'go-nethttp',
    levels: [1, 50].map((connections) => ({
      connections,
      dir: `connections-${connections}`,
      requests: 32249,
      requestsPerSecond: 10000,
      threads: null,
      rssBytes: 9_000_000,
      idleConnections: connections,
      idleBytesPerConnection: 5000 * connections,
      perRequest: perRequestByFamily(go, 32249),
      model: comparison.columns[0]!.model,
    })),
  });
  return renderReportHtml({
    title: 'models',
    subtitle: 'test',
    comparison,
    expected: ['goroutine-per-connection (netpoll)', 'poll/select loop'],
    profiles: [profileFromSyscalls(go), profileFromSyscalls(nginx)],
    notes: ['skipped c-threads: gcc not found. To enable it: apt-get install gcc'],
  });
}

describe('renderReportHtml', () => {
  it('is one offline page: a CSP that forbids every fetch and no http(s) resource references', async () => {
    const html = await report();
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toMatch(/^default-src 'none';/);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
  });

  it('has the comparison table, model cards, bars, sweep curves and one flame graph per run', async () => {
    const html = await report();
    expect(html).toContain('<table class="np-compare">');
    expect(html).toMatch(/<th>futex<\/th><td>[\d.,]+<\/td><td>0<\/td>/);
    expect(html).toContain('<p class="np-label">goroutine-per-connection (netpoll) <span class="np-dim">');
    expect(html).toContain('<span class="np-bad">expected poll/select loop</span>');
    expect(html).toContain('<div class="np-chart-box" id="np-bars"></div>');
    expect(html).toContain('id="np-sweep-calls"');
    expect(html).toContain('id="np-sweep-memory"');
    expect(html.match(/<section class="np-flame" id="flame-\d"/g)).toEqual(['<section class="np-flame" id="flame-1"', '<section class="np-flame" id="flame-2"']);
    expect(html).toContain('<li>skipped c-threads: gcc not found. To enable it: apt-get install gcc</li>');
    expect(html).toContain('<tr class="np-fact"><th>backend</th><td>unknown</td><td>unknown</td></tr>');
  });

  it('has a backend row and says when the runs come from different backends', async () => {
    const t = await table('go-nethttp-c50.strace.txt');
    const comparison = compareRuns([
      { name: 'a', syscalls: t, backend: 'strace', threads: 5 },
      { name: 'b', syscalls: t, backend: 'bpftrace', threads: 2 },
    ]);
    const html = renderReportHtml({ title: 't', comparison });
    expect(html).toContain('<tr class="np-fact"><th>backend</th><td>strace</td><td>bpftrace</td></tr>');
    expect(html).toContain('<li>columns from different backends (strace: a; bpftrace: b): strace stops the target at every syscall');
    expect(html).toContain('<li>thread counts differ in meaning: strace counts every thread and process it attached to or followed');
  });

  it('renders a hostile run name as text, in markup and in embedded data', async () => {
    const html = await report();
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;');
    const data = /<script type="application\/json" id="np-report-data">([^<]*)<\/script>/.exec(html);
    expect(data).not.toBeNull();
    const parsed = JSON.parse(data![1]!) as { runs: { name: string; perRequest: Record<string, number> }[] };
    expect(parsed.runs.map((r) => r.name)).toEqual(['go-nethttp', HOSTILE]);
    expect(parsed.runs[0]!.perRequest.read).toBeGreaterThan(1);
  });

  it('draws the CPU profiles it is given, under the caption it is given', async () => {
    const run = await readInput(fixture('models', 'runs', 'go-nethttp-cpu'));
    const cpu = run.meta!.cpuProfile!;
    expect(cpu.stacks.some((s) => s.frames.length > 10)).toBe(true);
    const html = renderReportHtml({
      title: 't',
      comparison: compareRuns([{ name: 'go-nethttp', syscalls: run.syscalls! }]),
      profiles: [cpu],
      flameCaption: 'Where each server spends CPU.',
    });
    expect(html).toContain('<p class="np-caption">Where each server spends CPU.</p>');
    expect(html.match(/<section class="np-flame"/g)).toHaveLength(1);
    expect(html).toContain('net/http.(*conn).serve');
  });

  it('says what the idle-connection memory curve measures', async () => {
    const html = await report();
    expect(html).toContain('RSS is user-space memory only: kernel socket buffers and thread kernel stacks are not included.');
    expect(html).toContain("'RSS growth per idle connection (user space)'");
  });

  it('leaves out the charts it has no data for', async () => {
    const redis = await table('redis-c50.strace.txt');
    const html = renderReportHtml({ title: 't', comparison: compareRuns([{ name: 'redis', syscalls: redis }]) });
    expect(html).not.toContain('id="np-bars"');
    expect(html).not.toContain('id="np-sweep-calls"');
    expect(html).not.toContain('class="np-flame"');
    expect(html).toContain('<table class="np-compare">');
  });
});
