// The page's own script and stylesheet, kept as strings so they compile into dist/ with the rest.
//
// The script mounts every `section.np-flame` on the page from the JSON in its `script.np-data` child.
// Everything that comes from a profile reaches the DOM through textContent or d3's .text()/.attr(), never
// through innerHTML: symbol names are data (`</script><img onerror=...>` must stay text).

export const FLAME_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var KINDS = { u: 'user', k: 'kernel', s: 'syscall', j: 'JIT', p: 'process / root', o: 'tracer (observer cost)' };
  var HIGHLIGHT = '#e600e6';
  var INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  var FRAC = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  var REDUCED_MOTION = !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  var NANOS = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

  function count(n) { return Number.isInteger(n) || Math.abs(n) >= 1000 ? INT.format(n) : FRAC.format(n); }
  function short(n) { var a = Math.abs(n); return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2); }
  function nanos(ns) {
    var a = Math.abs(ns);
    if (a >= 1e9) return short(ns / 1e9) + ' s';
    if (a >= 1e6) return short(ns / 1e6) + ' ms';
    if (a >= 1e3) return short(ns / 1e3) + ' \u00b5s';
    return short(ns) + ' ns';
  }
  function amount(v, t) {
    if (NANOS[t.unit]) return nanos(v * NANOS[t.unit]);
    if (!t.unit || t.unit === 'count') return count(v) + ' ' + t.type;
    return count(v) + ' ' + t.unit;
  }
  function percent(a, b) { return b > 0 ? (100 * a / b).toFixed(2) + '%' : '-'; }
  function frameCount(n) { return count(n) + (n === 1 ? ' frame' : ' frames'); }
  function signed(n, text) { return (n > 0 ? '+' : n < 0 ? '\u2212' : '\u00b1') + text; }

  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return ((h >>> 0) % 1000) / 1000;
  }
  function hsl(h, s, l) { return 'hsl(' + Math.round(h) + ',' + Math.round(s) + '%,' + Math.round(l) + '%)'; }
  function kindColor(kind, name) {
    var x = hash(name);
    switch (kind) {
      case 'k': return hsl(200 + 22 * x, 62, 66 + 10 * x);
      case 's': return hsl(158 + 18 * x, 46, 56 + 10 * x);
      case 'j': return hsl(95 + 25 * x, 45, 58 + 10 * x);
      case 'p': return hsl(220, 10, 80 + 6 * x);
      case 'o': return hsl(280, 12, 50 + 10 * x);
      default: return hsl(6 + 40 * x, 85, 60 + 8 * x);
    }
  }
  // Growth red, shrinkage blue, the stronger the larger the frame's relative change (flamegraph.pl's convention).
  function diffColor(after, before) {
    var top = Math.max(after, before);
    if (!(top > 0) || after === before) return hsl(0, 0, 90);
    var rel = (after - before) / top;
    var l = 93 - 43 * Math.sqrt(Math.min(1, Math.abs(rel)));
    return rel > 0 ? hsl(0, 78, l) : hsl(214, 78, l);
  }
  function clean(node) {
    delete node.fade;
    delete node.hide;
    if (node.c) for (var i = 0; i < node.c.length; i++) clean(node.c[i]);
  }
  function selfValue(data) {
    var s = data.v;
    if (data.c) for (var i = 0; i < data.c.length; i++) s -= data.c[i].v;
    return Math.max(0, s);
  }
  function isWithin(d, ancestor) {
    for (var n = d; n; n = n.parent) if (n === ancestor) return true;
    return false;
  }

  var tipEl = null;
  function tipElement() {
    if (!tipEl) {
      tipEl = document.createElement('div');
      tipEl.className = 'np-tip';
      tipEl.setAttribute('role', 'tooltip');
      document.body.appendChild(tipEl);
    }
    return tipEl;
  }
  function placeTip(x, y) {
    var el = tipElement();
    var w = el.offsetWidth, h = el.offsetHeight;
    var left = x + 14, top = y + 14;
    if (left + w > window.innerWidth - 8) left = Math.max(8, x - w - 14);
    if (top + h > window.innerHeight - 8) top = Math.max(8, y - h - 14);
    el.style.left = left + 'px';
    el.style.top = top + 'px';
  }
  // d3-flame-graph's tooltip contract: a callable with show(event, d) and hide().
  function makeTip(describe) {
    function tip() {}
    tip.show = function (event, d) {
      var el = tipElement();
      var info = describe(d);
      el.textContent = '';
      var head = document.createElement('div');
      head.className = 'np-tip-name';
      head.textContent = info.name;
      el.appendChild(head);
      info.rows.forEach(function (r) {
        var row = document.createElement('div');
        row.className = 'np-tip-row';
        var k = document.createElement('span');
        k.className = 'k';
        k.textContent = r[0];
        var v = document.createElement('span');
        v.textContent = r[1];
        row.appendChild(k);
        row.appendChild(v);
        el.appendChild(row);
      });
      el.style.display = 'block';
      placeTip(event.clientX, event.clientY);
      return tip;
    };
    tip.hide = function () {
      if (tipEl) tipEl.style.display = 'none';
      return tip;
    };
    return tip;
  }

  function mount(section) {
    if (section.npState) return section.npState;
    var data = JSON.parse(section.querySelector('script.np-data').textContent);
    var frames = data.frames;
    var chartEl = section.querySelector('.np-chart');
    var statsEl = section.querySelector('.np-stats');
    var statusEl = section.querySelector('.np-status');
    var detailsEl = section.querySelector('.np-details');
    var select = section.querySelector('select.np-type');
    var search = section.querySelector('input.np-search');
    var reset = section.querySelector('button.np-reset');
    var hint = detailsEl.textContent;
    var state = { index: data.initial, chart: null, zoomed: null, width: 0 };
    section.npState = state;

    function tree() { return data.trees[state.index]; }
    function name(d) { return frames[d.data.f][0]; }
    function kind(d) { return frames[d.data.f][1]; }

    function describe(d) {
      var t = tree(), v = d.data.v, rows = [];
      if (data.mode === 'diff') {
        var b = d.data.b || 0;
        rows.push(['new', amount(v, t) + ' (' + percent(v, t.total) + ')']);
        rows.push(['base', amount(b, t) + ' (' + percent(b, t.baseTotal) + ')']);
        rows.push(['change', signed(v - b, amount(Math.abs(v - b), t)) + (b > 0 ? ' (' + signed(v - b, percent(Math.abs(v - b), b)) + ')' : ' (new)')]);
      } else {
        rows.push(['kind', KINDS[kind(d)] || 'user']);
        rows.push(['total', amount(v, t) + ' (' + percent(v, t.total) + ' of all)']);
        rows.push(['self', amount(selfValue(d.data), t)]);
        if (state.zoomed && state.zoomed !== d && isWithin(d, state.zoomed)) {
          rows.push(['of zoomed', percent(v, state.zoomed.data.v) + ' of ' + name(state.zoomed)]);
        }
        if (d.parent) rows.push(['of parent', percent(v, d.parent.data.v)]);
      }
      return { name: name(d), rows: rows };
    }
    function detailsLine(d) {
      var t = tree(), v = d.data.v;
      if (data.mode === 'diff') {
        var b = d.data.b || 0;
        return name(d) + ' \u2014 new ' + amount(v, t) + ', base ' + amount(b, t) + ', change ' + signed(v - b, amount(Math.abs(v - b), t));
      }
      return name(d) + ' \u2014 ' + amount(v, t) + ' (' + percent(v, t.total) + ')';
    }

    function showStats() {
      var t = tree(), parts;
      if (data.mode === 'diff') {
        parts = ['new ' + amount(t.total, t), 'base ' + amount(t.baseTotal, t) + (data.normalized ? ' (scaled to the new total)' : '')];
        if (t.vanished > 0) parts.push(amount(t.vanished, t) + ' of base in stacks absent from new (not drawn)');
      } else {
        parts = ['total ' + amount(t.total, t)];
      }
      parts.push(frameCount(t.frames));
      if (t.pruned > 0) parts.push(frameCount(t.pruned) + ' narrower than ' + data.minPercent + '% hidden');
      statsEl.textContent = parts.join(' \u00b7 ');
    }
    function showZoom() {
      if (reset) reset.disabled = !state.zoomed;
      if (!search.value.trim()) statusEl.textContent = state.zoomed ? 'Zoomed into ' + name(state.zoomed) + ' (' + percent(state.zoomed.data.v, tree().total) + ' of total)' : '';
    }
    function onSearch(results, sum, total) {
      var term = search.value.trim();
      statusEl.textContent = results.length
        ? 'Search \u201c' + term + '\u201d: ' + frameCount(results.length) + ', ' + amount(sum, tree()) + ' = ' + percent(sum, total) + ' of total'
        : 'Search \u201c' + term + '\u201d: no matching frames';
    }
    function runSearch() {
      if (!state.chart) return;
      var term = search.value.trim().toLowerCase();
      if (term) state.chart.search(term);
      else {
        state.chart.clear();
        showZoom();
      }
    }
    function render() {
      var t = tree();
      if (state.chart) state.chart.destroy();
      state.chart = null;
      state.zoomed = null;
      chartEl.textContent = '';
      clean(t.root);
      showStats();
      showZoom();
      if (!(t.total > 0)) {
        var p = document.createElement('p');
        p.className = 'np-empty';
        p.textContent = 'No ' + t.type + ' recorded in this profile.';
        chartEl.appendChild(p);
        return;
      }
      var chart = flamegraph.default()
        .width(state.width)
        .cellHeight(18)
        .minFrameSize(0.5)
        .transitionDuration(0)
        .resetHeightOnZoom(true)
        .getName(name)
        .tooltip(makeTip(describe))
        .setLabelHandler(detailsLine)
        .setDetailsHandler(function (text) { detailsEl.textContent = text || hint; })
        .setSearchMatch(function (d, term) { return !!term && name(d).toLowerCase().indexOf(term) >= 0; })
        .setSearchHandler(onSearch)
        .setColorMapper(function (d) {
          if (d.highlight) return HIGHLIGHT;
          if (data.mode !== 'diff') return kindColor(kind(d), name(d));
          // Normalised: compare each frame's share of its profile, so rounding of scaled counts stays neutral.
          return data.normalized ? diffColor(d.data.v / t.total, (d.data.b || 0) / (t.baseTotal || 1)) : diffColor(d.data.v, d.data.b || 0);
        })
        .onClick(function (d) {
          state.zoomed = d.parent ? d : null;
          showZoom();
        });
      d3.select(chartEl).datum(t.root).call(chart);
      // Draw at once, animate only zooms (and not at all for readers who asked for reduced motion).
      chart.transitionDuration(REDUCED_MOTION ? 0 : 250);
      state.chart = chart;
      if (search.value.trim()) runSearch();
    }
    function fit() {
      var w = Math.floor(chartEl.clientWidth);
      if (w <= 0 || Math.abs(w - state.width) < 2) return;
      state.width = w;
      if (state.chart) state.chart.width(w).update();
      else render();
    }

    var timer = 0;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(runSearch, 120);
    });
    search.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        search.value = '';
        runSearch();
      }
    });
    if (select) select.addEventListener('change', function () {
      state.index = Number(select.value);
      render();
    });
    if (reset) reset.addEventListener('click', function () {
      if (state.chart) state.chart.resetZoom();
      state.zoomed = null;
      showZoom();
    });
    chartEl.addEventListener('mousemove', function (e) {
      if (tipEl && tipEl.style.display === 'block') placeTip(e.clientX, e.clientY);
    });
    chartEl.addEventListener('mouseleave', function () {
      if (tipEl) tipEl.style.display = 'none';
    });
    // Hidden sections (inactive tabs, collapsed report parts) have no width yet: draw when they get one.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(function () { window.requestAnimationFrame(fit); }).observe(chartEl);
    }
    fit();
    return state;
  }

  function setupTabs() {
    Array.prototype.forEach.call(document.querySelectorAll('.np-tabs'), function (nav) {
      var buttons = nav.querySelectorAll('button[data-target]');
      Array.prototype.forEach.call(buttons, function (button) {
        button.addEventListener('click', function () {
          Array.prototype.forEach.call(buttons, function (other) {
            var on = other === button;
            other.setAttribute('aria-selected', on ? 'true' : 'false');
            var target = document.getElementById(other.getAttribute('data-target'));
            if (target) target.hidden = !on;
          });
        });
      });
    });
  }

  function mountAll() {
    setupTabs();
    Array.prototype.forEach.call(document.querySelectorAll('section.np-flame'), mount);
  }
  window.netprobeFlame = { mount: mount, mountAll: mountAll };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mountAll);
  else mountAll();
})();
`;

export const FLAME_PAGE_CSS = `
.np-page { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
.np-page-head { background: #fff; border-bottom: 1px solid #d1d9e0; padding: 14px 24px; }
.np-page-head h1 { margin: 0; font-size: 20px; font-weight: 600; }
.np-page-head p { margin: 2px 0 0; color: #59636e; font-size: 13px; }
.np-main { padding: 16px 24px 32px; }
.np-tabs { display: flex; gap: 2px; margin: 0 0 12px; border-bottom: 1px solid #d1d9e0; }
.np-tabs button { font: inherit; border: 0; background: none; padding: 8px 14px; margin-bottom: -1px;
  border-bottom: 2px solid transparent; cursor: pointer; color: #59636e; }
.np-tabs button[aria-selected="true"] { color: #1f2328; border-bottom-color: #fd8c73; font-weight: 600; }
.np-flame { background: #fff; border: 1px solid #d1d9e0; border-radius: 8px; padding: 14px 16px 10px; margin: 0 0 16px; }
.np-flame[hidden] { display: none; }
.np-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; }
.np-toolbar h2 { margin: 0 auto 0 0; font-size: 16px; font-weight: 600; }
.np-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; font-size: 13px; color: #59636e; }
.np-controls select, .np-controls input, .np-controls button { font: inherit; color: #1f2328; padding: 5px 9px;
  border: 1px solid #d1d9e0; border-radius: 6px; background: #fff; }
.np-controls input { width: 16rem; }
.np-controls button { cursor: pointer; background: #f6f8fa; }
.np-controls button:hover:not(:disabled) { background: #eef1f4; }
.np-controls button:disabled { color: #8c959f; cursor: default; }
.np-stats { margin: 6px 0 0; color: #59636e; font-size: 13px; font-variant-numeric: tabular-nums; }
.np-legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0 4px; color: #59636e; font-size: 12px; }
.np-legend .sw { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -2px;
  border-radius: 3px; border: 1px solid rgba(31, 35, 40, 0.15); }
.np-legend .ramp { display: inline-block; width: 90px; height: 12px; margin: 0 6px; vertical-align: -2px; border-radius: 3px;
  background: linear-gradient(90deg, hsl(214,78%,50%), hsl(0,0%,90%), hsl(0,78%,50%)); }
.np-status { min-height: 19px; margin: 2px 0 4px; font-size: 13px; }
.np-chart { width: 100%; overflow: hidden; }
.np-chart .d3-flame-graph rect { stroke: #fff; stroke-width: 0.5; fill-opacity: 1; }
.np-chart .d3-flame-graph rect:hover { stroke: #1f2328; stroke-width: 1; }
.np-chart .d3-flame-graph .fade { opacity: 0.45 !important; }
.np-chart .d3-flame-graph-label { margin: 0 4px; color: #1f2328; font: 12px/18px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.np-details { min-height: 18px; margin-top: 6px; overflow: hidden; color: #59636e; white-space: nowrap; text-overflow: ellipsis;
  font: 12px/18px ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.np-empty { margin: 0; padding: 28px 0; color: #59636e; text-align: center; }
.np-tip { position: fixed; z-index: 10; display: none; max-width: 560px; padding: 8px 10px; pointer-events: none;
  background: #1f2328; color: #f0f3f6; border-radius: 6px; font-size: 12px; box-shadow: 0 6px 18px rgba(0, 0, 0, 0.25); }
.np-tip-name { margin-bottom: 4px; font: 600 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.np-tip-row { display: flex; justify-content: space-between; gap: 16px; font-variant-numeric: tabular-nums; }
.np-tip-row .k { color: #9198a1; }
`;
