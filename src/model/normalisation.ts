// The one vocabulary for normalised counts, shared by compare, check, report.html and the terminal tables:
// per request when the request count is known, else per second of capture, else raw counts.

export type Normalisation = 'per-request' | 'per-second' | 'raw';

/** compare's per-request columns count calls per this many requests, so rare syscalls stay readable. */
export const COMPARE_PER_REQUESTS = 1000;

/**
 * Words for a normalisation: `calls per request`, or with `perRequests` (compare shows per 1,000 requests,
 * where rare syscalls stay readable) `calls per 1,000 requests`.
 */
export function normalisationLabel(n: Normalisation, perRequests = 1): string {
  if (n === 'per-request') return perRequests === 1 ? 'calls per request' : `calls per ${perRequests.toLocaleString('en-US')} requests`;
  return n === 'per-second' ? 'calls per second of capture' : 'calls (raw counts)';
}

/** The unit after a number: `/req`, `/s`, or nothing for raw counts. */
export function normalisationSuffix(n: Normalisation): string {
  return { 'per-request': '/req', 'per-second': '/s', raw: '' }[n];
}

/** A column heading's unit: `per req` (or `per 1k req`), `per s`, `raw`. */
export function normalisationShort(n: Normalisation, perRequests = 1): string {
  if (n === 'per-request') return perRequests === 1 ? 'per req' : `per ${perRequests >= 1000 ? `${perRequests / 1000}k` : perRequests} req`;
  return n === 'per-second' ? 'per s' : 'raw';
}
