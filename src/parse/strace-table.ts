// The layout of a strace -c table (column titles, the dashed divider under them), shared by the summary parser,
// the log parser (strace -C puts a table after the log) and format detection, which must not load the parsers.
export type ColumnKey = 'percent' | 'seconds' | 'avg' | 'calls' | 'errors' | 'name' | 'min' | 'max' | 'wallTotal' | 'wallMin' | 'wallMax' | 'wallAvg';

// Titles printed by count.c (`-U` names map onto these); the wall-* ones come with strace 7.1.
export const TITLES: Readonly<Record<string, ColumnKey>> = {
  '% time': 'percent',
  seconds: 'seconds',
  'usecs/call': 'avg',
  calls: 'calls',
  errors: 'errors',
  syscall: 'name',
  shortest: 'min',
  longest: 'max',
  'wall-total': 'wallTotal',
  'wall-min': 'wallMin',
  'wall-max': 'wallMax',
  'wall-avg': 'wallAvg',
};

export const DIVIDER = /^-+(?: -+)*$/;

/** [start, end) of each dash run of a divider line, or undefined when the line is not a divider. */
export function dividerExtents(line: string): Array<[number, number]> | undefined {
  if (!DIVIDER.test(line)) return undefined;
  const extents: Array<[number, number]> = [];
  for (const m of line.matchAll(/-+/g)) extents.push([m.index!, m.index! + m[0].length]);
  return extents;
}

function cut(line: string, extents: ReadonlyArray<readonly [number, number]>, i: number): string {
  const [start, end] = extents[i]!;
  return line.slice(start, i === extents.length - 1 ? undefined : end).trim();
}

/** The titles of a header line cut by the divider below it, when it names a `syscall` column. */
export function headerTitles(header: string, divider: string): string[] | undefined {
  const extents = dividerExtents(divider);
  if (!extents || extents.length < 2) return undefined;
  const titles = extents.map((_, i) => cut(header, extents, i));
  return titles.includes('syscall') ? titles : undefined;
}
