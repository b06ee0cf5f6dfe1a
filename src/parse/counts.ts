// Counts read from text are whole, non-negative and exact in a double, else the input is refused (issue 10,
// "nonsense values"): 99999999999999999999 calls would silently read as 100000000000000000000, 1e308 as a
// number no tracer printed, and sums of them print as -9223372036854776000 or ∞.

/** What a ParseError says was expected instead. */
export const COUNT_EXPECTED = `a whole count up to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`;

/** True for a count netprobe can add exactly: a non-negative safe integer. */
export function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
