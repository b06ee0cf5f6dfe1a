// What `netprobe trace` prints: what was traced and how, the load, the per-request table, the model, the files.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildRunJson, type RunJsonInput } from '../../src/export/run-json.js';
import type { RunJson } from '../../src/model/run.js';
import { tableFromRows } from '../../src/model/syscalls.js';
import { renderTraceSummary } from '../../src/render/trace-summary.js';

const syscalls = tableFromRows(
  [
    { name: 'read', calls: 2000, errors: 10, errnos: { EAGAIN: 10 }, seconds: 0.02 },
    { name: 'write', calls: 1000, errors: 0, errnos: {}, seconds: 0.01 },
    { name: 'epoll_wait', calls: 500, errors: 0, errnos: {}, seconds: 0.5 },
  ],
  true,
  1,
);

// A server traced during 2 s of built-in load, as runTrace would describe it.
const input: RunJsonInput = {
  exporter: 'netprobe@test',
  name: 'server',
  command: ['./server', '8080'],
  backend: 'bpftrace',
  startedAt: new Date('2024-05-01T10:00:00Z'),
  durationSeconds: 3.21,
  target: { pid: 4242, exitCode: 0, signal: null },
  load: { requests: 1000, errors: 0, durationSeconds: 2, requestsPerSecond: 500, latencyMs: { p50: 0.4, p90: 0.8, p99: 1.5, max: 3 } },
  syscalls,
  perRequest: { read: 2, write: 1, epoll_wait: 0.5 },
  model: { label: 'event-loop reactor (epoll)', confidence: 0.87, evidence: ['epoll_wait: 0.5 per request'] },
  overhead: { tracedRps: 500, untracedRps: 2000, ratio: 0.25 },
  capture: { window: 'load', seconds: 2.04, backendReason: 'auto: bpftrace (in-kernel counting, lowest overhead)', time: 'wall', notes: ['traced 2 child processes of pid 4242 that existed before the attach'] },
  interrupted: false,
  files: ['run.json', 'syscalls.pb.gz', 'flame.html', 'raw/bpftrace.txt', 'raw/netprobe.bt'],
};

function summary(changes: Partial<RunJsonInput> = {}, extra: { interrupted?: boolean; rssBytes?: number; run?: RunJson } = {}): string {
  const run = extra.run ?? buildRunJson({ ...input, ...changes });
  return renderTraceSummary({ run, syscalls, dir: 'netprobe-out/server-x', interrupted: extra.interrupted ?? false, ...(extra.rssBytes !== undefined ? { rssBytes: extra.rssBytes } : {}) });
}

