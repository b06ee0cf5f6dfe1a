// The one module that turns numbers with units into text: amounts, rates, ratios, shares and bytes.
import { describe, expect, it } from 'vitest';
import { formatAmount, formatBytes, formatRate, formatRatio, formatShare } from '../../src/model/units.js';

describe('formatAmount: a normalised amount, decimals when small, none when large', () => {
  it.each([
    [0, '0'],
    [0.001, '0.0010'],
    [0.0042, '0.0042'],
    [0.01, '0.01'],
    [0.5, '0.50'],
    [3.14159, '3.14'],
    [10, '10.0'],
    [42.25, '42.3'],
    [100, '100'],
    [1234.5, '1,235'],
    [2_500_000, '2,500,000'],
    [-0.25, '-0.25'],
    [-150, '-150'],
  ])('%s -> %s', (n, text) => {
    expect(formatAmount(n)).toBe(text);
  });

  it('raw counts stay whole at every size', () => {
    expect(formatAmount(3, true)).toBe('3');
    expect(formatAmount(2.6, true)).toBe('3');
    expect(formatAmount(12_345.4, true)).toBe('12,345');
    expect(formatAmount(0, true)).toBe('0');
  });
});

describe('formatRate: a rate in a fixed-width column', () => {
  it.each([
    [0, '0.00'],
    [0.004, '0.00'],
    [1.005, '1.00'],
    [2.5, '2.50'],
    [10, '10.0'],
    [99.94, '99.9'],
    [100, '100'],
    [12_345.6, '12,346'],
  ])('%s -> %s', (n, text) => {
    expect(formatRate(n)).toBe(text);
  });
});

describe('formatRatio: a ratio in evidence text', () => {
  it.each([
    [0, '0'],
    [0.045, '0.045'],
    [0.5, '0.50'],
    [1, '1.00'],
    [1.38, '1.38'],
    [99.5, '99.50'],
    [100, '100'],
    [2310.4, '2,310'],
  ])('%s -> %s', (n, text) => {
    expect(formatRatio(n)).toBe(text);
  });
});

describe('formatShare: whole percent, one decimal below 1%', () => {
  it.each([
    [0, '0%'],
    [0.004, '0.4%'],
    [0.0005, '0.1%'],
    [0.01, '1%'],
    [0.31, '31%'],
    [0.314, '31%'],
    [1, '100%'],
  ])('%s -> %s', (share, text) => {
    expect(formatShare(share)).toBe(text);
  });
});

describe('formatBytes: binary units', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [12_800, '12.5 KiB'],
    [1024 * 1024, '1.0 MiB'],
    [3.2 * 1024 * 1024, '3.2 MiB'],
    [5 * 1024 ** 3, '5120.0 MiB'],
    [-2048, '-2.0 KiB'],
    [100.4, '100 B'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
