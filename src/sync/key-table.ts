// Interning of the diff's keys (Immutable IDs, lower-case UPNs) to dense numbers for typed-array lookups.

const EMPTY = -1;

/** FNV-1a over the string's UTF-16 code units, as a signed 32-bit integer. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0; // a 32-bit integer also for the empty key (the offset basis is above 2^31): small integers only
}

/**
 * Interns strings to dense numbers 0, 1, 2 … in first-seen order: each key is hashed into one table once, and what
 * the diff knows per key (holders, counts) lives in typed arrays indexed by that number. With a million users per
 * side this replaces a dozen lookups per user in as many growing Maps by two.
 *
 * An open-addressing table sized from the expected number of keys (linear probing, at most half full): a `Map` of a
 * million strings is rebuilt at every doubling and allocates an entry per key, which the profile of the diff at a
 * million users per side showed as its largest cost after the attribute comparison was made cheap.
 */
export class KeyTable {
  private readonly keys: string[] = [];
  private readonly hashes: number[] = [];
  private slots: Int32Array;
  private mask: number;

  /** `expected`: about how many distinct keys will be interned (the table grows past it if need be). */
  constructor(expected = 8) {
    this.slots = new Int32Array(0);
    this.mask = 0;
    this.resize(expected);
  }

  /** The key's number, a new one when it was not seen before. */
  intern(key: string): number {
    const h = hashOf(key);
    let at = h & this.mask;
    for (;;) {
      const n = this.slots[at]!;
      if (n === EMPTY) break;
      if (this.hashes[n] === h && this.keys[n] === key) return n;
      at = (at + 1) & this.mask;
    }
    const n = this.keys.length;
    this.keys.push(key);
    this.hashes.push(h);
    this.slots[at] = n;
    if (this.keys.length * 2 > this.slots.length) this.resize(this.keys.length * 2);
    return n;
  }

  /** The key's number, or -1 when it was never interned. */
  find(key: string): number {
    const h = hashOf(key);
    let at = h & this.mask;
    for (;;) {
      const n = this.slots[at]!;
      if (n === EMPTY) return -1;
      if (this.hashes[n] === h && this.keys[n] === key) return n;
      at = (at + 1) & this.mask;
    }
  }

  /** Room for `count` keys: at least twice as many slots (a power of two), every interned key placed again. */
  private resize(count: number): void {
    let size = 16;
    while (size < count * 2) size *= 2;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let n = 0; n < this.keys.length; n++) {
      let at = this.hashes[n]! & this.mask;
      while (this.slots[at] !== EMPTY) at = (at + 1) & this.mask;
      this.slots[at] = n;
    }
  }
}
