// report.html from real captures: structure, offline guarantees and escaping of hostile names.
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import { profileFromSyscalls } from '../../src/model/syscall-profile.js';
import { REPORT_CSP, renderReportHtml } from '../../src/render/report-html.js';
import { perRequestByFamily } from '../../src/report/normalise.js';
import { compareRuns, type CompareRun } from '../../src/report/compare.js';
import { stackList, type Profile } from '../../src/model/profile.js';
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
    expect(stackList(cpu).some((s) => s.frames.length > 10)).toBe(true);
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

// Real `--cpu --offcpu --latency` runs of three example servers (fixtures/render/README.md, "waits/").
async function waitsRuns(names: readonly string[] = ['go-nethttp', 'c-threads', 'c-epoll']) {
  const runs: { run: CompareRun; cpu: Profile; offcpu: Profile }[] = [];
  for (const name of names) {
    const loaded = await readInput(fixture('render', 'waits', name));
    const run = loaded.meta!.run!;
    runs.push({
      run: { name, syscalls: loaded.syscalls!, requests: run.load!.requests, offcpu: run.offcpu!, latency: run.latency! },
      cpu: loaded.meta!.cpuProfile!,
      offcpu: loaded.meta!.offcpuProfile!,
    });
  }
  return runs;
}

describe('renderReportHtml with off-CPU time and latency', () => {
  it('shows where threads wait (bars and a table by kind) and latency histograms with a p50/p99 table', async () => {
    const runs = await waitsRuns();
    const html = renderReportHtml({ title: 't', comparison: compareRuns(runs.map((r) => r.run)) });
    expect(html).toContain('<h2>Where threads wait</h2><p class="np-caption">Off-CPU time by what the blocked threads waited in, ms per request, summed over threads');
    expect(html).toContain('<div class="np-chart-box" id="np-waits"></div>');
    expect(html).toMatch(/<tr><th>blocking read\/recv\/accept<\/th><td>&#60;0\.01<\/td><td>2\.08<\/td><td>0<\/td><\/tr>/);
    expect(html).toMatch(/<tr class="np-total"><th>total<\/th><td>0\.62<\/td><td>2\.08<\/td><td>&#60;0\.01<\/td><\/tr>/);
    expect(html).toMatch(/<tr><th>Go: idle workers<\/th><td>0\.47<\/td><td><\/td><td><\/td><\/tr>/);
    expect(html).toContain('<h2>Syscall latency</h2>');
    expect(html).toContain('<div id="np-latency"></div>');
    expect(html).toMatch(/<tr><th>read\/recv p50 \/ p99<\/th><td>[\d.]+ µs \/ [\d.]+ µs<\/td><td>[\d.]+ ms \/ [\d.]+ ms<\/td>/);

    const data = JSON.parse(/<script type="application\/json" id="np-report-data">([^<]*)<\/script>/.exec(html)![1]!) as {
      waits: { runs: { name: string; byKind: Record<string, number> }[] };
      latency: { families: { id: string }[]; runs: { name: string; byFamily: Record<string, { buckets: number[][] }> }[] };
    };
    expect(data.waits.runs.map((r) => r.name)).toEqual(['go-nethttp', 'c-threads', 'c-epoll']);
    expect(data.waits.runs[1]!.byKind['blocking read/recv/accept']).toBeCloseTo(2.08, 2);
    // The main families only, the request's own calls first, then the waits; each run's buckets as the run has them.
    expect(data.latency.families.map((f) => f.id)).toEqual(['read', 'write', 'accept', 'epoll-wait', 'futex', 'sleep']);
    expect(data.latency.runs[2]!.byFamily['epoll-wait']!.buckets.length).toBeGreaterThan(3);
    expect(data.latency.runs[2]!.byFamily.futex).toBeUndefined();
  });

  it('puts each run\'s off-CPU flame graph under its CPU one, one tab per run', async () => {
    const runs = await waitsRuns(['go-nethttp', 'c-threads']);
    const html = renderReportHtml({
      title: 't',
      comparison: compareRuns(runs.map((r) => r.run)),
      profiles: runs.map((r) => r.cpu),
      offcpuProfiles: runs.map((r) => r.offcpu),
    });
    expect(html).toContain('<button type="button" role="tab" data-target="flames-1" aria-selected="true">go-nethttp</button>');
    expect(html).toContain('<div class="np-flame-pair" id="flames-1">\n<section class="np-flame" id="flame-1">');
    expect(html).toContain('<div class="np-flame-pair" id="flames-2" hidden>\n<section class="np-flame" id="flame-2">');
    expect(html.match(/<section class="np-flame" id="(flame|offcpu)-\d"/g)).toEqual([
      '<section class="np-flame" id="flame-1"',
      '<section class="np-flame" id="offcpu-1"',
      '<section class="np-flame" id="flame-2"',
      '<section class="np-flame" id="offcpu-2"',
    ]);
    expect(html).toContain('<h2>go-nethttp: off-CPU (where threads wait)</h2>');
    expect(html).toContain('runtime.notesleep');
    expect(html).toContain('Below each: where its threads wait (off-CPU)');
  });

  it('says which runs are missing from the wait chart, and renders hostile names as text', async () => {
    const [go] = await waitsRuns(['go-nethttp']);
    const { requests: _requests, ...perSecond } = { ...go!.run, name: 'no requests', durationSeconds: 3 };
    const html = renderReportHtml({ title: 't', comparison: compareRuns([{ ...go!.run, name: HOSTILE }, perSecond]) });
    expect(html).toContain('Not in the chart (no request count): no requests.');
    expect(html).not.toContain(HOSTILE);
    const data = JSON.parse(/<script type="application\/json" id="np-report-data">([^<]*)<\/script>/.exec(html)![1]!) as { waits: { runs: { name: string }[] } };
    expect(data.waits.runs.map((r) => r.name)).toEqual([HOSTILE]);
  });

  it('has neither section, and the flame graphs as before, without off-CPU and latency data', async () => {
    const html = await report();
    expect(html).not.toContain('Where threads wait');
    expect(html).not.toContain('Syscall latency');
    expect(html).not.toContain('class="np-flame-pair"');
    expect(html).toContain('<button type="button" role="tab" data-target="flame-1" aria-selected="true">go-nethttp</button>');
  });
});
