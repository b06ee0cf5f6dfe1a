// What check reads from its inputs beyond counts: the program a run traced (for the "another program" note);
// and the baseline file it writes, which carries the run's latency and wait time so a later check can gate on
// time as well as on counts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../src/model/run.js';
import { tableFromRows } from '../../src/model/syscalls.js';
import { parseRunJson } from '../../src/parse/run-json.js';
import { programOf, readMeasurement, writeBaseline } from '../../src/run/check.js';
import { fixture } from '../helpers.js';

describe('programOf', () => {
  it.each([
    [['/root/.cache/netprobe/servers/go-nethttp/82f7/go-nethttp', '23949'], 'go-nethttp'],
    [['redis-server', '--port', '6379'], 'redis-server'],
    [['python3', 'fixtures/models/targets/pyhttp_forking.py', '8080'], 'python3 pyhttp_forking.py'],
    [['/usr/bin/python3.11', '-u', 'server.py'], 'python3.11 server.py'],
    [['python3', '-m', 'http.server', '8000'], 'python3 http.server'],
    [['node', '--inspect', 'server.mjs'], 'node server.mjs'],
    [['node'], 'node'],
  ])('%j -> %s', (command, program) => {
    expect(programOf(command)).toBe(program);
  });

  it('is unknown without a command (attached runs, file inputs)', () => {
    expect(programOf(null)).toBeUndefined();
    expect(programOf([])).toBeUndefined();
  });
});

describe('readMeasurement', () => {
  it('takes the backend and the program from a run directory, the backend alone from a tracer file', async () => {
    const run = await readMeasurement(fixture('models', 'runs', 'go-nethttp-strace'), () => {});
    expect(run.measurement).toMatchObject({ backend: 'strace', program: 'go-nethttp' });
    const file = await readMeasurement(fixture('models', 'redis-c50.bpftrace.txt'), () => {});
    expect(file.measurement.backend).toBe('bpftrace');
    expect(file.measurement.program).toBeUndefined();
  });
});

const dir = mkdtempSync(join(tmpdir(), 'netprobe-run-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeBaseline', () => {
  it('keeps the latency distributions and off-CPU summary of the run it was made from', async () => {
    const syscalls = tableFromRows([{ name: 'read', calls: 2000, errors: 0, errnos: {}, seconds: 0 }], false);
    const latency = { read: { calls: 2000, p50: 0.000004096, p90: 0.000008192, p99: 0.000016384, max: 0.00002, buckets: [[0.000002048, 0.000004096, 1500], [0.000004096, 0.000008192, 500]] as [number, number, number][] } };
    const offcpu = { seconds: 1.5, events: 30, secondsPerRequest: 0.00075, byKind: { futex: 1, 'epoll/poll': 0.5, 'blocking read/recv/accept': 0, sleep: 0, other: 0 }, go: null };
    const run = { name: 'srv', command: ['./srv'], backend: 'bpftrace', load: { requests: 2000, errors: 0, durationSeconds: 1, requestsPerSecond: 2000 }, latency, offcpu } as unknown as RunJson;
    const file = join(dir, 'baseline.json');
    await writeBaseline(file, { format: 'run', run, measurement: { name: 'srv', syscalls, requests: 2000, durationSeconds: 1 } }, 'netprobe@test');
    const back = parseRunJson(readFileSync(file, 'utf8'), file);
    expect(back.latency).toEqual(latency);
    expect(back.offcpu).toEqual(offcpu);
    expect(back.perRequest).toEqual({ read: 1 });
  });
});
