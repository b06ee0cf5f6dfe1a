// Profiles -> one self-contained, offline flame-graph HTML page (d3-flame-graph 5, inlined).
//
// API
//   renderFlameHtml(graphs, options): string
//       A whole page. `graphs` is one Profile, or a list of `{ title, profile }` (several graphs become tabs,
//       e.g. `[{ title: 'syscalls', profile }, { title: 'cpu', profile }]` for a run directory).
//   flameGraphAssets(): string
//       The <style> and <script> (d3, d3-flame-graph, the page runtime, ~160 kB) every page with flame graphs
//       needs exactly once, in <head>. Sections mount themselves on DOMContentLoaded, and sections that are
//       hidden at load (tabs, <details>) draw when they first get a width.
//   flameGraphSection(id, graph, options): string
//       One self-contained <section> (toolbar with sample-type switch, search, reset zoom; legend; chart;
//       embedded data) to place anywhere in a page that includes flameGraphAssets(). `id` must be unique in
//       the page and look like an HTML id (letters, digits, `-`, `_`, starting with a letter).
//
// Safety: profile data reaches the page only as JSON inside <script type="application/json"> with `<`,
// U+2028 and U+2029 escaped, and is written to the DOM with textContent; every other profile-derived string
// in the markup goes through escapeHtml. No template placeholders are used, so `$&` in names is inert.
import { createHash } from 'node:crypto';
import { NetprobeError } from '../model/errors.js';
import type { Profile } from '../model/profile.js';
import { FLAME_PAGE_CSS, FLAME_PAGE_SCRIPT } from './assets/flame-page.js';
import { scriptSafe } from './assets/script-safe.js';
import { VENDOR_SCRIPT } from './assets/vendor-bundle.js';
import { neutraliseBidi } from './escape.js';
import { compactFrameTable, DEFAULT_MIN_FRACTION, flameTrees, FrameTableBuilder, type FlameTree, type FrameTable, type KindCode } from './flame-tree.js';

export interface FlameGraphInput {
  /** Shown as the section heading and tab label, e.g. `syscalls` or `cpu`. */
  title: string;
  profile: Profile;
}

export interface FlameSectionOptions {
  /** Sample type shown first (e.g. `time`); default: the profile's default. Graphs without it use their default. */
  sampleType?: string;
  /** Frames narrower than this fraction of the total are left out of the page. Default 0.0005 (0.05%). */
  minFrameFraction?: number;
}

export interface FlamePageOptions extends FlameSectionOptions {
  /** Page title and heading. Default `Flame graph`. */
  title?: string;
  /** A line under the heading, e.g. the input path. */
  subtitle?: string;
}

/** Data embedded in every section; the page runtime (assets/flame-page.ts) reads exactly this. */
export interface SectionData {
  mode: 'flame' | 'diff';
  frames: FrameTable;
  trees: FlameTree[];
  initial: number;
  /** The pruning threshold as a percentage string, for the "N frames narrower than X% hidden" note. */
  minPercent: string;
  normalized?: boolean;
}

export function renderFlameHtml(graphs: Profile | FlameGraphInput | readonly FlameGraphInput[], options: FlamePageOptions = {}): string {
  const list = normalizeGraphs(graphs);
  if (list.length === 0) throw new Error('renderFlameHtml needs at least one profile');
  checkSampleType(list, options.sampleType);
  const title = options.title ?? 'Flame graph';
  const ids = list.map((_, i) => `graph-${i + 1}`);
  const sections = list.map((g, i) => flameGraphSection(ids[i]!, g, options, i > 0));
  const tabs =
    list.length > 1
      ? `<nav class="np-tabs" role="tablist">${list
          .map((g, i) => `<button type="button" role="tab" data-target="${ids[i]}" aria-selected="${i === 0}">${escapeHtml(g.title)}</button>`)
          .join('')}</nav>\n`
      : '';
  return pageShell(title, options.subtitle, tabs + sections.join('\n'));
}

/** The scripts every page with flame graphs runs, exactly as they are placed in their <script> elements. */
export function flameGraphScripts(): string[] {
  return [VENDOR_SCRIPT, scriptSafe(FLAME_PAGE_SCRIPT)];
}

export function flameGraphAssets(): string {
  return `<style>${FLAME_PAGE_CSS}</style>\n${flameGraphScripts()
    .map((script) => `<script>${script}</script>`)
    .join('\n')}`;
}

/**
 * The page's Content-Security-Policy: no fetch or load of anything, and only the listed inline scripts run
 * (by their SHA-256), so an escaping bug could never run an injected inline handler or script. Styles stay
 * inline-allowed: d3 sets style attributes.
 */
