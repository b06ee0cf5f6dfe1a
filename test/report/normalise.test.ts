// Per-request normalisation of a syscall table.
import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/model/syscalls.js';
import { countsPerRequest } from '../../src/report/normalise.js';

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
