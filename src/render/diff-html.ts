// Two profiles' folded stacks -> a differential flame graph page: widths from the new profile, red where a
// frame grew, blue where it shrank, the stronger the larger its relative change (flamegraph.pl's convention,
// https://www.brendangregg.com/blog/2014-11-09/differential-flame-graphs.html).
//
// API
//   renderDiffHtml(diff, options): string          a whole page
//   diffGraphSection(id, diff, options): string    one section for pages that include flameGraphAssets()
import { compactFrameTable, DEFAULT_MIN_FRACTION, diffFlameTree, FrameTableBuilder, type DiffRow } from './flame-tree.js';
import { escapeHtml, pageShell, percentText, sectionHtml, type SectionData } from './flame-html.js';

export interface DiffGraphInput {
  /** Section heading, e.g. `base.pb.gz → new.pb.gz`. */
  title: string;
  /** One row per folded stack, as diffFolded returns them. */
  rows: readonly DiffRow[];
  /** Whether `before` values were scaled to the new profile's total (colours then compare each frame's share). */
  normalized: boolean;
  /** How `before` values were scaled, in words, shown in the legend, e.g. `per request: base scaled by 20,000 / 20,000 requests`. */
  scaling?: string;
  /** Unit of the values (pprof unit); default `count`. */
  unit?: string;
  /** Name of the values, e.g. `samples` or `calls`; default `samples`. */
  sampleType?: string;
}

export interface DiffSectionOptions {
  /** Frames narrower than this fraction of the new total are left out. Default 0.0005 (0.05%). */
  minFrameFraction?: number;
}

export interface DiffPageOptions extends DiffSectionOptions {
  /** Page title and heading. Default `Differential flame graph`. */
  title?: string;
  subtitle?: string;
}

function diffLegend(scaling: string | undefined): string {
  return (
    '<span>shrank<span class="ramp"></span>grew</span>' +
    '<span>width: new profile</span>' +
    (scaling ? `<span class="np-scaling">compared ${escapeHtml(scaling)}</span>` : '') +
    '<span><span class="sw" style="background:#e600e6"></span>search match</span>'
  );
}

export function renderDiffHtml(diff: DiffGraphInput, options: DiffPageOptions = {}): string {
  return pageShell(options.title ?? 'Differential flame graph', options.subtitle, diffGraphSection('diff-1', diff, options));
}

export function diffGraphSection(id: string, diff: DiffGraphInput, options: DiffSectionOptions = {}): string {
  const minFraction = options.minFrameFraction ?? DEFAULT_MIN_FRACTION;
  const frames = new FrameTableBuilder();
  const tree = diffFlameTree(diff.rows, frames, diff.unit ?? 'count', { minFraction });
  tree.type = diff.sampleType ?? 'samples';
  const table = compactFrameTable(frames.table, [tree.root]);
  const data: SectionData = {
    mode: 'diff',
    frames: table,
    trees: [tree],
    initial: 0,
    minPercent: percentText(minFraction),
    normalized: diff.normalized,
  };
  return sectionHtml(id, diff.title, data, '', diffLegend(diff.scaling), false);
}
