// A comparison of network models as one self-contained, offline HTML page (report.html): the comparison
// table, syscalls-per-request bars, where threads wait (off-CPU time by kind), syscall latency histograms,
// sweep curves and flame graphs per run (CPU, and off-CPU beside it). Charts are drawn in the browser
// with the d3 modules the flame graphs already inline (d3-selection, d3-scale, d3-array); no network access:
// a Content-Security-Policy forbids every fetch, and page errors are recorded on <html data-np-errors>.
// This module composes the markup and the chart data; the page's script and stylesheet are assets/report-page.ts.
import type { ModelLabel } from '../model/run.js';
import type { Profile } from '../model/profile.js';
import { FAMILIES, type FamilyId } from '../model/families.js';
import { COMPARE_PER_REQUESTS, normalisationLabel, normalisationShort } from '../model/normalisation.js';
import { GO_WAITS, WAIT_KINDS, type WaitKind } from '../model/offcpu.js';
import { formatAmount, formatCount, formatNanoseconds, formatPercent } from '../model/units.js';
import type { CompareColumn, Comparison } from '../report/compare.js';
import { REPORT_ERROR_COLLECTOR, REPORT_PAGE_CSS, REPORT_PAGE_SCRIPT } from './assets/report-page.js';
import { formatWaitMs, OFFCPU_MS_WORDS } from './compare-table.js';
import { escapeHtml, flameGraphAssets, flameGraphScripts, flameGraphSection, jsonForScript, pageCsp } from './flame-html.js';

export interface ReportInput {
  title: string;
  /** A line under the title: when, where, which backend and load. */
  subtitle?: string;
  comparison: Comparison;
  /** Per column, the model the run should show (example servers); adds expected/match cells. */
  expected?: readonly (ModelLabel | undefined)[];
  /** Per column (same order), the profile drawn as that run's flame graph; missing ones are skipped. */
  profiles?: readonly (Profile | undefined)[];
  /** Per column (same order), the off-CPU profile drawn beside that run's flame graph (`--offcpu`). */
  offcpuProfiles?: readonly (Profile | undefined)[];
  /** What the flame graphs show (default: where each run's syscalls come from). */
  flameCaption?: string;
  /** Things the reader should know: skipped servers and how to enable them, tracer overhead. */
  notes?: readonly string[];
}

/** The report's CSP: nothing loaded, and only its own inline scripts run (flame-html.ts pageCsp). */
export const REPORT_CSP = pageCsp([REPORT_ERROR_COLLECTOR, ...flameGraphScripts(), REPORT_PAGE_SCRIPT]);

const FAMILY_COLORS: Record<string, string> = {
  read: '#4e79a7',
  write: '#59a14f',
  'epoll-wait': '#f28e2b',
  'poll-select': '#e15759',
  futex: '#b07aa1',
  accept: '#76b7b2',
  'thread-create': '#ff9da7',
  sleep: '#edc948',
  'sched-yield': '#9c755f',
  'epoll-ctl': '#bab0ac',
  'io-uring': '#86bcb6',
  signals: '#d37295',
  other: '#d4d4d4',
};

const WAIT_COLORS: Record<WaitKind, string> = {
  futex: '#b07aa1',
  'epoll/poll': '#f28e2b',
  'blocking read/recv/accept': '#4e79a7',
  sleep: '#edc948',
  other: '#bab0ac',
};

/** The families whose latency report.html draws, in this order: the request's own calls, then where servers wait. */
const LATENCY_FAMILIES: readonly FamilyId[] = ['read', 'write', 'accept', 'epoll-wait', 'poll-select', 'futex', 'sleep'];

