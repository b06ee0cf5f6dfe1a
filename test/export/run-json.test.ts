// run.json's only builder: runs, sweep summaries and baselines, each read back by the one reader
// (parse/run-json.ts) into the same syscall table and run facts.
import { describe, expect, it } from 'vitest';
import { buildBaselineJson, buildRunJson, buildSweepRunJson, overheadRatio, type RunJsonInput } from '../../src/export/run-json.js';
import { RUN_SCHEMA_VERSION, type RunJson, type SweepLevel } from '../../src/model/run.js';
import { tableFromRows } from '../../src/model/syscalls.js';
import { parseRunJson, runJsonResult } from '../../src/parse/run-json.js';

const syscalls = tableFromRows(
  [
    { name: 'write', calls: 1000, errors: 0, errnos: {}, seconds: 0.0105 },
    { name: 'read', calls: 2000, errors: 12, errnos: { EAGAIN: 10, ECONNRESET: 2 }, seconds: 0.0201 },
    { name: 'epoll_wait', calls: 500, errors: 0, errnos: {}, seconds: 0.4 },
  ],
  true,
  3,
);

const input: RunJsonInput = {
  exporter: 'netprobe@0.0.0-test',
  name: 'server',
  command: ['./server', '8080'],
  backend: 'strace',
  startedAt: new Date('2024-05-01T10:00:00.123Z'),
  durationSeconds: 3.2104999,
  target: { pid: 4242, exitCode: 0, signal: null },
  load: { requests: 1000, errors: 0, durationSeconds: 2, requestsPerSecond: 500, generator: 'builtin', connections: 4 },
  syscalls,
  perRequest: { read: 2, write: 1, epoll_wait: 0.5 },
  model: { label: 'event-loop reactor (epoll)', confidence: 0.9, evidence: ['epoll_wait per request: 0.5'] },
  overhead: null,
  capture: { window: 'load', seconds: 2.0456, backendReason: 'requested', time: 'wall', notes: ['errno names need the full log: add --strace-log'] },
  interrupted: false,
  files: ['syscalls.pb.gz', 'run.json', 'raw/strace-summary.txt', 'flame.html'],
};

/** Written and read back as a file would be. */
function roundTrip(json: object, file = 'run.json') {
  return runJsonResult(parseRunJson(JSON.stringify(json, null, 2), file));
}

describe('buildRunJson', () => {
  const run = buildRunJson(input);

  it('writes the DESIGN.md fields in their order, plus capture and interrupted', () => {
    const design = ['schemaVersion', 'exporter', 'name', 'command', 'backend', 'startedAt', 'durationSeconds', 'target', 'load', 'syscalls', 'totals', 'perRequest', 'threads', 'model', 'overhead', 'files'];
    const keys = Object.keys(run);
    // Additions may sit between them; the documented fields keep their order.
    expect(keys.filter((k) => design.includes(k))).toEqual(design);
    expect(keys).toEqual(expect.arrayContaining(['capture', 'interrupted']));
    expect(run.schemaVersion).toBe(RUN_SCHEMA_VERSION);
    expect(run.startedAt).toBe('2024-05-01T10:00:00.123Z');
  });

  it('rounds lengths to milliseconds and sorts the files', () => {
    expect(run.durationSeconds).toBe(3.21);
    expect(run.capture.seconds).toBe(2.046);
    expect(run.files).toEqual(['flame.html', 'raw/strace-summary.txt', 'run.json', 'syscalls.pb.gz']);
    expect(input.files[0]).toBe('syscalls.pb.gz');
  });

  it('holds the syscall rows in the table order with totals and threads', () => {
    expect(run.syscalls.map((s) => s.name)).toEqual(['read', 'write', 'epoll_wait']);
    expect(run.syscalls[0]).toEqual({ name: 'read', calls: 2000, errors: 12, errnos: { EAGAIN: 10, ECONNRESET: 2 }, seconds: 0.0201 });
    expect(run.totals).toEqual({ calls: 3500, errors: 12, seconds: 0.4306 });
    expect(run.threads).toBe(3);
    expect(buildRunJson({ ...input, syscalls: tableFromRows(syscalls.rows, true) }).threads).toBeNull();
  });

  it('copies what it is given: changing the run.json leaves the syscall table alone', () => {
    const copy = buildRunJson(input);
    copy.syscalls[0]!.errnos.EAGAIN = 999;
    expect(syscalls.rows[0]!.errnos.EAGAIN).toBe(10);
  });

  it('reads back into the same syscall table and run facts', () => {
    const back = roundTrip(run);
    expect(back.format).toBe('run');
    expect(back.syscalls).toEqual(syscalls);
    expect(back.meta).toMatchObject({ name: 'server', requests: 1000, requestsPerSecond: 500, durationSeconds: 2.046, threads: 3, backend: 'strace' });
    expect(back.meta!.run).toEqual(JSON.parse(JSON.stringify(run)));
  });
});