// The summary's colour follows the environment (main.ts sets NO_COLOR for --no-color).
beforeEach(() => {
  vi.stubEnv('NO_COLOR', '1');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('renderTraceSummary', () => {
  it('a run under load: backend and why, window, target, load, overhead, memory, the per-request table, the model, notes and files', () => {
    expect(summary({}, { rssBytes: 12.5 * 1048576 })).toBe(
      [
        'netprobe trace: server (./server 8080)',
        'backend: bpftrace [auto: bpftrace (in-kernel counting, lowest overhead)]',
        'capture window: load only (2.0 s); syscall time is wall time',
        'target: pid 4242 exited with 0',
        'load: 1,000 requests in 2.0 s (500 req/s), 0 errors, latency p50 0.4 ms p99 1.5 ms',
        'overhead: traced 500 req/s / untraced 2,000 req/s = 0.25',
        'target memory (RSS, with its child processes): 12.5 MiB',
        '',
        'syscall     calls  calls/req  % calls  errors          errors/req   seconds  µs/call   % time',
        '─────────────────────────────────────────────────────────────────────────────────────────────',
        'read        2,000       2.00   57.14%  10 (EAGAIN 10)        0.01  0.020000     10.0    3.77%',
        'write       1,000       1.00   28.57%                              0.010000     10.0    1.89%',
        'epoll_wait    500       0.50   14.29%                              0.500000    1,000   94.34%',
        '─────────────────────────────────────────────────────────────────────────────────────────────',
        'total       3,500       3.50  100.00%  10                    0.01  0.530000      151  100.00%',
        'threads: 1',
        'requests: 1,000',
        'syscalls per request: 3.50',
        '',
        'network model: event-loop reactor (epoll) (confidence 87%)',
        '  - epoll_wait: 0.5 per request',
        'note: traced 2 child processes of pid 4242 that existed before the attach',
        '',
        'written: netprobe-out/server-x/ (flame.html, run.json, syscalls.pb.gz, raw/)',
        '',
      ].join('\n'),
    );
  });

  it('marks an interrupted run in its first line', () => {
    expect(summary({}, { interrupted: true }).split('\n')[0]).toBe('netprobe trace: server (./server 8080)  [interrupted]');
  });

  it('an attached --pid run with the backend the user asked for: the pid, no reason, no target exit', () => {
    const out = summary({
      command: null,
      name: 'pid-77',
      target: { pid: 77, exitCode: null, signal: null },
      capture: { ...input.capture, window: 'attached', backendReason: 'requested' },
    });
    expect(out.split('\n').slice(0, 3)).toEqual(['netprobe trace: pid-77 (pid 77)', 'backend: bpftrace', 'capture window: attached (2.0 s); syscall time is wall time']);
    expect(out).not.toMatch(/^target:/m);
  });

  it('a target killed by a signal says which', () => {
    expect(summary({ target: { pid: 9, exitCode: null, signal: 'SIGINT' } })).toContain('\ntarget: pid 9 killed by SIGINT\n');
  });

  it('without load: no load line, no per-request columns, no syscalls per request', () => {
    const out = summary({ load: null, perRequest: null, overhead: null, capture: { ...input.capture, window: 'whole run' } });
    expect(out).toContain('\ncapture window: whole run (2.0 s)');
    expect(out).not.toMatch(/^load:|^overhead:|calls\/req|per request:|^requests:/m);
    expect(out).not.toContain('target memory');
  });

  it('an external load command that told nothing: count, rate and errors read unknown, never 0; no per-request figures', () => {
    const out = summary({ load: { requests: 0, errors: null, durationSeconds: 6.4, requestsPerSecond: 0, requestsKnown: false } });
    expect(out).toContain('\nload: unknown number of requests in 6.4 s (req/s unknown), errors unknown\n');
    expect(out).not.toMatch(/calls\/req|syscalls per request/);
  });

  it('an external load command that printed its own rate but no count keeps the rate', () => {
    const out = summary({ load: { requests: 0, errors: null, durationSeconds: 0.8, requestsPerSecond: 47281.3, requestsKnown: false } });
    expect(out).toContain('\nload: unknown number of requests in 0.8 s (47,281 req/s), errors unknown\n');
  });

  it("says what the built-in load's errors were, most frequent first", () => {
    const out = summary({
      load: { requests: 1000, errors: 26, errorKinds: { timeout: 3, reset: 20, 'HTTP 503': 3 }, durationSeconds: 2, requestsPerSecond: 500 },
    });
    expect(out).toContain('\nload: 1,000 requests in 2.0 s (500 req/s), 26 errors (reset 20, HTTP 503 3, timeout 3)\n');
  });

  it('a run.json without `capture` (older files): window unknown, the run length instead', () => {
    const { capture: _capture, ...old } = buildRunJson(input);
    const out = summary({}, { run: old as RunJson });
    expect(out).toContain('\nbackend: bpftrace\ncapture window: unknown (3.2 s); syscall time is wall time\n');
    expect(out).not.toMatch(/^note:/m);
  });

  it('lists only the run directory\'s own files, raw/ as one folder', () => {
    const out = summary({ files: ['run.json', 'cpu.pb.gz', 'raw/perf-cpu.script', 'raw/strace-summary.txt'] });
    expect(out.endsWith('\nwritten: netprobe-out/server-x/ (cpu.pb.gz, run.json, raw/)\n')).toBe(true);
  });
});
