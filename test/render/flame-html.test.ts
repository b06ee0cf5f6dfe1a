import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { CPU_SAMPLE_TYPES, ProfileBuilder, SYSCALL_SAMPLE_TYPES, type Profile } from '../../src/model/profile.js';
import { renderDiffHtml } from '../../src/render/diff-html.js';
import { flameGraphAssets, flameGraphScripts, flameGraphSection, renderFlameHtml, type SectionData } from '../../src/render/flame-html.js';

const XSS = '</script><img src=x onerror=alert(1)>$&';

function syscallProfileWithXss(): Profile {
  const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES, 0);
  b.add([{ name: 'server', kind: 'process' }, { name: XSS, kind: 'user' }, { name: 'read', kind: 'syscall' }], [900, 300, 12_000_000]);
  b.add([{ name: 'server', kind: 'process' }, { name: 'main', kind: 'user' }, { name: 'entry_SYSCALL_64', kind: 'kernel' }, { name: 'write', kind: 'syscall' }], [600, 0, 9_000_000]);
  b.add([{ name: 'server', kind: 'process' }, { name: 'main\u2028$1', kind: 'user' }, { name: 'epoll_wait', kind: 'syscall' }], [500, 0, 30_000_000]);
  return b.build();
}

function cpuProfile(): Profile {
  const b = new ProfileBuilder(CPU_SAMPLE_TYPES, 0);
  b.add([{ name: 'dd', kind: 'process' }, { name: 'read', kind: 'user' }, { name: 'ksys_read', kind: 'kernel' }], [50, 50_000_000]);
  return b.build();
}

// The JSON payloads of every section, parsed the way the page runtime parses them.
function sectionData(html: string): SectionData[] {
  return [...html.matchAll(/<script type="application\/json" class="np-data">([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]!) as SectionData);
}

// Markup outside <script> elements: where a resource load would have to be.
function markupOnly(html: string): string {
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '<script></script>');
}

describe('renderFlameHtml', () => {
  const html = renderFlameHtml([{ title: 'syscalls', profile: syscallProfileWithXss() }], { title: 'A <b>title</b> & more', subtitle: 'from $& file' });

  it('is a single page that loads nothing from the network', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const markup = markupOnly(html);
    expect(markup).not.toMatch(/<script[^>]+\bsrc\s*=/i);
    expect(markup).not.toMatch(/<link\b(?![^>]*href="data:)[^>]*>/i);
    expect(markup).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(markup).toContain('<link rel="icon" href="data:,">');
    // Only the page's own scripts run, by hash: no 'unsafe-inline' that an injected handler could use.
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(markup)![1]!;
    expect(csp).toMatch(/^default-src 'none'; script-src ('sha256-[A-Za-z0-9+/]+=*' ?)+; style-src 'unsafe-inline'; img-src data:$/);
    for (const script of flameGraphScripts()) {
      expect(html).toContain(`<script>${script}</script>`);
      expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    }
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    for (const api of ['fetch(', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'sendBeacon']) expect(html).not.toContain(api);
  });

  it('inlines d3 and d3-flame-graph', () => {
    expect(html).toContain('d3-selection');
    expect(html).toContain('flamegraph');
    expect(html.length).toBeGreaterThan(100_000);
  });

  it('keeps a hostile frame name as data: escaped in JSON, never as markup, with $& intact', () => {
    expect(html).not.toContain('<img');
    // Every </script> closes a <script> we opened.
    expect(html.match(/<\/script>/g)!.length).toBe(html.match(/<script\b/g)!.length);
    const [data] = sectionData(html);
    expect(data!.frames.map(([name]) => name)).toContain(XSS);
    expect(data!.frames.map(([name]) => name)).toContain('main\u2028$1');
    expect(html).toContain('\\u003c/script>\\u003cimg src=x onerror=alert(1)>$&');
    expect(html).not.toContain('\u2028');
  });

  it('escapes titles in markup', () => {
    expect(html).toContain('<title>A &#60;b&#62;title&#60;/b&#62; &#38; more</title>');
    expect(html).toContain('<p>from $&#38; file</p>');
  });

  it('embeds one tree per sample type, a switch between them, and a legend of the kinds present', () => {
    const [data] = sectionData(html);
    expect(data!.trees.map((t) => `${t.type}/${t.unit}=${t.total}`)).toEqual(['calls/count=2000', 'errors/count=300', 'time/nanoseconds=51000000']);
    expect(data!.initial).toBe(0);
    expect(data!.minPercent).toBe('0.05');
    expect(html).toContain('<option value="2">time (nanoseconds)</option>');
    expect(html).toMatch(/class="sw"[^>]*><\/span>kernel/);
    expect(html).toMatch(/class="sw"[^>]*><\/span>syscall/);
    expect(html).not.toMatch(/<\/span>JIT/);
  });

  it('starts on the requested sample type and rejects one no graph has', () => {
    const page = renderFlameHtml(syscallProfileWithXss(), { sampleType: 'time' });
    expect(sectionData(page)[0]!.initial).toBe(2);
    expect(() => renderFlameHtml(syscallProfileWithXss(), { sampleType: 'bytes' })).toThrow(NetprobeError);
    expect(() => renderFlameHtml(syscallProfileWithXss(), { sampleType: 'bytes' })).toThrow(/calls, errors, time/);
  });

  it('puts several graphs behind tabs, the later ones hidden until chosen', () => {
    const page = renderFlameHtml(
      [
        { title: 'syscalls', profile: syscallProfileWithXss() },
        { title: 'cpu', profile: cpuProfile() },
      ],
      { sampleType: 'time' },
    );
    expect(page).toContain('<button type="button" role="tab" data-target="graph-1" aria-selected="true">syscalls</button>');
    expect(page).toContain('<section class="np-flame" id="graph-2" hidden>');
    const [sys, cpu] = sectionData(page);
    expect(sys!.initial).toBe(2);
    // The CPU profile has no `time`: it falls back to its own default.
    expect(cpu!.initial).toBe(0);
  });
});

describe('flameGraphSection and flameGraphAssets', () => {
  it('lets a report embed several graphs with one copy of the scripts', () => {
    const assets = flameGraphAssets();
    const a = flameGraphSection('model-epoll', { title: 'epoll', profile: syscallProfileWithXss() });
    const b = flameGraphSection('model-threads', { title: 'threads', profile: cpuProfile() });
    expect(assets).toMatch(/^<style>/);
    expect(a).not.toContain('d3-selection');
    expect(a).toMatch(/^<section class="np-flame" id="model-epoll">/);
    expect(sectionData(a + b)).toHaveLength(2);
    expect(() => flameGraphSection('"><x', { title: 't', profile: cpuProfile() })).toThrow(/HTML id/);
  });
});

describe('renderDiffHtml', () => {
  it('embeds a diff tree with base values and escapes names the same way', () => {
    const page = renderDiffHtml(
      {
        title: 'base → new',
        rows: [
          { stack: `dd;${XSS}`, before: 10, after: 30 },
          { stack: 'dd;write', before: 20, after: 5 },
          { stack: 'dd;gone', before: 4, after: 0 },
        ],
        normalized: true,
      },
      { title: 'diff' },
    );
    expect(page).not.toContain('<img');
    const [data] = sectionData(page);
    expect(data!.mode).toBe('diff');
    expect(data!.normalized).toBe(true);
    expect(data!.trees[0]).toMatchObject({ total: 35, baseTotal: 34, vanished: 4 });
    expect(data!.frames.map(([n]) => n)).toContain(XSS);
    expect(page).toContain('shrank<span class="ramp"></span>grew');
  });
});
