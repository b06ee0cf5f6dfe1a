// Opens generated pages in headless Chromium and checks what a user would see: frames drawn, no script
// errors, search/zoom/sample-type switch working, and a hostile frame name rendered as text.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileBuilder, SYSCALL_SAMPLE_TYPES } from '../../src/model/profile.js';
import { renderDiffHtml } from '../../src/render/diff-html.js';
import { renderFlameHtml } from '../../src/render/flame-html.js';
import { toolAvailable } from '../helpers.js';
import { dumpDom } from './chromium.js';

const XSS = '</script><img src=x onerror=alert(1)>$&';
const haveChromium = toolAvailable('chromium');

// Injected only into the test copy of the page: collects errors from the first script on, then drives the UI.
const ERROR_COLLECTOR = `<script>window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.alert = function (m) { window.__errors.push('alert called: ' + m); };</script>`;

const DRIVER = `<script>
function frames() { return Array.prototype.slice.call(document.querySelectorAll('.np-chart g.frame')); }
function later(ms, f) { setTimeout(f, ms); }
later(400, function () {
  var r = { errors: window.__errors };
  var gs = frames();
  r.rects = document.querySelectorAll('.np-chart rect').length;
  r.imgs = document.querySelectorAll('img').length;
  r.names = gs.map(function (g) { return g.getAttribute('name'); });
  r.stats = document.querySelector('.np-stats').textContent;
  var search = document.querySelector('input.np-search');
  search.value = 'read';
  search.dispatchEvent(new Event('input'));
  later(400, function () {
    r.highlighted = document.querySelectorAll('.np-chart rect[fill="#e600e6"]').length;
    r.searchStatus = document.querySelector('.np-status').textContent;
    search.value = '';
    search.dispatchEvent(new Event('input'));
    later(400, function () {
      var target = frames().filter(function (g) { return g.getAttribute('name') === 'handler'; })[0];
      if (target) target.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      r.resetEnabledAfterZoom = !document.querySelector('button.np-reset').disabled;
      r.zoomStatus = document.querySelector('.np-status').textContent;
      var select = document.querySelector('select.np-type');
      if (select) {
        select.value = String(select.options.length - 1);
        select.dispatchEvent(new Event('change'));
      }
      later(400, function () {
        r.statsAfterSwitch = document.querySelector('.np-stats').textContent;
        r.rectsAfterSwitch = document.querySelectorAll('.np-chart rect').length;
        r.errors = window.__errors;
        var pre = document.createElement('pre');
        pre.id = 'results';
        pre.textContent = JSON.stringify(r);
        document.body.appendChild(pre);
      });
    });
  });
});
</script>`;

interface PageResults {
  errors: string[];
  rects: number;
  imgs: number;
  names: string[];
  stats: string;
  highlighted: number;
  searchStatus: string;
  resetEnabledAfterZoom: boolean;
  zoomStatus: string;
  statsAfterSwitch: string;
  rectsAfterSwitch: number;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netprobe-flame-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openInChromium(name: string, html: string): Promise<PageResults> {
  // The page runs only its own scripts (by hash); the test's driver is let in the same way.
  const driverHash = createHash('sha256').update(DRIVER.slice('<script>'.length, -'</script>'.length)).digest('base64');
  const instrumented = html
    .replace('<head>', () => `<head>\n${ERROR_COLLECTOR}`)
    .replace("script-src 'sha256-", () => `script-src 'sha256-${driverHash}' 'sha256-`)
    .replace('</body>', () => `${DRIVER}\n</body>`);
  const stdout = await dumpDom(dir, name, instrumented, '1280,900');
  const m = /<pre id="results">([\s\S]*?)<\/pre>/.exec(stdout);
  if (!m) throw new Error(`the page did not report results; DOM was:\n${stdout.slice(0, 2000)}`);
  const text = m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return JSON.parse(text) as PageResults;
}

function syscallProfile() {
  const b = new ProfileBuilder(SYSCALL_SAMPLE_TYPES, 0);
  const proc = { name: 'server', kind: 'process' as const };
  const handler = { name: 'handler', kind: 'user' as const };
  b.add([proc, handler, { name: 'read', kind: 'syscall' }], [900, 300, 12_000_000]);
  b.add([proc, handler, { name: 'entry_SYSCALL_64', kind: 'kernel' }, { name: 'write', kind: 'syscall' }], [600, 0, 9_000_000]);
  b.add([proc, { name: XSS, kind: 'user' }, { name: 'epoll_wait', kind: 'syscall' }], [500, 0, 30_000_000]);
  return b.build();
}

describe.skipIf(!haveChromium)('flame graph page in Chromium', () => {
  it('draws frames, searches, zooms and switches sample type without script errors; names stay text', async () => {
    const r = await openInChromium('flame.html', renderFlameHtml(syscallProfile(), { title: `flame ${XSS}` }));
    expect(r.errors).toEqual([]);
    expect(r.imgs).toBe(0);
    // all, server, handler, read, entry_SYSCALL_64, write, XSS frame, epoll_wait
    expect(r.rects).toBe(8);
    expect(r.names).toContain(XSS);
    expect(r.stats).toBe('total 2,000 calls · 7 frames');
    expect(r.highlighted).toBe(1);
    expect(r.searchStatus).toBe('Search “read”: 1 frame, 900 calls = 45.00% of total');
    expect(r.resetEnabledAfterZoom).toBe(true);
    expect(r.zoomStatus).toBe('Zoomed into handler (75.00% of total)');
    expect(r.statsAfterSwitch).toBe('total 51.0 ms · 7 frames');
    expect(r.rectsAfterSwitch).toBe(8);
  }, 120_000);

  it('draws a differential flame graph', async () => {
    const html = renderDiffHtml(
      {
        title: 'base → new',
        rows: [
          { stack: 'dd;read;ksys_read_[k]', before: 10, after: 30 },
          { stack: `dd;${XSS}`, before: 20, after: 5 },
        ],
        normalized: false,
      },
      { title: 'diff' },
    );
    const r = await openInChromium('diff.html', html);
    expect(r.errors).toEqual([]);
    expect(r.imgs).toBe(0);
    expect(r.rects).toBe(5);
    expect(r.names).toContain(XSS);
    expect(r.stats).toBe('new 35 samples · base 30 samples · 4 frames');
  }, 120_000);
});
