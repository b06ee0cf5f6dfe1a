// The report page's own script and stylesheet (report-html.ts composes the page), kept as strings so they
// compile into dist/ with the rest. The charts draw with the d3 modules the flame-graph assets inline.
//
// The data the script reads comes from `script#np-report-data` and reaches the DOM only through d3's
// .text()/.attr(), never through innerHTML: run names are data.

// Runs before anything else so that every later script error or blocked request is on record for tests.
export const REPORT_ERROR_COLLECTOR = `(function(){var errs=[];function note(m){errs.push(String(m));document.documentElement.setAttribute('data-np-errors',JSON.stringify(errs));}
window.addEventListener('error',function(e){note('error: '+(e.message||e.type));});
window.addEventListener('unhandledrejection',function(e){note('rejection: '+e.reason);});
document.addEventListener('securitypolicyviolation',function(e){note('blocked: '+e.blockedURI+' ('+e.violatedDirective+')');});})();`;

export const REPORT_PAGE_CSS = `
.np-report-block { margin: 0 0 36px; }
.np-report-block h2 { font-size: 18px; margin: 0 0 6px; }
.np-caption { color: #59636e; margin: 0 0 12px; font-size: 13px; }
.np-notes ul { margin: 0 0 24px; padding: 10px 14px 10px 30px; background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; }
.np-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.np-card { border: 1px solid #d1d9e0; border-radius: 6px; padding: 10px 14px; background: #fff; }
.np-card h3 { margin: 0 0 4px; font-size: 15px; }
.np-card ul { margin: 8px 0 0; padding-left: 18px; font-size: 12px; color: #59636e; }
.np-label { margin: 0; font-weight: 600; color: #0969da; }
.np-ok { color: #1a7f37; font-size: 12px; } .np-bad { color: #cf222e; font-weight: 600; font-size: 12px; }
.np-dim { color: #59636e; font-weight: normal; }
.np-table-wrap { overflow-x: auto; }
table.np-compare { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
table.np-compare th, table.np-compare td { padding: 4px 10px; border-bottom: 1px solid #eaeef2; text-align: right; }
table.np-compare th:first-child { text-align: left; font-weight: 600; }
table.np-compare thead th { border-bottom: 2px solid #d1d9e0; vertical-align: bottom; }
table.np-compare tr.np-total th, table.np-compare tr.np-total td { font-weight: 700; border-top: 2px solid #d1d9e0; }
table.np-compare tr.np-fact td { color: #1f2328; }
.np-chart-box svg { display: block; max-width: 100%; height: auto; font-size: 12px; }
.np-sweep-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.np-family-legend { margin-top: 6px; }
.np-report-block .np-table-wrap + .np-table-wrap, .np-chart-box + .np-legend + .np-table-wrap, #np-latency + .np-table-wrap { margin-top: 14px; }
.np-hist-family { margin: 0 0 14px; }
.np-hist-family h3 { font-size: 14px; margin: 0 0 4px; }
.np-hist-row { display: flex; flex-wrap: wrap; gap: 8px; }
.np-hist-row svg { display: block; font-size: 10px; border: 1px solid #eaeef2; border-radius: 4px; background: #fff; }
.np-flame-pair > section.np-flame + section.np-flame { margin-top: 18px; }
`;

