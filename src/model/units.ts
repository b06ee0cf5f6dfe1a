// The one place that turns numbers with units into text, for terminal tables and HTML pages alike.

// Built on first use: creating an Intl.NumberFormat loads ICU data (~10 ms), which commands that print no
// number (convert to folded, a refused input) should not pay at start-up.
let count: Intl.NumberFormat | undefined;
let fractionalCount: Intl.NumberFormat | undefined;
const COUNT = { format: (n: number) => (count ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })).format(n) };
const FRACTIONAL_COUNT = { format: (n: number) => (fractionalCount ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })).format(n) };

/** `1234567` -> `1,234,567`; fractional values (normalised diffs, per-request rates) keep two decimals. */
export function formatCount(n: number): string {
  if (Number.isInteger(n) || Math.abs(n) >= 1000) return COUNT.format(n);
  return FRACTIONAL_COUNT.format(n);
}

/**
 * A normalised amount (calls per request or per second; `raw` counts stay whole): decimals when small and
 * none when large. Values span 0.001 (a rare syscall per request) to millions (raw counts).
 */
export function formatAmount(n: number, raw = false): string {
  if (n === 0) return '0';
  if (raw || Math.abs(n) >= 100) return COUNT.format(Math.round(n));
  if (Math.abs(n) >= 10) return n.toFixed(1);
  if (Math.abs(n) >= 0.01) return n.toFixed(2);
  return n.toPrecision(2);
}

/** A rate in a fixed-width column (per request, µs per call): two decimals when small, none when large. */
export function formatRate(n: number): string {
  if (n >= 100) return COUNT.format(Math.round(n));
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A ratio in evidence text: `0.045`, `1.38`, `2,310`. */
export function formatRatio(n: number): string {
  if (n === 0) return '0';
  if (n >= 100) return COUNT.format(Math.round(n));
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

/** A share (0..1) in evidence text: whole percent, one decimal below 1%: `31%`, `0.4%`. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)}%`;
}

/** Bytes in binary units: `512 B`, `12.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** Seconds with microsecond precision, the way strace -c prints them: `0.012638`. */
export function formatSeconds(seconds: number): string {
  return seconds.toFixed(6);
}

/** A fraction (0..1) as a percentage: `0.3398` -> `33.98%`. */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Nanoseconds in the largest unit that keeps the number readable: `1.23 ms`, `850 ns`, `2.5 s`. */
export function formatNanoseconds(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${trim(ns / 1e9)} s`;
  if (abs >= 1e6) return `${trim(ns / 1e6)} ms`;
  if (abs >= 1e3) return `${trim(ns / 1e3)} µs`;
  return `${trim(ns)} ns`;
}

function trim(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** A sample value in its pprof unit (`count`, `nanoseconds`, `bytes`, ...), with the unit spelt out when not a count. */
export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'nanoseconds':
      return formatNanoseconds(value);
    case 'microseconds':
      return formatNanoseconds(value * 1e3);
    case 'milliseconds':
      return formatNanoseconds(value * 1e6);
    case 'seconds':
      return formatNanoseconds(value * 1e9);
    case 'count':
    case '':
      return formatCount(value);
    default:
      return `${formatCount(value)} ${unit}`;
  }
}
