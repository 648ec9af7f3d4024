// Remembers the first Immutable ID given to each user of a live source (e.g. by SCIM id), so it never changes after.
import type Keyv from 'keyv';

export interface SourceIdentityMemory {
  /** The Immutable IDs remembered for these source keys (a key without one is absent from the map). */
  recall(keys: readonly string[]): Promise<Map<string, string>>;
  /** Remembers Immutable IDs for keys that had none; a key that has one already keeps it. */
  remember(entries: ReadonlyMap<string, string>): Promise<void>;
}

/** The memory in the engine's store (a keyv namespace), one entry per source key, never expiring. */
export class KeyvIdentityMemory implements SourceIdentityMemory {
  constructor(private readonly kv: Keyv<unknown>) {}

  async recall(keys: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 1000) {
      const part = unique.slice(i, i + 1000);
      const values = await this.kv.getMany<string>(part);
      part.forEach((k, j) => {
        const v = values[j];
        if (typeof v === 'string' && v !== '') out.set(k, v);
      });
    }
    return out;
  }

  async remember(entries: ReadonlyMap<string, string>): Promise<void> {
    const known = await this.recall([...entries.keys()]);
    const fresh = [...entries].filter(([k]) => !known.has(k)).map(([key, value]) => ({ key, value }));
    for (let i = 0; i < fresh.length; i += 1000) await this.kv.setMany(fresh.slice(i, i + 1000));
  }
}
