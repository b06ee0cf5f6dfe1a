// Two folded-stack maps -> one row per stack with both counts: the data of a differential flame graph.
// Reference: inferno's diff-folders (and FlameGraph's difffolded.pl)
// https://github.com/jonhoo/inferno/blob/929be68e19a27da062623c6da5255e8b96faebbc/src/differential/mod.rs
//
//   before: dd;read 14      after: dd;read 13      ->  { stack: 'dd;read', before: 14, after: 13 }
//                           after: dd;write 12     ->  { stack: 'dd;write', before: 0, after: 12 }
//
// Counts are truncated to integers as inferno does (its flame graphs drop fractions anyway).
// Get the maps from profiles with `foldedStacks` (export/folded.ts) or from folded text via the folded parser.

export interface DiffFoldedOptions {
  /** Scale the before counts so both profiles have the same total (compare shapes, not load). Default false. */
  normalize?: boolean;
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
  if (opts.normalize && totalBefore !== totalAfter && totalBefore > 0) {
    for (const row of rows.values()) row.before = Math.trunc((row.before * totalAfter) / totalBefore);
  }
  return [...rows.values()].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
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