/** The whole report page. */
export function renderReportHtml(input: ReportInput): string {
  const perRequest = input.comparison.columns.map((c) => c.normalisation === 'per-request');
  const chartData = chartDataOf(input.comparison, perRequest);
  const body = reportBody(input, chartData, perRequest);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netprobe">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
<script>${REPORT_ERROR_COLLECTOR}</script>
${flameGraphAssets()}
<style>${REPORT_PAGE_CSS}</style>
</head>
<body class="np-page">
<header class="np-page-head"><h1>${escapeHtml(input.title)}</h1>${input.subtitle ? `<p>${escapeHtml(input.subtitle)}</p>` : ''}</header>
<main class="np-main">
${body}
</main>
<script type="application/json" id="np-report-data">${jsonForScript(chartData)}</script>
<script>${REPORT_PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** What the page's charts draw, as the JSON the browser script reads. */
function chartDataOf(comparison: Comparison, perRequest: readonly boolean[]) {
  return {
    families: [...FAMILIES.map((f) => ({ id: f.id, title: f.title })), { id: 'other', title: 'other syscalls' }].map((f) => ({
      ...f,
      color: FAMILY_COLORS[f.id] ?? '#999',
    })),
    runs: comparison.columns
      .map((c, i) => ({
        name: c.name,
        model: c.model.label,
        perRequest: Object.fromEntries(
          comparison.rows.filter((r) => r.id !== 'total' && r.id !== 'errors' && r.id !== 'eagain').map((r) => [r.id, (r.values[i] ?? 0) / COMPARE_PER_REQUESTS]),
        ),
      }))
      .filter((_, i) => perRequest[i]),
    waits: {
      kinds: WAIT_KINDS.map((k) => ({ id: k, title: k, color: WAIT_COLORS[k] })),
      // Milliseconds per request (summed over threads), like the table beside it.
      runs: comparison.columns
        .filter((c) => c.offcpu && c.normalisation === 'per-request')
        .map((c) => ({
          name: c.name,
          model: c.model.label,
          byKind: Object.fromEntries(WAIT_KINDS.map((k) => [k, c.offcpu!.byKind[k] * 1000])),
          go: c.offcpu!.go ? Object.fromEntries(GO_WAITS.map((w) => [w, c.offcpu!.go![w] * 1000])) : null,
        })),
    },
    latency: {
      families: LATENCY_FAMILIES.filter((id) => comparison.columns.some((c) => c.latency?.[id])).map((id) => ({
        id,
        title: FAMILIES.find((f) => f.id === id)!.title,
      })),
      runs: comparison.columns
        .filter((c) => c.latency)
        .map((c) => ({
          name: c.name,
          byFamily: Object.fromEntries(
            LATENCY_FAMILIES.filter((id) => c.latency![id]).map((id) => {
              const l = c.latency![id]!;
              return [id, { calls: l.calls, p50: l.p50, p99: l.p99, buckets: l.buckets }];
            }),
          ),
        })),
    },
    sweeps: comparison.sweeps.map((s) => ({
      name: s.name,
      levels: s.levels.map((l) => ({
        connections: l.connections,
        total: l.perRequest.total ?? null,
        idleBytes: l.idleBytesPerConnection,
        rss: l.rssBytes,
      })),
    })),
  };
}

/** The report's sections, in reading order; each only when the comparison has its data. */
function reportBody(input: ReportInput, chartData: ReturnType<typeof chartDataOf>, perRequest: readonly boolean[]): string {
  const { comparison } = input;
  const skippedFromChart = comparison.columns.filter((_, i) => !perRequest[i]).map((c) => c.name);

  const withOffcpu = comparison.columns.some((c) => c.offcpu);
  const skippedFromWaits = comparison.columns.filter((c) => c.offcpu && c.normalisation !== 'per-request').map((c) => c.name);

  const notes = [...(input.notes ?? []), ...comparison.notes];
  return [
    notes.length > 0 ? `<section class="np-notes"><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : '',
    `<section class="np-report-block"><h2>Network models</h2>${modelCards(comparison, input.expected)}</section>`,
    `<section class="np-report-block"><h2>Syscalls by family</h2><p class="np-caption">${escapeHtml(captionOf(comparison))}</p>${comparisonTable(comparison, input.expected)}</section>`,
    chartData.runs.length > 0
      ? `<section class="np-report-block"><h2>Syscalls per request</h2><p class="np-caption">Each bar is one run, split by syscall family; fewer is cheaper.${
          skippedFromChart.length > 0 ? ` Not shown (no request count): ${escapeHtml(skippedFromChart.join(', '))}.` : ''
        }</p><div class="np-chart-box" id="np-bars"></div><div class="np-legend np-family-legend" id="np-bars-legend"></div></section>`
      : '',
    withOffcpu
      ? `<section class="np-report-block"><h2>Where threads wait</h2><p class="np-caption">Off-CPU time by what the blocked threads waited in, ${escapeHtml(
          offcpuUnitWords(comparison),
        )}, summed over threads (four threads blocked 1 ms each count 4 ms): from <code>--offcpu</code>, the kernel stack of each thread when it blocked.${
          skippedFromWaits.length > 0 ? ` Not in the chart (no request count): ${escapeHtml(skippedFromWaits.join(', '))}.` : ''
        }</p>${
          chartData.waits.runs.length > 0 ? '<div class="np-chart-box" id="np-waits"></div><div class="np-legend np-family-legend" id="np-waits-legend"></div>' : ''
        }${offcpuTable(comparison)}</section>`
      : '',
    chartData.latency.families.length > 0
      ? `<section class="np-report-block"><h2>Syscall latency</h2><p class="np-caption">Time inside each call, from <code>--latency</code>: one histogram per family and run (log2 buckets, share of the family's calls; one time axis per family). Dashed lines mark p50 and p99, the upper bounds of their buckets (within 2x).</p><div id="np-latency"></div>${latencyTable(
          comparison,
        )}</section>`
      : '',
    chartData.sweeps.length > 0
      ? `<section class="np-report-block"><h2>Cost as connections grow</h2><p class="np-caption">From <code>--sweep connections=…</code>: syscalls per request at each level, and how much the server's resident memory (RSS) grew per idle keep-alive connection held open beside it. RSS is user-space memory only: kernel socket buffers and thread kernel stacks are not included.</p><div class="np-sweep-charts"><div class="np-chart-box" id="np-sweep-calls"></div><div class="np-chart-box" id="np-sweep-memory"></div></div></section>`
      : '',
    flameGraphs(input),
  ].join('\n');
}

// One tab per run; with off-CPU profiles, a tab holds the run's CPU flame graph and its off-CPU one below it.
function flameGraphs(input: ReportInput): string {
  const runs = input.comparison.columns
    .map((c, i) => ({ name: c.name, model: c.model.label, profile: input.profiles?.[i], offcpu: input.offcpuProfiles?.[i] }))
    .filter((f) => f.profile !== undefined || f.offcpu !== undefined);
  if (runs.length === 0) return '';
  const paired = runs.some((f) => f.offcpu !== undefined);
  const tabIds = runs.map((_, i) => (paired ? `flames-${i + 1}` : `flame-${i + 1}`));
  const tabs = `<nav class="np-tabs" role="tablist">${runs
    .map((f, i) => `<button type="button" role="tab" data-target="${tabIds[i]}" aria-selected="${i === 0}">${escapeHtml(f.name)}</button>`)
    .join('')}</nav>`;
  const panels = runs.map((f, i) => {
    const cpu = f.profile ? flameGraphSection(`flame-${i + 1}`, { title: `${f.name}: ${f.model}`, profile: f.profile }, {}, !paired && i > 0) : '';
    if (!paired) return cpu;
    const off = f.offcpu ? flameGraphSection(`offcpu-${i + 1}`, { title: `${f.name}: off-CPU (where threads wait)`, profile: f.offcpu }, { sampleType: 'offcpu' }) : '';
    return `<div class="np-flame-pair" id="${tabIds[i]}"${i > 0 ? ' hidden' : ''}>\n${cpu}\n${off}\n</div>`;
  });
  const caption = input.flameCaption ?? "Where each run's syscalls come from.";
  const offcpuCaption = paired ? ' Below each: where its threads wait (off-CPU), each stack as wide as the time threads spent blocked in it (nanoseconds, summed over threads).' : '';
  return `<section class="np-report-block"><h2>Flame graphs</h2><p class="np-caption">${escapeHtml(caption + offcpuCaption)}</p>${tabs}\n${panels.join('\n')}</section>`;
}

function offcpuUnitWords(comparison: Comparison): string {
  const kinds = [...new Set(comparison.columns.filter((c) => c.offcpu).map((c) => c.normalisation))];
  return kinds.length === 1 ? OFFCPU_MS_WORDS[kinds[0]!] : 'in ms per request, per second of capture or in total (see each column heading)';
}

// Wait time by kind beside the counts: one column per run, as the comparison table has.
function offcpuTable(comparison: Comparison): string {
  const { columns } = comparison;
  const mixed = new Set(columns.filter((c) => c.offcpu).map((c) => c.normalisation)).size > 1;
  const ms = (c: CompareColumn, v: number | undefined) => (c.offcpu && v !== undefined ? escapeHtml(formatWaitMs(v)) : '<span class="np-dim">n/a</span>');
  const rows = [
    ...WAIT_KINDS.map((k) => row(k, columns.map((c) => ms(c, c.offcpu?.byKind[k])))),
    row('total', columns.map((c) => ms(c, c.offcpu?.total)), 'np-total'),
  ];
  const go = GO_WAITS.filter((w) => columns.some((c) => (c.offcpu?.go?.[w] ?? 0) > 0));
  for (const w of go) rows.push(row(`Go: ${w}`, columns.map((c) => (c.offcpu?.go ? ms(c, c.offcpu.go[w]) : ''))));
  return htmlTable(columns.map((c) => `${c.name}${mixed && c.offcpu ? ` (${normalisationShort(c.normalisation)})` : ''}`), rows);
}

function latencyTable(comparison: Comparison): string {
  const { columns } = comparison;
  const families = FAMILIES.filter((f) => columns.some((c) => c.latency?.[f.id]));
  const rows = families.map((f) =>
    row(
      `${f.title} p50 / p99`,
      columns.map((c) => {
        const l = c.latency?.[f.id];
        return l ? escapeHtml(`${formatNanoseconds(l.p50 * 1e9)} / ${formatNanoseconds(l.p99 * 1e9)}`) : '<span class="np-dim">n/a</span>';
      }),
    ),
  );
  return htmlTable(columns.map((c) => c.name), rows);
}

// Cells are HTML already (escaped by the caller); the title is text.
function row(title: string, cells: readonly string[], cls = ''): string {
  return `<tr${cls ? ` class="${cls}"` : ''}><th>${escapeHtml(title)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function htmlTable(names: readonly string[], rows: readonly string[]): string {
  const head = `<tr><th></th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`;
  return `<div class="np-table-wrap"><table class="np-compare"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

function captionOf(comparison: Comparison): string {
  const kinds = [...new Set(comparison.columns.map((c) => c.normalisation))];
  return kinds.length === 1 ? `Calls by family, ${normalisationLabel(kinds[0]!, COMPARE_PER_REQUESTS)}.` : 'Units differ per column (see each column heading).';
}

function modelCards(comparison: Comparison, expected?: readonly (ModelLabel | undefined)[]): string {
  return `<div class="np-cards">${comparison.columns
    .map((c, i) => {
      const want = expected?.[i];
      const match = want === undefined ? '' : c.model.label === want ? '<span class="np-ok">matches expected</span>' : `<span class="np-bad">expected ${escapeHtml(want)}</span>`;
      const confidence = c.model.label === 'unknown' ? '' : ` <span class="np-dim">${formatPercent(c.model.confidence, 0)}</span>`;
      return `<div class="np-card"><h3>${escapeHtml(c.name)}</h3><p class="np-label">${escapeHtml(c.model.label)}${confidence}</p>${match}<ul>${c.model.evidence
        .map((e) => `<li>${escapeHtml(e)}</li>`)
        .join('')}</ul></div>`;
    })
    .join('')}</div>`;
}

function comparisonTable(comparison: Comparison, expected?: readonly (ModelLabel | undefined)[]): string {
  const { columns } = comparison;
  const mixed = new Set(columns.map((c) => c.normalisation)).size > 1;
  const head = `<tr><th></th>${columns.map((c) => `<th>${escapeHtml(c.name)}${mixed ? `<br><span class="np-dim">${escapeHtml(normalisationLabel(c.normalisation, COMPARE_PER_REQUESTS))}</span>` : ''}</th>`).join('')}</tr>`;
  const cell = (v: number | null) => `<td>${v === null ? '<span class="np-dim">n/a</span>' : escapeHtml(formatAmount(v))}</td>`;
  const rows = comparison.rows.map(
    (r) => `<tr class="${r.id === 'total' ? 'np-total' : ''}"><th>${escapeHtml(r.title)}</th>${r.values.map(cell).join('')}</tr>`,
  );
  const fact = (title: string, cells: string[]) => `<tr class="np-fact"><th>${escapeHtml(title)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  rows.push(
    fact('backend', columns.map((c) => escapeHtml(c.backend ?? 'unknown'))),
    fact('threads', columns.map((c) => (c.threads === null ? '' : formatCount(c.threads)))),
    fact('requests/s', columns.map((c) => (c.requestsPerSecond === null ? '' : formatCount(Math.round(c.requestsPerSecond))))),
    fact('model', columns.map((c) => escapeHtml(c.model.label))),
  );
  if (expected) {
    rows.push(fact('matches expected', columns.map((c, i) => (expected[i] === undefined ? '' : c.model.label === expected[i] ? '<span class="np-ok">yes</span>' : '<span class="np-bad">no</span>'))));
  }
  return `<div class="np-table-wrap"><table class="np-compare"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}
