// What check reads from its inputs beyond counts: the program a run traced (for the "another program" note).
import { describe, expect, it } from 'vitest';
import { programOf, readMeasurement } from '../../src/run/check.js';
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
