// The one reader of netprobe's own JSON (run.json, sweep summaries, baselines): what it accepts, what it
// refuses, and how it names the file when it refuses.
import { describe, expect, it } from 'vitest';
import { NetprobeError } from '../../src/model/errors.js';
import { RUN_SCHEMA_VERSION } from '../../src/model/run.js';
import { parseRunJson, runJsonResult, syscallTableOfRun } from '../../src/parse/run-json.js';

const FILE = 'netprobe-out/server-1/run.json';

/** The error parseRunJson throws for `text`, or a failure when it accepts it. */
function refusal(text: string): NetprobeError {
  try {
    parseRunJson(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(NetprobeError);
    return e as NetprobeError;
  }
  throw new Error(`parseRunJson accepted ${text}`);
}

const minimal = { schemaVersion: 1, name: 'server', syscalls: [{ name: 'read', calls: 10 }] };

describe('parseRunJson refuses what is not a run.json, naming the file', () => {
  it('invalid JSON', () => {
    const e = refusal('{"schemaVersion": 1, "syscalls": [');
    expect(e.code).toBe('input');
    expect(e.message).toMatch(/^netprobe-out\/server-1\/run\.json:1: not valid JSON \(.+\)$/);
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    ['no syscalls', { schemaVersion: 1, name: 'x' }],
    ['syscalls not an array', { syscalls: { read: 10 } }],
    ['a row without a name', { syscalls: [{ calls: 10 }] }],
    ['a row whose calls is not a number', { syscalls: [{ name: 'read', calls: '10' }] }],
    ['a null row', { syscalls: [null] }],
    ['JSON null', null],
    ['a JSON array', [{ name: 'read', calls: 1 }]],
    ['a JSON string', 'run.json'],
  ])('%s', (_what, value) => {
    const e = refusal(JSON.stringify(value));
    expect(e.code).toBe('input');
    expect(e.message).toBe(`${FILE}: expected a netprobe run.json or baseline file with a \`syscalls\` array of {name, calls, ...}`);
    expect(e.hint).toMatch(/netprobe trace.*--update-baseline/);
  });

  it('a schemaVersion newer than this netprobe', () => {
    const e = refusal(JSON.stringify({ ...minimal, schemaVersion: RUN_SCHEMA_VERSION + 1 }));
    expect(e.code).toBe('input');
    expect(e.message).toBe(`${FILE}: schemaVersion ${RUN_SCHEMA_VERSION + 1} is newer than this netprobe understands`);
    expect(e.hint).toBe('Upgrade netprobe.');
  });
});

describe('parseRunJson accepts', () => {
  it('the current schemaVersion, older ones, and files without one', () => {
    expect(parseRunJson(JSON.stringify(minimal), FILE).name).toBe('server');
    expect(parseRunJson(JSON.stringify({ ...minimal, schemaVersion: 0 }), FILE).schemaVersion).toBe(0);
    const { schemaVersion: _v, ...unversioned } = minimal;
    expect(parseRunJson(JSON.stringify(unversioned), FILE).syscalls).toHaveLength(1);
  });

  it('an empty syscalls array (an idle target)', () => {
    const run = parseRunJson(JSON.stringify({ ...minimal, syscalls: [] }), FILE);
    expect(syscallTableOfRun(run)).toEqual({ rows: [], totals: { calls: 0, errors: 0, seconds: 0 }, hasTime: false });
  });
});

describe('syscallTableOfRun and runJsonResult', () => {
  it('fills what a row leaves out with zeros, sorts rows, and recomputes the totals', () => {
    const table = syscallTableOfRun({
      syscalls: [
        { name: 'write', calls: 5 } as never,
        { name: 'read', calls: 20, errors: 3, errnos: { EAGAIN: 3 }, seconds: 0.5 },
      ],
      threads: null,
    });
    expect(table).toEqual({
      rows: [
        { name: 'read', calls: 20, errors: 3, errnos: { EAGAIN: 3 }, seconds: 0.5 },
        { name: 'write', calls: 5, errors: 0, errnos: {}, seconds: 0 },
      ],
      totals: { calls: 25, errors: 3, seconds: 0.5 },
      hasTime: true,
    });
  });

  it('takes the capture window as the run\'s length when there is one, the whole run otherwise', () => {
    const run = parseRunJson(JSON.stringify({ ...minimal, durationSeconds: 9, capture: { seconds: 2.5 }, load: { requests: 100, requestsPerSecond: 40 }, backend: 'perf', threads: 4 }), FILE);
    expect(runJsonResult(run).meta).toMatchObject({ name: 'server', durationSeconds: 2.5, requests: 100, requestsPerSecond: 40, backend: 'perf', threads: 4 });
    const whole = parseRunJson(JSON.stringify({ ...minimal, durationSeconds: 9, load: null }), FILE);
    expect(runJsonResult(whole).meta).toMatchObject({ durationSeconds: 9, requests: undefined });
  });
});
