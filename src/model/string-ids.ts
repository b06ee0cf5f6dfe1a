// Finding a number again by a string the caller already holds (a frame's name, a string-table entry), without a
// Map. A Map<string, number> of a million distinct names cost ~29 MB live and ~52 MB allocated while it grew;
// this table holds two Int32Arrays (value and hash per slot, ~16 bytes an entry at most half full) and compares
// candidates with the caller's own strings.

/** FNV-1a over the string's UTF-16 code units, finished with a multiply-shift mix; 31 bits. */
export function stringHash(s: string): number {
  return rangeHash(s, 0, s.length);
}

/** stringHash of `text.slice(start, end)`, without making that string. */
export function rangeHash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 1;
}

/**
 * Non-negative integers (ids), each found by the string `keyOf(id)` returns: the caller stores the strings.
 * Open addressing, linear probing, at most half full.
 */
export class StringKeyedIds {
  /** Id + 1 per slot (0: empty); capacity a power of two. */
  private ids = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private count = 0;

  constructor(private readonly keyOf: (id: number) => string) {}

  get size(): number {
    return this.count;
  }

  /** The id whose key is `key`, or -1. */
  get(key: string, hash = stringHash(key)): number {
    const mask = this.ids.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.ids[slot]! - 1;
      if (id < 0) return -1;
      if (this.hashes[slot] === hash && this.keyOf(id) === key) return id;
    }
  }

  /** The id whose key is `text.slice(start, end)` (`hash` its rangeHash), or -1; makes no string. */
  getRange(text: string, start: number, end: number, hash: number): number {
    const mask = this.ids.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.ids[slot]! - 1;
      if (id < 0) return -1;
      if (this.hashes[slot] === hash) {
        const key = this.keyOf(id);
        if (key.length === length && text.startsWith(key, start)) return id;
      }
    }
  }

  /** Records `id` under its key, which must not be present yet (get it first; pass the same hash). */
  add(id: number, hash = stringHash(this.keyOf(id))): void {
    if (2 * (this.count + 1) > this.ids.length) this.grow();
    this.count++;
    place(this.ids, this.hashes, id, hash);
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    const hashes = new Int32Array(this.ids.length * 2);
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.ids[slot] !== 0) place(ids, hashes, this.ids[slot]! - 1, this.hashes[slot]!);
    }
    this.ids = ids;
    this.hashes = hashes;
  }
}

function place(ids: Int32Array, hashes: Int32Array, id: number, hash: number): void {
  const mask = ids.length - 1;
  let slot = hash & mask;
  while (ids[slot] !== 0) slot = (slot + 1) & mask;
  ids[slot] = id + 1;
  hashes[slot] = hash;
}
