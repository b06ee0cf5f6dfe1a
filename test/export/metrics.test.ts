// The Prometheus text writer: which families a run gives, their names, types and units, label order and
// escaping, read back through a small parser of the exposition format.
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, formatValue, labelNameProblem, toPrometheusText, type RunMetrics } from '../../src/export/metrics.js';
import type { SyscallRow } from '../../src/model/syscalls.js';

function row(name: string, calls: number, errors = 0, errnos: Record<string, number> = {}): SyscallRow {
  return { name, calls, errors, errnos, seconds: 0 };
}

function runOf(overrides: Partial<RunMetrics> = {}): RunMetrics {
  const rows = [row('read', 2000, 1000, { EAGAIN: 1000 }), row('write', 1000), row('epoll_wait', 50), row('getpid', 3, 2)];
  return {
    name: 'c-epoll',
    backend: 'bpftrace',
    syscalls: { rows, totals: { calls: 3053, errors: 1002, seconds: 0 }, hasTime: false },
    normalisation: 'per-request',
    divisor: 1000,
    model: { label: 'event-loop reactor (epoll)', confidence: 0.95, evidence: [] },
    ...overrides,
  };
}

interface Series {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads exposition text back: HELP/TYPE per family, then samples with unescaped label values. */
function parseExposition(text: string): { types: Record<string, string>; help: Record<string, string>; series: Series[] } {
  const types: Record<string, string> = {};
  const help: Record<string, string> = {};
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? help : types)[meta[2]!] = meta[3]!;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let consumed = 0;
    for (let l = re.exec(m[2]!); l; l = re.exec(m[2]!)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = re.lastIndex;
    }
    expect(m[2]!.slice(consumed), 'labels parsed to the end').toBe('');
    series.push({ metric: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, help, series };
}

function values(text: string, metric: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parseExposition(text).series.filter((x) => x.metric === metric)) {
    const { name: _name, backend: _backend, ...rest } = s.labels;
    out[Object.values(rest).join(' ')] = s.value;
  }
  return out;
}

