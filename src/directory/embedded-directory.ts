// The embedded Access Control directory: source users per domain kept in the store, in chunks (1M users is fine).
import type Keyv from 'keyv';
import type { SourceUser } from '../sync/model.js';
import type { SourceDirectory } from '../sync/ports.js';
import { normaliseDomain } from '../sync/domain-name.js';

export interface EmbeddedDirectoryOptions {
  /** Users per stored chunk. */
  readonly chunkSize?: number;
}

interface DomainMeta {
  /** Chunks of one version are written before the meta points at them, so readers never see a half-written domain. */
  readonly version: number;
  readonly chunks: number;
  readonly count: number;
}

const DOMAINS = 'domains';

/** Users are matched by Immutable ID first, then by UPN (case-insensitive). */
export function sameUser(a: SourceUser, b: SourceUser): boolean {
  return a.immutableId === b.immutableId || a.userPrincipalName.toLowerCase() === b.userPrincipalName.toLowerCase();
}

export class EmbeddedDirectory implements SourceDirectory {
  private readonly chunkSize: number;

  constructor(
    private readonly kv: Keyv<unknown>,
    options: EmbeddedDirectoryOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 5_000;
  }

  private metaKey = (domain: string) => `meta:${domain}`;
  private chunkKey = (domain: string, version: number, n: number) => `users:${domain}:${version}:${n}`;

  async listUsers(domain: string): Promise<SourceUser[]> {
    let users: SourceUser[] = [];
    await this.eachUser(
      domain,
      (part) => {
        for (const u of part) users.push(u);
      },
      () => {
        users = [];
      },
    );
    return users;
  }

  /** The domain's users one stored chunk at a time (ports.ts: `restart` when the domain was replaced mid-read). */
  async eachUser(domain: string, onUsers: (users: readonly SourceUser[]) => void, restart: () => void): Promise<void> {
    const d = normaliseDomain(domain);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) restart();
      const meta = (await this.kv.get(this.metaKey(d))) as DomainMeta | undefined;
      if (!meta) return;
      let complete = true;
      for (let n = 0; n < meta.chunks; n++) {
        const part = (await this.kv.get(this.chunkKey(d, meta.version, n))) as SourceUser[] | undefined;
        if (!part) {
          complete = false; // replaced while we read: read the new version
          break;
        }
        onUsers(part);
      }
      if (complete) return;
    }
    throw new Error(`directory: ${d} kept changing while it was read; try again`);
  }

  async count(domain: string): Promise<number> {
    return ((await this.kv.get(this.metaKey(normaliseDomain(domain)))) as DomainMeta | undefined)?.count ?? 0;
  }

  async domains(): Promise<string[]> {
    return ((await this.kv.get(DOMAINS)) as string[] | undefined) ?? [];
  }

  /** The domain's users become exactly `users` (an export is the full list); an empty list empties the domain. */
  async replaceDomain(domain: string, users: readonly SourceUser[]): Promise<void> {
    const d = normaliseDomain(domain);
    for (const u of users) {
      if (!u.userPrincipalName.toLowerCase().endsWith(`@${d}`))
        throw new Error(`directory: ${u.userPrincipalName} is not in ${d}`);
    }
    const old = (await this.kv.get(this.metaKey(d))) as DomainMeta | undefined;
    const version = (old?.version ?? 0) + 1;
    const chunks = Math.ceil(users.length / this.chunkSize);
    for (let n = 0; n < chunks; n++) {
      await this.kv.set(this.chunkKey(d, version, n), users.slice(n * this.chunkSize, (n + 1) * this.chunkSize));
    }
    if (users.length === 0) await this.kv.delete(this.metaKey(d));
    else await this.kv.set(this.metaKey(d), { version, chunks, count: users.length } satisfies DomainMeta);
    if (old) {
      const stale = Array.from({ length: old.chunks }, (_, n) => this.chunkKey(d, old.version, n));
      if (stale.length > 0) await this.kv.delete(stale);
    }
    const list = new Set(await this.domains());
    const had = list.has(d);
    if (users.length > 0) list.add(d);
    else list.delete(d);
    if (had !== list.has(d)) await this.kv.set(DOMAINS, [...list].sort());
  }

  /** Adds new users and updates matching ones (by Immutable ID, then UPN); nobody is removed. */
  async mergeDomain(domain: string, users: readonly SourceUser[]): Promise<void> {
    const current = await this.listUsers(domain);
    await this.replaceDomain(domain, mergeUsers(current, users));
  }
}

/** `current` with `incoming` applied: matches replaced in place, the rest appended. */
export function mergeUsers(current: readonly SourceUser[], incoming: readonly SourceUser[]): SourceUser[] {
  const out = [...current];
  const byId = new Map(out.map((u, i) => [u.immutableId, i]));
  const byUpn = new Map(out.map((u, i) => [u.userPrincipalName.toLowerCase(), i]));
  for (const u of incoming) {
    const i = byId.get(u.immutableId) ?? byUpn.get(u.userPrincipalName.toLowerCase());
    if (i === undefined) {
      byId.set(u.immutableId, out.length);
      byUpn.set(u.userPrincipalName.toLowerCase(), out.length);
      out.push(u);
    } else {
      byUpn.delete(out[i]!.userPrincipalName.toLowerCase());
      out[i] = u;
      byId.set(u.immutableId, i);
      byUpn.set(u.userPrincipalName.toLowerCase(), i);
    }
  }
  return out;
}
