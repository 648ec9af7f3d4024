// Interning of the diff's keys (Immutable IDs, lower-case UPNs) to dense numbers for typed-array lookups.

/**
 * Interns strings to dense numbers 0, 1, 2 … in first-seen order: each key is hashed into one table once, and what
 * the diff knows per key (holders, counts) lives in typed arrays indexed by that number. With a million users per
 * side this replaces a dozen lookups per user in as many growing Maps by two.
 */
export class KeyTable {
  private readonly numbers = new Map<string, number>();
  /** The key's number, a new one when it was not seen before. */
  intern(key: string): number {
    let n = this.numbers.get(key);
    if (n === undefined) {
      n = this.numbers.size;
      this.numbers.set(key, n);
    }
    return n;
  }
  /** The key's number, or -1 when it was never interned. */
  find(key: string): number {
    return this.numbers.get(key) ?? -1;
  }
}