// Browser code (ES2017, no modules): reads #np-report-data and draws with window.d3.
export const REPORT_PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('np-report-data').textContent);
  var d3 = window.d3;
  function fmt(n) { return n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2); }
  function bytes(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : Math.round(n) + ' B'; }

  function xAxis(g, x, height, width, format) {
    x.ticks(6).forEach(function (t) {
      var tick = g.append('g').attr('transform', 'translate(' + x(t) + ',0)');
      tick.append('line').attr('y1', 0).attr('y2', height).attr('stroke', '#eaeef2');
      tick.append('text').attr('y', height + 16).attr('text-anchor', 'middle').attr('fill', '#59636e').text(format(t));
    });
    g.append('line').attr('x1', 0).attr('x2', width).attr('y1', height).attr('y2', height).attr('stroke', '#8c959f');
  }

  function bars(el, legendEl) {
    var families = data.families.filter(function (f) { return data.runs.some(function (r) { return (r.perRequest[f.id] || 0) > 0; }); });
    var margin = { top: 8, right: 70, bottom: 40, left: 260 };
    var width = 900 - margin.left - margin.right;
    var height = data.runs.length * 34;
    var totals = data.runs.map(function (r) { return d3.sum(families, function (f) { return r.perRequest[f.id] || 0; }); });
    var x = d3.scaleLinear().domain([0, d3.max(totals) || 1]).nice().range([0, width]);
    var y = d3.scaleBand().domain(data.runs.map(function (r) { return r.name; })).range([0, height]).padding(0.25);
    var svg = d3.select(el).append('svg').attr('class', 'np-bars').attr('viewBox', '0 0 900 ' + (height + margin.top + margin.bottom)).attr('width', 900);
    var g = svg.append('g').attr('transform', 'translate(' + margin.left + ',' + margin.top + ')');
    xAxis(g, x, height, width, function (t) { return fmt(t); });
    g.append('text').attr('x', width / 2).attr('y', height + 34).attr('text-anchor', 'middle').attr('fill', '#59636e').text('syscalls per request');
    data.runs.forEach(function (r, i) {
      var row = g.append('g').attr('transform', 'translate(0,' + y(r.name) + ')');
      row.append('text').attr('x', -10).attr('y', y.bandwidth() / 2 - 3).attr('text-anchor', 'end').attr('font-weight', 600).text(r.name);
      row.append('text').attr('x', -10).attr('y', y.bandwidth() / 2 + 11).attr('text-anchor', 'end').attr('fill', '#59636e').text(r.model);
      var at = 0;
      families.forEach(function (f) {
        var v = r.perRequest[f.id] || 0;
        if (v <= 0) return;
        row.append('rect').attr('class', 'np-bar').attr('x', x(at)).attr('width', Math.max(0.5, x(at + v) - x(at))).attr('height', y.bandwidth()).attr('fill', f.color)
          .append('title').text(r.name + ' - ' + f.title + ': ' + fmt(v) + ' per request');
        at += v;
      });
      row.append('text').attr('x', x(totals[i]) + 6).attr('y', y.bandwidth() / 2 + 4).text(fmt(totals[i]));
    });
    var legend = d3.select(legendEl);
    families.forEach(function (f) {
      var item = legend.append('span');
      item.append('span').attr('class', 'sw').style('background', f.color);
      item.append('span').text(f.title);
    });
  }

  function curves(el, title, value, format) {
    var series = data.sweeps.map(function (s) {
      return { name: s.name, points: s.levels.filter(function (l) { return value(l) !== null; }).map(function (l) { return [l.connections, value(l)]; }) };
    }).filter(function (s) { return s.points.length > 0; });
    if (series.length === 0) { d3.select(el).append('p').attr('class', 'np-caption').text(title + ': not measured.'); return; }
    var margin = { top: 28, right: 120, bottom: 40, left: 70 };
    var width = 560 - margin.left - margin.right, height = 260 - margin.top - margin.bottom;
    var all = [].concat.apply([], series.map(function (s) { return s.points; }));
    var xs = all.map(function (p) { return p[0]; });
    var x = (d3.max(xs) / d3.min(xs) >= 20 ? d3.scaleLog() : d3.scaleLinear()).domain(d3.extent(xs)).range([0, width]);
    var y = d3.scaleLinear().domain([0, d3.max(all, function (p) { return p[1]; }) || 1]).nice().range([height, 0]);
    var color = d3.scaleOrdinal().domain(series.map(function (s) { return s.name; })).range(['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2']);
    var svg = d3.select(el).append('svg').attr('class', 'np-curves').attr('viewBox', '0 0 560 260').attr('width', 560);
    svg.append('text').attr('x', margin.left).attr('y', 16).attr('font-weight', 600).text(title);
    var g = svg.append('g').attr('transform', 'translate(' + margin.left + ',' + margin.top + ')');
    y.ticks(5).forEach(function (t) {
      g.append('line').attr('x1', 0).attr('x2', width).attr('y1', y(t)).attr('y2', y(t)).attr('stroke', '#eaeef2');
      g.append('text').attr('x', -8).attr('y', y(t) + 4).attr('text-anchor', 'end').attr('fill', '#59636e').text(format(t));
    });
    xs.filter(function (v, i) { return xs.indexOf(v) === i; }).forEach(function (t) {
      g.append('text').attr('x', x(t)).attr('y', height + 16).attr('text-anchor', 'middle').attr('fill', '#59636e').text(t);
    });
    g.append('line').attr('x1', 0).attr('x2', width).attr('y1', height).attr('y2', height).attr('stroke', '#8c959f');
    g.append('text').attr('x', width / 2).attr('y', height + 34).attr('text-anchor', 'middle').attr('fill', '#59636e').text('connections');
    series.forEach(function (s) {
      var path = s.points.map(function (p, i) { return (i ? 'L' : 'M') + x(p[0]) + ',' + y(p[1]); }).join('');
      g.append('path').attr('class', 'np-curve').attr('d', path).attr('fill', 'none').attr('stroke', color(s.name)).attr('stroke-width', 2);
      s.points.forEach(function (p) {
        g.append('circle').attr('cx', x(p[0])).attr('cy', y(p[1])).attr('r', 3.5).attr('fill', color(s.name))
          .append('title').text(s.name + ' @ ' + p[0] + ' connections: ' + format(p[1]));
      });
    });
    // A legend rather than end-of-line labels, which collide when curves end close together.
    series.forEach(function (s, i) {
      var item = g.append('g').attr('transform', 'translate(' + (width + 12) + ',' + (i * 18) + ')');
      item.append('rect').attr('width', 10).attr('height', 10).attr('y', -9).attr('fill', color(s.name));
      item.append('text').attr('x', 14).text(s.name);
    });
  }

  // Below 0.01 ms, as the tables say it.
  function ms(v) { return v > 0 && v < 0.01 ? '<0.01' : fmt(v); }

  // Off-CPU ms per request by wait kind: one stacked bar per run.
  function waits(el, legendEl) {
    var w = data.waits;
    var kinds = w.kinds.filter(function (k) { return w.runs.some(function (r) { return (r.byKind[k.id] || 0) > 0; }); });
    var margin = { top: 8, right: 70, bottom: 40, left: 260 };
    var width = 900 - margin.left - margin.right;
    var height = w.runs.length * 34;
    var totals = w.runs.map(function (r) { return d3.sum(kinds, function (k) { return r.byKind[k.id] || 0; }); });
    var x = d3.scaleLinear().domain([0, d3.max(totals) || 1]).nice().range([0, width]);
    var y = d3.scaleBand().domain(w.runs.map(function (r) { return r.name; })).range([0, height]).padding(0.25);
    var svg = d3.select(el).append('svg').attr('class', 'np-waits').attr('viewBox', '0 0 900 ' + (height + margin.top + margin.bottom)).attr('width', 900);
    var g = svg.append('g').attr('transform', 'translate(' + margin.left + ',' + margin.top + ')');
    xAxis(g, x, height, width, function (t) { return fmt(t); });
    g.append('text').attr('x', width / 2).attr('y', height + 34).attr('text-anchor', 'middle').attr('fill', '#59636e').text('off-CPU ms per request (summed over threads)');
    w.runs.forEach(function (r, i) {
      var row = g.append('g').attr('transform', 'translate(0,' + y(r.name) + ')');
      row.append('text').attr('x', -10).attr('y', y.bandwidth() / 2 - 3).attr('text-anchor', 'end').attr('font-weight', 600).text(r.name);
      row.append('text').attr('x', -10).attr('y', y.bandwidth() / 2 + 11).attr('text-anchor', 'end').attr('fill', '#59636e').text(r.model);
      var at = 0;
      kinds.forEach(function (k) {
        var v = r.byKind[k.id] || 0;
        if (v <= 0) return;
        var go = r.go ? ' (Go: ' + Object.keys(r.go).filter(function (g) { return r.go[g] > 0; }).map(function (g) { return g + ' ' + ms(r.go[g]); }).join(', ') + ' ms over all kinds)' : '';
        row.append('rect').attr('class', 'np-wait').attr('x', x(at)).attr('width', Math.max(0.5, x(at + v) - x(at))).attr('height', y.bandwidth()).attr('fill', k.color)
          .append('title').text(r.name + ' - ' + k.title + ': ' + ms(v) + ' ms per request' + go);
        at += v;
      });
      row.append('text').attr('x', x(totals[i]) + 6).attr('y', y.bandwidth() / 2 + 4).text(ms(totals[i]) + ' ms');
    });
    var legend = d3.select(legendEl);
    kinds.forEach(function (k) {
      var item = legend.append('span');
      item.append('span').attr('class', 'sw').style('background', k.color);
      item.append('span').text(k.title);
    });
  }

  function duration(s) {
    var ns = s * 1e9;
    // As the tables print durations (model/units.ts formatNanoseconds): 2.05 µs, 32.8 µs, 134 ms.
    function t(n) { return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2); }
    return ns >= 1e9 ? t(ns / 1e9) + ' s' : ns >= 1e6 ? t(ns / 1e6) + ' ms' : ns >= 1e3 ? t(ns / 1e3) + ' µs' : t(ns) + ' ns';
  }

  // log2 buckets [low, high, count] in seconds; a bucket starting at 0 is drawn as [high / 2, high).
  function log2(v) { return Math.log(v) / Math.LN2; }
  function histograms(el) {
    var L = data.latency;
    L.families.forEach(function (f) {
      var runs = L.runs.filter(function (r) { return r.byFamily[f.id]; });
      var all = [].concat.apply([], runs.map(function (r) { return r.byFamily[f.id].buckets; }));
      var lo = d3.min(all, function (b) { return log2(b[0] > 0 ? b[0] : b[1] / 2); });
      var hi = d3.max(all, function (b) { return log2(b[1]); });
      var top = d3.max(runs, function (r) { var l = r.byFamily[f.id]; return d3.max(l.buckets, function (b) { return b[2] / l.calls; }); }) || 1;
      var block = d3.select(el).append('div').attr('class', 'np-hist-family');
      block.append('h3').text(f.title);
      var rowEl = block.append('div').attr('class', 'np-hist-row');
      var W = 196, H = 118, m = { top: 30, right: 8, bottom: 20, left: 8 };
      var x = d3.scaleLinear().domain([lo, Math.max(hi, lo + 1)]).range([m.left, W - m.right]);
      var y = d3.scaleLinear().domain([0, top]).range([H - m.bottom, m.top]);
      runs.forEach(function (r) {
        var l = r.byFamily[f.id];
        var svg = rowEl.append('svg').attr('class', 'np-hist').attr('viewBox', '0 0 ' + W + ' ' + H).attr('width', W).attr('height', H);
        svg.append('text').attr('x', m.left).attr('y', 12).attr('font-weight', 600).text(r.name);
        svg.append('text').attr('x', W - m.right).attr('y', 12).attr('text-anchor', 'end').attr('fill', '#59636e').text(l.calls.toLocaleString('en-US') + ' calls');
        svg.append('text').attr('x', m.left).attr('y', 24).attr('fill', '#59636e').text('p50 ' + duration(l.p50) + ' · p99 ' + duration(l.p99));
        l.buckets.forEach(function (b) {
          var x0 = x(log2(b[0] > 0 ? b[0] : b[1] / 2)), x1 = x(log2(b[1]));
          svg.append('rect').attr('class', 'np-hist-bar').attr('x', x0 + 0.5).attr('width', Math.max(1, x1 - x0 - 1)).attr('y', y(b[2] / l.calls)).attr('height', Math.max(0.5, y(0) - y(b[2] / l.calls)))
            .attr('fill', '#4e79a7').append('title').text(r.name + ' ' + f.title + ': ' + b[2].toLocaleString('en-US') + ' calls in [' + duration(b[0]) + ', ' + duration(b[1]) + ')');
        });
        [['p50', l.p50], ['p99', l.p99]].forEach(function (p) {
          var px = x(log2(p[1]));
          svg.append('line').attr('x1', px).attr('x2', px).attr('y1', m.top - 2).attr('y2', y(0)).attr('stroke', p[0] === 'p50' ? '#1a7f37' : '#cf222e').attr('stroke-dasharray', '3,2');
        });
        svg.append('line').attr('x1', m.left).attr('x2', W - m.right).attr('y1', y(0)).attr('y2', y(0)).attr('stroke', '#8c959f');
        svg.append('text').attr('x', m.left).attr('y', H - 6).attr('fill', '#59636e').text(duration(Math.pow(2, lo)));
        svg.append('text').attr('x', W - m.right).attr('y', H - 6).attr('text-anchor', 'end').attr('fill', '#59636e').text(duration(Math.pow(2, hi)));
      });
    });
  }

  function draw() {
    var barsEl = document.getElementById('np-bars');
    if (barsEl) bars(barsEl, document.getElementById('np-bars-legend'));
    var waitsEl = document.getElementById('np-waits');
    if (waitsEl) waits(waitsEl, document.getElementById('np-waits-legend'));
    var latencyEl = document.getElementById('np-latency');
    if (latencyEl) histograms(latencyEl);
    var callsEl = document.getElementById('np-sweep-calls');
    if (callsEl) curves(callsEl, 'Syscalls per request', function (l) { return l.total; }, fmt);
    var memEl = document.getElementById('np-sweep-memory');
    if (memEl) curves(memEl, 'RSS growth per idle connection (user space)', function (l) { return l.idleBytes; }, bytes);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();`;
