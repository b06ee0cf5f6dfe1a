// A comparison of network models as one self-contained, offline HTML page (report.html): the comparison
// table, syscalls-per-request bars, sweep curves and one flame graph per run. Charts are drawn in the browser
// with the d3 modules the flame graphs already inline (d3-selection, d3-scale, d3-array); no network access:
// a Content-Security-Policy forbids every fetch, and page errors are recorded on <html data-np-errors>.
// This module composes the markup and the chart data; the page's script and stylesheet are assets/report-page.ts.
import type { ModelLabel } from '../model/run.js';
import type { Profile } from '../model/profile.js';
import { FAMILIES } from '../model/families.js';
import { COMPARE_PER_REQUESTS, normalisationLabel } from '../model/normalisation.js';
import { formatAmount, formatCount, formatPercent } from '../model/units.js';
import type { Comparison } from '../report/compare.js';
import { REPORT_ERROR_COLLECTOR, REPORT_PAGE_CSS, REPORT_PAGE_SCRIPT } from './assets/report-page.js';
import { escapeHtml, flameGraphAssets, flameGraphSection, jsonForScript } from './flame-html.js';

export interface ReportInput {
  title: string;
  /** A line under the title: when, where, which backend and load. */
  subtitle?: string;
  comparison: Comparison;
  /** Per column, the model the run should show (example servers); adds expected/match cells. */
  expected?: readonly (ModelLabel | undefined)[];
  /** Per column (same order), the profile drawn as that run's flame graph; missing ones are skipped. */
  profiles?: readonly (Profile | undefined)[];
  /** What the flame graphs show (default: where each run's syscalls come from). */
  flameCaption?: string;
  /** Things the reader should know: skipped servers and how to enable them, tracer overhead. */
  notes?: readonly string[];
}

export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

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

/** The whole report page. */
export function renderReportHtml(input: ReportInput): string {
  const { comparison } = input;
  const perRequest = comparison.columns.map((c) => c.normalisation === 'per-request');
  const chartData = {
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
  const skippedFromChart = comparison.columns.filter((_, i) => !perRequest[i]).map((c) => c.name);

  const flames = comparison.columns
    .map((c, i) => ({ name: c.name, model: c.model.label, profile: input.profiles?.[i] }))
    .filter((f): f is { name: string; model: ModelLabel; profile: Profile } => f.profile !== undefined);
  const flameIds = flames.map((_, i) => `flame-${i + 1}`);

  const notes = [...(input.notes ?? []), ...comparison.notes];
  const body = [
    notes.length > 0 ? `<section class="np-notes"><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : '',
    `<section class="np-report-block"><h2>Network models</h2>${modelCards(comparison, input.expected)}</section>`,
    `<section class="np-report-block"><h2>Syscalls by family</h2><p class="np-caption">${escapeHtml(captionOf(comparison))}</p>${comparisonTable(comparison, input.expected)}</section>`,
    chartData.runs.length > 0
      ? `<section class="np-report-block"><h2>Syscalls per request</h2><p class="np-caption">Each bar is one run, split by syscall family; fewer is cheaper.${
          skippedFromChart.length > 0 ? ` Not shown (no request count): ${escapeHtml(skippedFromChart.join(', '))}.` : ''
        }</p><div class="np-chart-box" id="np-bars"></div><div class="np-legend np-family-legend" id="np-bars-legend"></div></section>`
      : '',
    chartData.sweeps.length > 0
      ? `<section class="np-report-block"><h2>Cost as connections grow</h2><p class="np-caption">From <code>--sweep connections=…</code>: syscalls per request at each level, and how much the server's resident memory (RSS) grew per idle keep-alive connection held open beside it. RSS is user-space memory only: kernel socket buffers and thread kernel stacks are not included.</p><div class="np-sweep-charts"><div class="np-chart-box" id="np-sweep-calls"></div><div class="np-chart-box" id="np-sweep-memory"></div></div></section>`
      : '',
    flames.length > 0
      ? `<section class="np-report-block"><h2>Flame graphs</h2><p class="np-caption">${escapeHtml(input.flameCaption ?? "Where each run's syscalls come from.")}</p><nav class="np-tabs" role="tablist">${flames
          .map((f, i) => `<button type="button" role="tab" data-target="${flameIds[i]}" aria-selected="${i === 0}">${escapeHtml(f.name)}</button>`)
          .join('')}</nav>\n${flames
          .map((f, i) => flameGraphSection(flameIds[i]!, { title: `${f.name}: ${f.model}`, profile: f.profile }, {}, i > 0))
          .join('\n')}</section>`
      : '',
  ].join('\n');

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
