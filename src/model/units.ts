// The one place that turns numbers with units into text, for terminal tables and HTML pages alike.

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const FRACTIONAL_COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `1234567` -> `1,234,567`; fractional values (normalised diffs, per-request rates) keep two decimals. */
export function formatCount(n: number): string {
  if (Number.isInteger(n) || Math.abs(n) >= 1000) return COUNT.format(n);
  return FRACTIONAL_COUNT.format(n);
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