describe('toPrometheusText', () => {
  it('gives calls and errors per request, totals and the model, each family once with HELP and TYPE', () => {
    const text = toPrometheusText(runOf());
    const { types, help } = parseExposition(text);
    expect(types).toEqual({
      netprobe_syscall_calls_per_request: 'gauge',
      netprobe_syscall_errors_per_request: 'gauge',
      netprobe_syscall_calls_total: 'counter',
      netprobe_syscall_errors_total: 'counter',
      netprobe_model_info: 'gauge',
    });
    for (const name of Object.keys(types)) expect(help[name]).toMatch(/\.$/);
    expect(values(text, 'netprobe_syscall_calls_per_request')).toEqual({ 'read read': 2, 'write write': 1, 'epoll_wait epoll-wait': 0.05, 'getpid other': 0.003 });
    expect(values(text, 'netprobe_syscall_errors_per_request')).toEqual({ 'read EAGAIN': 1, 'getpid unknown': 0.002 });
    expect(values(text, 'netprobe_syscall_calls_total')).toEqual({ 'read read': 2000, 'write write': 1000, 'epoll_wait epoll-wait': 50, 'getpid other': 3 });
    expect(values(text, 'netprobe_model_info')).toEqual({ 'event-loop reactor (epoll) 0.95': 1 });
    // A family's lines are contiguous (the format requires it), HELP then TYPE then samples.
    const names = text.split('\n').filter((l) => l !== '').map((l) => (l.startsWith('#') ? l.split(' ')[2] : l.split('{')[0]));
    expect(names.filter((n, i) => n !== names[i - 1])).toEqual(Object.keys(types));
  });

  it('labels every series name, backend, then the user labels, then its own', () => {
    const text = toPrometheusText(runOf(), { instance: 'web-7', dc: 'fra' });
    expect(text).toContain('netprobe_syscall_calls_total{name="c-epoll",backend="bpftrace",instance="web-7",dc="fra",syscall="write",family="write"} 1000\n');
    expect(text).toContain('netprobe_model_info{name="c-epoll",backend="bpftrace",instance="web-7",dc="fra",model="event-loop reactor (epoll)",confidence="0.95"} 1\n');
    for (const s of parseExposition(text).series) expect(s.labels).toMatchObject({ name: 'c-epoll', backend: 'bpftrace', instance: 'web-7', dc: 'fra' });
  });

  it('rates are per second under their own names when the request count is unknown, absent for raw counts', () => {
    const perSecond = toPrometheusText(runOf({ normalisation: 'per-second', divisor: 4 }));
    expect(values(perSecond, 'netprobe_syscall_calls_per_second')).toMatchObject({ 'write write': 250 });
    expect(values(perSecond, 'netprobe_syscall_errors_per_second')).toMatchObject({ 'read EAGAIN': 250 });
    expect(perSecond).not.toContain('per_request');
    const raw = toPrometheusText(runOf({ normalisation: 'raw', divisor: 1 }));
    expect(Object.keys(parseExposition(raw).types)).toEqual(['netprobe_syscall_calls_total', 'netprobe_syscall_errors_total', 'netprobe_model_info']);
  });

  it('errno series add up to the errors of their syscall: what the source does not name is errno="unknown"', () => {
    const text = toPrometheusText(runOf({ syscalls: { rows: [row('read', 10, 7, { EAGAIN: 4, ECONNRESET: 1 })], totals: { calls: 10, errors: 7, seconds: 0 }, hasTime: false } }));
    expect(values(text, 'netprobe_syscall_errors_total')).toEqual({ 'read EAGAIN': 4, 'read ECONNRESET': 1, 'read unknown': 2 });
  });

  it('the run facts, off-CPU time by kind and latency quantiles when the run has them', () => {
    const text = toPrometheusText(
      runOf({
        requestsPerSecond: 25000,
        captureSeconds: 1.5,
        threads: 4,
        observerThroughputRatio: 0.65,
        lostEvents: 0,
        offcpu: {
          seconds: 3,
          events: 10,
          secondsPerRequest: 0.003,
          byKind: { futex: 2, 'epoll/poll': 1, 'blocking read/recv/accept': 0, sleep: 0, other: 0 },
          go: null,
        },
        latency: { write: { calls: 1000, p50: 0.000008192, p90: 0.000016384, p99: 0.000032768, max: 0.00005, buckets: [] } },
      }),
    );
    const { types } = parseExposition(text);
    expect(types).toMatchObject({
      netprobe_requests_per_second: 'gauge',
      netprobe_capture_seconds: 'gauge',
      netprobe_threads: 'gauge',
      netprobe_observer_throughput_ratio: 'gauge',
      netprobe_capture_lost_events_total: 'counter',
      netprobe_offcpu_seconds_per_request: 'gauge',
      netprobe_offcpu_seconds_total: 'counter',
      netprobe_syscall_latency_seconds: 'summary',
    });
    expect(values(text, 'netprobe_requests_per_second')).toEqual({ '': 25000 });
    expect(values(text, 'netprobe_capture_lost_events_total')).toEqual({ '': 0 });
    expect(values(text, 'netprobe_offcpu_seconds_per_request')).toEqual({
      futex: 0.002,
      'epoll/poll': 0.001,
      'blocking read/recv/accept': 0,
      sleep: 0,
      other: 0,
    });
    expect(values(text, 'netprobe_syscall_latency_seconds')).toEqual({ 'write 0.5': 0.000008192, 'write 0.9': 0.000016384, 'write 0.99': 0.000032768, 'write 1': 0.00005 });
    expect(values(text, 'netprobe_syscall_latency_seconds_count')).toEqual({ write: 1000 });
  });

  it('syscall names, errnos and user labels are data: quotes, backslashes and newlines are escaped and read back intact', () => {
    const odd = 'we"ird\\name\nx';
    const text = toPrometheusText(
      runOf({ name: 'a "b"', syscalls: { rows: [row(odd, 1, 1, { [odd]: 1 })], totals: { calls: 1, errors: 1, seconds: 0 }, hasTime: false } }),
      { instance: 'c:\\d\n"e"' },
    );
    expect(text).toContain('syscall="we\\"ird\\\\name\\nx"');
    const sample = parseExposition(text).series.find((s) => s.metric === 'netprobe_syscall_errors_total')!;
    expect(sample.labels).toEqual({ name: 'a "b"', backend: 'bpftrace', instance: 'c:\\d\n"e"', syscall: odd, errno: odd });
    expect(text.split('\n').filter((l) => l !== '').every((l) => l.startsWith('# ') || l.startsWith('netprobe_'))).toBe(true);
  });
});

describe('escaping and values', () => {
  it('label values escape backslash, double quote and line feed; HELP escapes backslash and line feed only', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
  });

  it('values are Go float syntax: +Inf, -Inf, NaN, exponents', () => {
    expect([Infinity, -Infinity, NaN, 1e-9, 0.5, 3].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '1e-9', '0.5', '3']);
  });

  it('user label names: the format\'s syntax, not reserved, not one netprobe sets', () => {
    expect(labelNameProblem('instance')).toBeUndefined();
    expect(labelNameProblem('host_2')).toBeUndefined();
    expect(labelNameProblem('2host')).toMatch(/letters, digits and underscores/);
    expect(labelNameProblem('host-name')).toMatch(/letters, digits and underscores/);
    expect(labelNameProblem('__name__')).toMatch(/reserved/);
    expect(labelNameProblem('job')).toMatch(/scrape/);
    expect(labelNameProblem('syscall')).toBe('netprobe sets syscall itself');
  });
});
