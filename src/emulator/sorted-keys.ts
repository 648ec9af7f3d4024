// An ordered set of strings in chunks: insert/remove in O(log n + chunk), iteration from any key in O(log n + k).

const CHUNK = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  /** Builds from keys in any order (sorted once). */
  static from(keys: Iterable<string>): SortedKeys {
    const s = new SortedKeys();
    // Default sort order (UTF-16 code units) is the order of the < operator used everywhere below, and much faster.
    const sorted = [...keys].sort();
    const all: string[] = [];
    for (const k of sorted) if (all.length === 0 || all[all.length - 1] !== k) all.push(k);
    for (let i = 0; i < all.length; i += CHUNK) s.chunks.push(all.slice(i, i + CHUNK));
    s.count = all.length;
    return s;
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    const c = this.chunkFor(key);
    if (c < 0) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    return chunk[i] === key;
  }

  insert(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    let c = this.chunkFor(key);
    if (c < 0) c = this.chunks.length - 1;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > CHUNK * 2) this.chunks.splice(c, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
    return true;
  }

  remove(key: string): boolean {
    const c = this.chunkFor(key);
    if (c < 0) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Keys strictly after `after` (or from the first when undefined), in order, lazily. */
  *after(after: string | undefined, prefix = ''): Generator<string> {
    const start = after !== undefined && after >= prefix ? after : prefix;
    let c = this.chunkFor(start);
    if (c < 0) return;
    let i = lowerBound(this.chunks[c]!, start);
    if (after !== undefined && this.chunks[c]![i] === after) i++;
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) {
        const k = chunk[i]!;
        if (prefix && !k.startsWith(prefix)) return;
        yield k;
      }
    }
  }

  /** Index of the first chunk whose last key is >= key; -1 when key is beyond every key. */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const last = this.chunks[mid]!;
      if (last[last.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.chunks.length ? lo : -1;
  }
}

function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