export function pageCsp(scripts: readonly string[]): string {
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`).join(' ');
  return `default-src 'none'; script-src ${hashes}; style-src 'unsafe-inline'; img-src data:`;
}

export function flameGraphSection(id: string, graph: FlameGraphInput, options: FlameSectionOptions = {}, hidden = false): string {
  const minFraction = options.minFrameFraction ?? DEFAULT_MIN_FRACTION;
  const frames = new FrameTableBuilder();
  const trees = flameTrees(graph.profile, frames, { minFraction });
  const table = compactFrameTable(frames.table, trees.map((t) => t.root));
  const wanted = options.sampleType === undefined ? -1 : trees.findIndex((t) => t.type === options.sampleType);
  const initial = wanted >= 0 ? wanted : graph.profile.defaultSampleType;
  const data: SectionData = { mode: 'flame', frames: table, trees, initial, minPercent: percentText(minFraction) };
  const typeSwitch =
    trees.length > 1
      ? `<label>Sample type <select class="np-type">${trees
          .map((t, i) => `<option value="${i}"${i === initial ? ' selected' : ''}>${escapeHtml(t.type)} (${escapeHtml(t.unit)})</option>`)
          .join('')}</select></label>`
      : '';
  return sectionHtml(id, graph.title, data, typeSwitch, flameLegend(table), hidden);
}

const LEGEND: readonly [KindCode, string, string][] = [
  ['u', 'hsl(26,85%,63%)', 'user code'],
  ['k', 'hsl(211,62%,70%)', 'kernel'],
  ['s', 'hsl(167,46%,60%)', 'syscall'],
  ['j', 'hsl(107,45%,62%)', 'JIT'],
  ['p', 'hsl(220,10%,82%)', 'process / root'],
  ['o', 'hsl(280,12%,55%)', "tracer (observer cost, not the target's)"],
];

// Only the kinds this graph has, so a CPU profile does not advertise syscall frames.
function flameLegend(table: FrameTable): string {
  const present = new Set(table.map(([, kind]) => kind));
  return [...LEGEND.filter(([kind]) => present.has(kind)), ['u', '#e600e6', 'search match'] as const]
    .map(([, color, label]) => `<span><span class="sw" style="background:${color}"></span>${label}</span>`)
    .join('');
}

/** The section markup shared by flame and diff graphs. */
export function sectionHtml(id: string, title: string, data: SectionData, extraControls: string, legend: string, hidden: boolean): string {
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new Error(`flame graph section id must look like an HTML id, got ${JSON.stringify(id)}`);
  return `<section class="np-flame" id="${id}"${hidden ? ' hidden' : ''}>
<div class="np-toolbar">
<h2>${escapeHtml(title)}</h2>
<div class="np-controls">${extraControls}
<input class="np-search" type="search" placeholder="Search frames…" title="Case-insensitive substring; Esc clears" aria-label="Search frames">
<button type="button" class="np-reset" disabled>Reset zoom</button>
</div>
</div>
<div class="np-stats"></div>
<div class="np-legend">${legend}</div>
<div class="np-status" aria-live="polite"></div>
<div class="np-chart"></div>
<div class="np-details">Hover a frame for details; click to zoom in.</div>
<script type="application/json" class="np-data">${jsonForScript(data)}</script>
</section>`;
}


/** A complete page around sections produced by sectionHtml. */
export function pageShell(title: string, subtitle: string | undefined, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netprobe">
<meta http-equiv="Content-Security-Policy" content="${pageCsp(flameGraphScripts())}">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${flameGraphAssets()}
</head>
<body class="np-page">
<header class="np-page-head"><h1>${escapeHtml(title)}</h1>${subtitle ? `<p>${escapeHtml(subtitle)}</p>` : ''}</header>
<main class="np-main">
${body}
</main>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return neutraliseBidi(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// JSON inside <script type="application/json">: `<` escaped so no `</script>` or `<!--` can end or alter the
// element; U+2028/U+2029 escaped so the text stays valid even if someone pastes it into a JS string.
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function percentText(fraction: number): string {
  return String(Number((fraction * 100).toPrecision(3)));
}

function normalizeGraphs(graphs: Profile | FlameGraphInput | readonly FlameGraphInput[]): readonly FlameGraphInput[] {
  if (Array.isArray(graphs)) return graphs as readonly FlameGraphInput[];
  if ('profile' in graphs) return [graphs as FlameGraphInput];
  return [{ title: 'profile', profile: graphs as Profile }];
}

// An unknown --sample-type is a usage error when no graph on the page has it.
function checkSampleType(graphs: readonly FlameGraphInput[], sampleType: string | undefined): void {
  if (sampleType === undefined) return;
  if (graphs.some((g) => g.profile.sampleTypes.some((t) => t.type === sampleType))) return;
  const choices = [...new Set(graphs.flatMap((g) => g.profile.sampleTypes.map((t) => t.type)))].join(', ');
  throw new NetprobeError('usage', `unknown sample type \`${sampleType}\`; this input has: ${choices}`);
}
