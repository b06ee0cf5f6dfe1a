// The words for normalised counts, shared by compare, check, report.html and the terminal tables.
import { describe, expect, it } from 'vitest';
import { COMPARE_PER_REQUESTS, normalisationLabel, normalisationShort, normalisationSuffix, type Normalisation } from '../../src/model/normalisation.js';

const ALL: Normalisation[] = ['per-request', 'per-second', 'raw'];

describe('normalisation words', () => {
  it('normalisationLabel: a phrase for headings', () => {
    expect(ALL.map((n) => normalisationLabel(n))).toEqual(['calls per request', 'calls per second of capture', 'calls (raw counts)']);
  });

  it('normalisationLabel: per N requests, with thousands separators, only for per-request', () => {
    expect(normalisationLabel('per-request', COMPARE_PER_REQUESTS)).toBe('calls per 1,000 requests');
    expect(normalisationLabel('per-request', 1_000_000)).toBe('calls per 1,000,000 requests');
    expect(normalisationLabel('per-request', 1)).toBe('calls per request');
    expect(normalisationLabel('per-second', COMPARE_PER_REQUESTS)).toBe('calls per second of capture');
    expect(normalisationLabel('raw', COMPARE_PER_REQUESTS)).toBe('calls (raw counts)');
  });

  it('normalisationSuffix: the unit after a number', () => {
    expect(ALL.map(normalisationSuffix)).toEqual(['/req', '/s', '']);
  });

  it('normalisationShort: a column heading unit, thousands as k', () => {
    expect(ALL.map((n) => normalisationShort(n))).toEqual(['per req', 'per s', 'raw']);
    expect(normalisationShort('per-request', COMPARE_PER_REQUESTS)).toBe('per 1k req');
    expect(normalisationShort('per-request', 10_000)).toBe('per 10k req');
    expect(normalisationShort('per-request', 100)).toBe('per 100 req');
    expect(normalisationShort('per-second', COMPARE_PER_REQUESTS)).toBe('per s');
  });
});
