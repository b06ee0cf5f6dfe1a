// Differential flame graphs: rows of two profiles' folded stacks -> one page (or one section) whose embedded
// tree takes its widths from the new profile and carries each frame's base value beside it.
import { describe, expect, it } from 'vitest';
import { renderDiffHtml, diffGraphSection } from '../../src/render/diff-html.js';
import type { SectionData } from '../../src/render/flame-html.js';
import type { DiffTree, FlameNode } from '../../src/render/flame-tree.js';
import { diffFolded } from '../../src/report/diff-folded.js';

// A server before and after a change: reads grew, writes shrank, one path is gone, one is new but tiny.
const before = new Map([
  ['main;read;sys_read_[k]', 40],
  ['main;write', 60],
  ['main;gone', 10],
]);
const after = new Map([
  ['main;read;sys_read_[k]', 90],
  ['main;write', 30],
  ['main;tiny', 1],
]);
const rows = diffFolded(before, after);

function sectionData(html: string): SectionData[] {
  return [...html.matchAll(/<script type="application\/json" class="np-data">([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]!) as SectionData);
}

/** The tree as `name[kind] after/before` lines, indented by depth. */
function dump(data: SectionData): string[] {
  const out: string[] = [];
  const walk = (n: FlameNode, depth: number) => {
    const [name, kind] = data.frames[n.f]!;
    out.push(`${'  '.repeat(depth)}${name}[${kind}] ${n.v}/${n.b}`);
    for (const c of n.c ?? []) walk(c, depth + 1);
  };
  walk(data.trees[0]!.root, 0);
  return out;
}

describe('diffGraphSection', () => {
  const section = diffGraphSection('diff-a', { title: 'before.pb.gz → after.pb.gz', rows, normalized: false, unit: 'nanoseconds', sampleType: 'time' }, { minFrameFraction: 0.05 });
  const [data] = sectionData(section);

  it('is one section, not a page, with the diff legend and its title escaped', () => {
    expect(section.startsWith('<section class="np-flame" id="diff-a">')).toBe(true);
    expect(section).not.toContain('<!DOCTYPE');
    expect(section).toContain('<h2>before.pb.gz → after.pb.gz</h2>');
    expect(section).toContain('<span>shrank<span class="ramp"></span>grew</span><span>width: new profile</span>');
    expect(sectionData(diffGraphSection('x', { title: '<b>', rows, normalized: false }))).toHaveLength(1);
    expect(diffGraphSection('x', { title: '<b>', rows, normalized: false })).toContain('<h2>&#60;b&#62;</h2>');
  });

  it('merges the stacks into one tree: widths from the new profile, base values beside them, kernel frames marked', () => {
    expect(data!.mode).toBe('diff');
    expect(dump(data!)).toEqual(['all[p] 121/110', '  main[u] 121/110', '    read[u] 90/40', '      sys_read[k] 90/40', '    write[u] 30/60']);
  });

  it('prunes frames narrower than minFrameFraction of the new total and leaves vanished stacks out without counting them as pruned', () => {
    const tree = data!.trees[0] as DiffTree;
    expect(tree).toMatchObject({ type: 'time', unit: 'nanoseconds', total: 121, baseTotal: 110, vanished: 10, frames: 4, pruned: 1 });
    expect(data!.minPercent).toBe('5');
    // The frame table keeps only what the tree draws.
    expect(data!.frames.map(([name]) => name)).toEqual(['all', 'main', 'read', 'sys_read', 'write']);
  });

  it('defaults: samples counted, frames down to 0.05% of the total, so the tiny new path is drawn', () => {
    const [d] = sectionData(diffGraphSection('diff-b', { title: 't', rows, normalized: false }));
    expect(d!.trees[0]).toMatchObject({ type: 'samples', unit: 'count', pruned: 0, frames: 5 });
    expect(d!.minPercent).toBe('0.05');
    expect(dump(d!)).toContain('    tiny[u] 1/0');
  });

  it('says whether the base was scaled to the new total', () => {
    const normalised = diffFolded(before, after, { normalize: true });
    const [d] = sectionData(diffGraphSection('diff-c', { title: 't', rows: normalised, normalized: true }));
    expect(d!.normalized).toBe(true);
    // 110 before, 121 after: each base value scaled by 121/110 and truncated (40 -> 44, 60 -> 66, 10 -> 11).
    expect((d!.trees[0] as DiffTree).baseTotal).toBe(44 + 66 + 11);
    expect(data!.normalized).toBe(false);
  });

  it('refuses a section id that is not an HTML id', () => {
    expect(() => diffGraphSection('1 bad"id', { title: 't', rows, normalized: false })).toThrow(/must look like an HTML id/);
  });
});

describe('renderDiffHtml', () => {
  it('a whole page around one diff section, titled as asked or "Differential flame graph"', () => {
    const page = renderDiffHtml({ title: 'base → new', rows, normalized: false }, { title: 'Before & after', subtitle: 'load: 4 connections' });
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('<title>Before &#38; after</title>');
    expect(page).toContain('<p>load: 4 connections</p>');
    expect(page).toContain('<section class="np-flame" id="diff-1">');
    expect(sectionData(page)).toHaveLength(1);
    expect(renderDiffHtml({ title: 't', rows, normalized: false })).toContain('<title>Differential flame graph</title>');
  });

  it('draws an empty diff (no rows) as an empty tree rather than failing', () => {
    const [d] = sectionData(renderDiffHtml({ title: 't', rows: [], normalized: false }));
    expect(d!.trees[0]).toMatchObject({ total: 0, baseTotal: 0, vanished: 0, frames: 0, pruned: 0 });
  });

  it('says in the legend how the base was scaled, escaped', () => {
    const page = renderDiffHtml({ title: 't', rows, normalized: false, scaling: 'per request: base scaled by 2 / 1 requests <x>' });
    expect(page).toContain('<span class="np-scaling">compared per request: base scaled by 2 / 1 requests &#60;x&#62;</span>');
    expect(renderDiffHtml({ title: 't', rows, normalized: false })).not.toContain('np-scaling');
  });
});
