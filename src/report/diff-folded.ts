// Two folded-stack maps -> one row per stack with both counts: the data of a differential flame graph.
// Reference: inferno's diff-folders (and FlameGraph's difffolded.pl)
// https://github.com/jonhoo/inferno/blob/929be68e19a27da062623c6da5255e8b96faebbc/src/differential/mod.rs
//
//   before: dd;read 14      after: dd;read 13      ->  { stack: 'dd;read', before: 14, after: 13 }
//                           after: dd;write 12     ->  { stack: 'dd;write', before: 0, after: 12 }
//
// Counts are truncated to integers as inferno does (its flame graphs drop fractions anyway).
// Get the maps from profiles with `foldedStacks` (export/folded.ts) or from folded text via the folded parser.
import { formatCount } from '../model/units.js';

export interface DiffFoldedOptions {
  /** Scale the before counts so both profiles have the same total (compare shapes, not load). Default false. */
  normalize?: boolean;
  /**
   * Requests each profile served: scales the before counts by after / before requests, so that a stack's change
   * is its change per request (cost, whatever the load). Replaces `normalize`. Default none.
   */
  perRequest?: { before: number; after: number };
  /** Replace hex addresses `0x45ef2173` with `0x...` so stacks that differ only by address merge. Default false. */
  stripHex?: boolean;
}

export interface DiffRow {
  stack: string;
  before: number;
  after: number;
}

/** One row per stack seen in either profile, sorted by stack. */
export function diffFolded(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, opts: DiffFoldedOptions = {}): DiffRow[] {
  const rows = new Map<string, DiffRow>();
  const add = (counts: ReadonlyMap<string, number>, side: 'before' | 'after'): number => {
    let total = 0;
    for (const [rawStack, rawCount] of counts) {
      const stack = opts.stripHex ? stripHex(rawStack) : rawStack;
      const count = Math.trunc(rawCount);
      let row = rows.get(stack);
      if (!row) {
        row = { stack, before: 0, after: 0 };
        rows.set(stack, row);
      }
      row[side] += count;
      total += count;
    }
    return total;
  };
  const totalBefore = add(before, 'before');
  const totalAfter = add(after, 'after');
  const [from, to] = opts.perRequest ? [opts.perRequest.before, opts.perRequest.after] : opts.normalize ? [totalBefore, totalAfter] : [0, 0];
  if (from !== to && from > 0) {
    for (const row of rows.values()) row.before = Math.trunc((row.before * to) / from);
  }
  return [...rows.values()].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
}

/** How a diff scales its base: per request (both profiles know their request count), to the new total, or not at all. */
export type DiffNormalisation =
  | { kind: 'per-request'; before: number; after: number }
  | { kind: 'total'; requestsKnown: 'neither' | 'base only' | 'new only' }
  | { kind: 'none' };

/** Per request when both request counts are known and normalising is wanted, else by total (or raw when not wanted). */
export function diffNormalisationOf(normalize: boolean, beforeRequests: number | undefined, afterRequests: number | undefined): DiffNormalisation {
  if (!normalize) return { kind: 'none' };
  const before = beforeRequests !== undefined && beforeRequests > 0 ? beforeRequests : undefined;
  const after = afterRequests !== undefined && afterRequests > 0 ? afterRequests : undefined;
  if (before !== undefined && after !== undefined) return { kind: 'per-request', before, after };
  return { kind: 'total', requestsKnown: before !== undefined ? 'base only' : after !== undefined ? 'new only' : 'neither' };
}

/** The options of diffFolded that apply a normalisation. */
export function diffFoldedScaling(n: DiffNormalisation): Pick<DiffFoldedOptions, 'normalize' | 'perRequest'> {
  if (n.kind === 'per-request') return { perRequest: { before: n.before, after: n.after } };
  return { normalize: n.kind === 'total' };
}

/** The normalisation in words, for the page and stderr: `per request: base × 20,000 / 20,000 requests`. */
export function diffNormalisationWords(n: DiffNormalisation): string {
  switch (n.kind) {
    case 'per-request':
      return `per request: base scaled by ${formatCount(n.after)} / ${formatCount(n.before)} requests (new / base)`;
    case 'total': {
      const why = n.requestsKnown === 'neither' ? 'neither input knows its request count' : `only the ${n.requestsKnown === 'base only' ? 'base' : 'new'} input knows its request count`;
      return `by total: base scaled to the new profile's total (${why})`;
    }
    case 'none':
      return 'raw values: base not scaled (--no-normalize)';
  }
}

/** `stack before after` lines, as inferno-diff-folded prints them. */
export function formatDiffRows(rows: readonly DiffRow[]): string {
  let out = '';
  for (const r of rows) out += `${r.stack} ${r.before} ${r.after}\n`;
  return out;
}

/** Replaces every `0x<hex digits>` with `0x...`. */
export function stripHex(stack: string): string {
  return stack.replace(/0x[0-9a-fA-F]+/g, '0x...');
}