describe('buildBaselineJson', () => {
  const baseline = buildBaselineJson({
    exporter: input.exporter,
    name: 'server',
    command: input.command,
    backend: 'strace',
    durationSeconds: 2.046,
    load: input.load,
    syscalls,
    perRequest: input.perRequest,
    model: input.model,
  });

  it('keeps what a check reads and nothing that travels with a run directory', () => {
    expect(Object.keys(baseline)).toEqual(['schemaVersion', 'exporter', 'name', 'command', 'backend', 'durationSeconds', 'load', 'syscalls', 'totals', 'perRequest', 'threads', 'model']);
    expect(baseline).not.toHaveProperty('files');
    expect(baseline).not.toHaveProperty('target');
    expect(buildBaselineJson({ ...input, durationSeconds: 1, startedAt: '2024-05-01T10:00:00.000Z' }).startedAt).toBe('2024-05-01T10:00:00.000Z');
  });

  it('reads back with the same table, request count and capture length', () => {
    const back = roundTrip(baseline, 'baseline.json');
    expect(back.syscalls).toEqual(syscalls);
    expect(back.meta).toMatchObject({ requests: 1000, durationSeconds: 2.046, threads: 3 });
  });
});

describe('buildSweepRunJson', () => {
  const level = (connections: number, requests: number): SweepLevel => ({
    connections,
    dir: `connections-${connections}`,
    requests,
    requestsPerSecond: requests / 2,
    threads: 1,
    rssBytes: 10_000_000 + connections * 20_000,
    idleConnections: connections,
    idleBytesPerConnection: 20_000,
    perRequest: { read: 1, write: 1, total: 3.5 },
    model: input.model,
  });
  const levels = [level(10, 900), level(100, 1000)];
  const last = buildRunJson(input);
  const sweep = buildSweepRunJson('server (sweep)', last, levels);

  it('is the highest level\'s run with the sweep name, the levels, and the levels\' run.json files', () => {
    expect(sweep.name).toBe('server (sweep)');
    expect(sweep.sweep).toEqual(levels);
    expect(sweep.files).toEqual(['run.json', 'connections-10/run.json', 'connections-100/run.json']);
    expect(sweep.syscalls).toEqual(last.syscalls);
    expect(last.name).toBe('server');
  });

  it('is read back like any run.json, keeping its levels', () => {
    const back = roundTrip(sweep);
    expect(back.syscalls).toEqual(syscalls);
    expect((back.meta!.run as RunJson).sweep).toEqual(levels);
  });

  it('the reader drops malformed levels and keeps the rest', () => {
    const text = JSON.stringify({ ...sweep, sweep: [levels[0], { connections: 'many' }, null, levels[1]] });
    expect(parseRunJson(text, 'run.json').sweep).toEqual(levels);
  });
});

describe('overheadRatio', () => {
  it('traced over untraced throughput, rounded', () => {
    expect(overheadRatio(1234.56789, 4321.98765)).toEqual({ tracedRps: 1234.568, untracedRps: 4321.988, ratio: 0.286 });
    expect(overheadRatio(500, 500)).toEqual({ tracedRps: 500, untracedRps: 500, ratio: 1 });
  });

  it('null when either side is unknown or not positive', () => {
    expect(overheadRatio(undefined, 100)).toBeNull();
    expect(overheadRatio(100, undefined)).toBeNull();
    expect(overheadRatio(0, 100)).toBeNull();
    expect(overheadRatio(100, 0)).toBeNull();
    expect(overheadRatio(Number.NaN, 100)).toBeNull();
    expect(overheadRatio(-1, 100)).toBeNull();
  });
});
