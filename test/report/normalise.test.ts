// Normalisation: which divisor every run in a comparison supports, and per-request figures of a syscall table.
import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/model/syscalls.js';
import { countsPerRequest, divisorOf, normalisationOf, perRequestByFamily } from '../../src/report/normalise.js';

const table = tableFromRows(
  [
    { name: 'read', calls: 3000, errors: 1000, errnos: { EAGAIN: 900, ECONNRESET: 100 }, seconds: 0.3 },
    { name: 'write', calls: 1000, errors: 0, errnos: {}, seconds: 0.1 },
    { name: 'accept4', calls: 3, errors: 0, errnos: {}, seconds: 0 },
  ],
  true,
);

describe('per-request figures', () => {
  it('countsPerRequest: calls per request by syscall, rounded to 4 decimals', () => {
    expect(countsPerRequest(table, 1000)).toEqual({ read: 3, write: 1, accept4: 0.003 });
    expect(countsPerRequest(table, 30000)).toEqual({ read: 0.1, write: 0.0333, accept4: 0.0001 });
  });

  it('refuses request counts that are not positive numbers', () => {
    expect(() => countsPerRequest(table, 0)).toThrow(RangeError);
    expect(() => countsPerRequest(table, Number.NaN)).toThrow(RangeError);
  });
});

describe('normalisationOf: the best normalisation every run supports', () => {
  it('per request when every run knows its request count', () => {
    expect(normalisationOf({ requests: 1000 }, { requests: 5, durationSeconds: 2 })).toBe('per-request');
    expect(normalisationOf({ requests: 1 })).toBe('per-request');
  });

  it('per second when one run lacks a request count but all know their capture length', () => {
    expect(normalisationOf({ requests: 1000, durationSeconds: 3 }, { durationSeconds: 2 })).toBe('per-second');
    expect(normalisationOf({ requests: null, durationSeconds: 1 }, { requests: 0, durationSeconds: 0.5 })).toBe('per-second');
  });

  it('raw counts when neither is known for all runs', () => {
    expect(normalisationOf({ requests: 1000 }, { durationSeconds: 2 })).toBe('raw');
    expect(normalisationOf({}, {})).toBe('raw');
    expect(normalisationOf({ requests: 10, durationSeconds: 1 }, { requests: null, durationSeconds: null })).toBe('raw');
  });

  it('zero, negative and non-finite figures count as unknown', () => {
    expect(normalisationOf({ requests: 0, durationSeconds: 0 })).toBe('raw');
    expect(normalisationOf({ requests: -5, durationSeconds: Number.POSITIVE_INFINITY })).toBe('raw');
    expect(normalisationOf({ requests: Number.NaN, durationSeconds: 2 })).toBe('per-second');
  });
});

describe('divisorOf', () => {
  const run = { requests: 4000, durationSeconds: 2.5 };
  it('divides by the request count, the capture length, or nothing', () => {
    expect(divisorOf(run, 'per-request')).toBe(4000);
    expect(divisorOf(run, 'per-second')).toBe(2.5);
    expect(divisorOf(run, 'raw')).toBe(1);
  });

  it('agrees with normalisationOf: the divisor it picks is always a positive number', () => {
    const runs = [{ requests: 10, durationSeconds: 1 }, { durationSeconds: 4 }, {}];
    for (const pair of [runs.slice(0, 1), runs.slice(0, 2), runs]) {
      const n = normalisationOf(...pair);
      for (const r of pair) expect(divisorOf(r, n), `${n} of ${JSON.stringify(r)}`).toBeGreaterThan(0);
    }
  });
});

describe('perRequestByFamily', () => {
  it('calls per request of each family the table uses, plus the total', () => {
    const t = tableFromRows(
      [
        { name: 'read', calls: 3000, errors: 0, errnos: {}, seconds: 0 },
        { name: 'recvfrom', calls: 1000, errors: 0, errnos: {}, seconds: 0 },
        { name: 'writev', calls: 2000, errors: 0, errnos: {}, seconds: 0 },
        { name: 'openat', calls: 500, errors: 0, errnos: {}, seconds: 0 },
      ],
      false,
    );
    expect(perRequestByFamily(t, 2000)).toEqual({ read: 2, write: 1, total: 3.25 });
  });

  it('refuses request counts that are not positive numbers', () => {
    expect(() => perRequestByFamily(table, 0)).toThrow(/requests must be a positive number, got 0/);
  });
});
