// Per-request normalisation of a syscall table.
import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/model/syscalls.js';
import { countsPerRequest, perRequestRows, syscallsPerRequest } from '../../src/report/per-request.js';

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

  it('perRequestRows: errors per request with the dominant errno and its share', () => {
    const [read, write] = perRequestRows(table, 1000);
    expect(read).toEqual({ name: 'read', callsPerRequest: 3, errorsPerRequest: 1, dominantErrno: { errno: 'EAGAIN', share: 0.9 }, secondsPerRequest: 0.0003 });
    expect(write!.dominantErrno).toBeUndefined();
    expect(write!.errorsPerRequest).toBe(0);
  });

  it('syscallsPerRequest and bad request counts', () => {
    expect(syscallsPerRequest(table, 1000)).toBe(4.003);
    expect(() => countsPerRequest(table, 0)).toThrow(RangeError);
    expect(() => perRequestRows(table, Number.NaN)).toThrow(RangeError);
  });
});
