// In-memory users, indexed by id, lower-case UPN, Immutable ID, proxy address, UPN domain and mail domain.
// Over 300 lines for a reason: every write updates the indexes, the replication lag and the ghosts of deleted users
// together, all private to it; deleted items are in deleted-users.ts, the query planner in user-query-plan.ts.
//
// Replication delay models Graph's eventual consistency: listings and advanced queries ($filter, $count with
// `ConsistencyLevel: eventual`) are served from replicas that lag behind writes, while GET by id or UPN reads the
// user itself (https://learn.microsoft.com/en-us/graph/aad-advanced-queries: with the advanced query parameters
// "the response will be eventually consistent"). For the delay after a write, a listing still shows what it
// showed before: a new or restored user is absent, an updated user has its old values, and a deleted user is
// still listed (a ghost).
import { DeletedUsers } from './deleted-users.js';
import { evaluateFilter, type FilterExpr } from './odata.js';
import { SortedKeys } from './sorted-keys.js';
import { domainOf, planQuery, scanAll, type Source, sourceKeys, type UserIndexes } from './user-query-plan.js';
import { proxyKey, type UserData } from './user-schema.js';

interface UserRecord {
  data: UserData;
  /** Replication delay: until this time list queries still see `prev` (null = not yet visible). */
  lagUntil: number;
  prev: UserData | null;
}

export interface ListQuery {
  filter: FilterExpr | null;
  top: number;
  /** The key after which to resume (from the previous page's cursor). */
  after?: string;
  count?: boolean;
}

export interface ListResult {
  items: UserData[];
  /** Cursor for the next page, absent on the last page. */
  next?: string;
  count?: number;
}

const mailKey = (mail: string, id: string) => `${mail.toLowerCase()}\u0000${id}`;

export class UserStore {
  private byId = new Map<string, UserRecord>();
  private byUpn = new Map<string, string>();
  private byImmutable = new Map<string, string>();
  /** Proxy addresses (proxyKey) of live users and of groups → owner id: Graph keeps them unique across both. */
  private byProxy = new Map<string, string>();
  private all = new SortedKeys();
  private byDomain = new Map<string, SortedKeys>();
  private byMailDomain = new Map<string, SortedKeys>();
  private readonly deleted = new DeletedUsers();
  /** Users a list query looked at (the cost the scale tests watch). */
  examined = 0;
  /**
   * Counts of filters that no index answers exactly, kept until the next change (every page of a listing asks
   * for the same $count: without this each page would scan every candidate again).
   */
  private countCache = new Map<string, number>();
  /** The latest replication-lag deadline handed out: counts are not cached while a change is still lagging. */
  private lagHorizon = 0;
  /** Deleted users that listings still show until `until` (keyed by id), and their UPN keys in the list indexes. */
  private ghosts = new Map<string, { data: UserData; until: number }>();
  private ghostByUpn = new Map<string, string>();

  constructor(
    private readonly now: () => number,
    private readonly replicationDelayMs: () => number,
  ) {}

  /**
   * Replaces everything with the given users (bulk: indexes are sorted once). `otherHolders` are objects that are
   * not users (groups) whose proxy addresses users may not take.
   */
  load(
    users: UserData[],
    deletedUsers: UserData[],
    otherHolders: readonly { id: string; proxyAddresses: readonly string[] }[] = [],
  ): void {
    this.countCache.clear();
    this.ghosts = new Map();
    this.ghostByUpn = new Map();
    this.byId = new Map();
    this.byUpn = new Map();
    this.byImmutable = new Map();
    this.byProxy = new Map();
    for (const o of otherHolders) for (const a of o.proxyAddresses) this.byProxy.set(proxyKey(a), o.id);
    const perDomain = new Map<string, string[]>();
    const perMailDomain = new Map<string, string[]>();
    for (const u of users) {
      const upn = u.userPrincipalName.toLowerCase();
      this.byId.set(u.id, { data: u, lagUntil: 0, prev: null });
      this.byUpn.set(upn, u.id);
      if (u.onPremisesImmutableId) this.byImmutable.set(u.onPremisesImmutableId, u.id);
      for (const a of u.proxyAddresses) this.byProxy.set(proxyKey(a), u.id);
      push(perDomain, domainOf(upn), upn);
      if (u.mail) push(perMailDomain, domainOf(u.mail), mailKey(u.mail, u.id));
    }
    this.all = SortedKeys.from(this.byUpn.keys());
    this.byDomain = new Map([...perDomain].map(([d, keys]) => [d, SortedKeys.from(keys)]));
    this.byMailDomain = new Map([...perMailDomain].map(([d, keys]) => [d, SortedKeys.from(keys)]));
    this.deleted.load(deletedUsers);
  }

  get size(): number {
    return this.byId.size;
  }

  /** By object id or (case-insensitive) UPN. */
  get(idOrUpn: string): UserData | undefined {
    const rec = this.byId.get(idOrUpn) ?? this.byId.get(this.byUpn.get(idOrUpn.toLowerCase()) ?? '');
    return rec?.data;
  }

  idForUpn(upn: string): string | undefined {
    return this.byUpn.get(upn.toLowerCase());
  }

  idForImmutableId(immutableId: string): string | undefined {
    return this.byImmutable.get(immutableId);
  }

  /** The live user holding this proxy address (any type prefix, case-insensitive), if any. */
  idForProxyAddress(address: string): string | undefined {
    return this.byProxy.get(proxyKey(address));
  }

  allUsers(): UserData[] {
    return [...this.byId.values()].map((r) => r.data);
  }

  deletedUsers(): UserData[] {
    return this.deleted.all();
  }

  getDeleted(id: string): UserData | undefined {
    return this.deleted.get(id);
  }

  insert(u: UserData): void {
    this.countCache.clear();
    // A user restored while its deletion is still lagging: listings go on showing what they showed.
    const ghost = this.ghosts.get(u.id);
    if (ghost) this.dropGhost(u.id);
    const lag = this.lagUntil();
    this.byId.set(u.id, { data: u, lagUntil: lag, prev: lag > 0 && ghost ? ghost.data : null });
    this.index(u);
  }

  /** Replaces a user's data (indexes follow a UPN, mail or Immutable ID change). */
  replace(u: UserData): void {
    this.countCache.clear();
    const rec = this.byId.get(u.id);
    if (!rec) throw new Error(`no user ${u.id}`);
    this.unindex(rec.data);
    const lag = this.lagUntil();
    rec.prev = lag > 0 ? (this.now() < rec.lagUntil ? rec.prev : rec.data) : null;
    rec.lagUntil = lag;
    rec.data = u;
    this.index(u);
  }

  /** Moves a user to the deleted items (with deletedDateTime set). */
  softDelete(id: string, deletedDateTime: string): UserData {
    this.countCache.clear();
    const rec = this.byId.get(id)!;
    const shown = this.now() < rec.lagUntil ? rec.prev : rec.data;
    this.unindex(rec.data);
    this.byId.delete(id);
    const lag = this.lagUntil();
    if (lag > 0 && shown) this.addGhost(id, shown, lag);
    const d = { ...rec.data, deletedDateTime };
    this.deleted.add(d);
    return d;
  }

  /** Brings a deleted user back (caller has checked conflicts). */
  restore(id: string): UserData {
    this.countCache.clear();
    const d = this.deleted.take(id);
    const u = { ...d, deletedDateTime: null };
    this.insert(u);
    return u;
  }

  purge(id: string): boolean {
    this.countCache.clear();
    return this.deleted.purge(id);
  }

  /** A page of users matching the filter, in the source index's order, resuming after `after`. */
  list(q: ListQuery): ListResult {
    this.sweepGhosts();
    const source = (q.filter && planQuery(q.filter, this.indexes)) || scanAll(this.indexes);
    const items: UserData[] = [];
    let last: string | undefined;
    let hasMore = false;
    const now = this.now();
    // An exact source yields only matches while no lagging change shows an older view under a key (as count()).
    const check = !(source.exact && now >= this.lagHorizon);
    for (const key of sourceKeys(source, q.after)) {
      const view = this.visible(source.toId(key), now);
      if (!view) continue;
      this.examined++;
      if (check && q.filter && !evaluateFilter(q.filter, (p) => view[p as keyof UserData])) continue;
      if (items.length === q.top) {
        hasMore = true;
        break;
      }
      items.push(view);
      last = key;
    }
    const result: ListResult = { items };
    if (hasMore && last !== undefined) result.next = last;
    if (q.count) result.count = this.count(source, q.filter, now);
    return result;
  }

  /** How many users match (no page): O(1) when an index answers the filter exactly. */
  countMatching(filter: FilterExpr | null): number {
    this.sweepGhosts();
    const source = (filter && planQuery(filter, this.indexes)) || scanAll(this.indexes);
    return this.count(source, filter, this.now());
  }

  /** Deleted users, ordered by id, resuming after `after`, filtered on Graph's `view` of them (DeletedUsers.list). */
  listDeleted(q: ListQuery, view: (u: UserData) => UserData = (u) => u): ListResult {
    return this.deleted.list(q, view, () => this.examined++);
  }

  private lagUntil(): number {
    const d = this.replicationDelayMs();
    if (d <= 0) return 0;
    const until = this.now() + d;
    this.lagHorizon = Math.max(this.lagHorizon, until);
    return until;
  }

  private visible(id: string | undefined, now: number): UserData | null {
    if (id === undefined) return null;
    const rec = this.byId.get(id);
    if (!rec) {
      const ghost = this.ghosts.get(id);
      return ghost && now < ghost.until ? ghost.data : null;
    }
    return now < rec.lagUntil ? rec.prev : rec.data;
  }

  /** The id behind a UPN key of the list indexes: the live user, else a deleted user listings still show. */
  private idOfUpnKey = (k: string): string | undefined => this.byUpn.get(k) ?? this.ghostByUpn.get(k);

  /** The planner's view of the indexes (read through, since load() replaces them). */
  private readonly indexes: UserIndexes = {
    all: () => this.all,
    domainList: (domain) => this.byDomain.get(domain),
    mailDomainList: (domain) => this.byMailDomain.get(domain),
    idOfUpnKey: this.idOfUpnKey,
    hasId: (id) => this.byId.has(id) || this.ghosts.has(id),
    idsWithImmutableId: (immutableId) => [
      this.byImmutable.get(immutableId),
      ...this.ghostsWithImmutableId(immutableId),
    ],
    upnOf: (id) => (this.byId.get(id)?.data ?? this.ghosts.get(id)?.data)?.userPrincipalName,
  };

  private addGhost(id: string, data: UserData, until: number): void {
    const upn = data.userPrincipalName.toLowerCase();
    this.ghosts.set(id, { data, until });
    if (!this.byUpn.has(upn)) this.ghostByUpn.set(upn, id);
    this.all.insert(upn);
    listFor(this.byDomain, domainOf(upn)).insert(upn);
    if (data.mail) listFor(this.byMailDomain, domainOf(data.mail)).insert(mailKey(data.mail, id));
  }

  private dropGhost(id: string): void {
    const ghost = this.ghosts.get(id);
    if (!ghost) return;
    this.ghosts.delete(id);
    const upn = ghost.data.userPrincipalName.toLowerCase();
    if (this.ghostByUpn.get(upn) === id) this.ghostByUpn.delete(upn);
    if (!this.byUpn.has(upn)) {
      this.all.remove(upn);
      this.byDomain.get(domainOf(upn))?.remove(upn);
    }
    if (ghost.data.mail) this.byMailDomain.get(domainOf(ghost.data.mail))?.remove(mailKey(ghost.data.mail, id));
  }

  /** Forgets deleted users whose replication delay has passed. */
  private sweepGhosts(): void {
    if (this.ghosts.size === 0) return;
    const now = this.now();
    for (const [id, g] of this.ghosts) if (now >= g.until) this.dropGhost(id);
  }

  private count(source: Source, filter: FilterExpr | null, now: number): number {
    if (
      (!filter || source.exact) &&
      source.kind === 'list' &&
      source.prefix === '' &&
      !source.prefixes &&
      now >= this.lagHorizon
    )
      return source.list.size;
    // Cached per filter until the next change; not while a lagging change may still alter what a scan sees.
    const key = filter && now >= this.lagHorizon ? JSON.stringify(filter) : null;
    const cached = key === null ? undefined : this.countCache.get(key);
    if (cached !== undefined) return cached;
    let n = 0;
    for (const key of sourceKeys(source, undefined)) {
      const view = this.visible(source.toId(key), now);
      if (!view) continue;
      this.examined++;
      if (!filter || evaluateFilter(filter, (p) => view[p as keyof UserData])) n++;
    }
    if (key !== null) this.countCache.set(key, n);
    return n;
  }

  private ghostsWithImmutableId(immutableId: string): string[] {
    const ids: string[] = [];
    for (const [id, g] of this.ghosts) if (g.data.onPremisesImmutableId === immutableId) ids.push(id);
    return ids;
  }

  private index(u: UserData): void {
    const upn = u.userPrincipalName.toLowerCase();
    this.byUpn.set(upn, u.id);
    for (const a of u.proxyAddresses) this.byProxy.set(proxyKey(a), u.id);
    if (u.onPremisesImmutableId) this.byImmutable.set(u.onPremisesImmutableId, u.id);
    this.all.insert(upn);
    listFor(this.byDomain, domainOf(upn)).insert(upn);
    if (u.mail) listFor(this.byMailDomain, domainOf(u.mail)).insert(mailKey(u.mail, u.id));
  }

  private unindex(u: UserData): void {
    const upn = u.userPrincipalName.toLowerCase();
    if (this.byUpn.get(upn) === u.id) this.byUpn.delete(upn);
    if (u.onPremisesImmutableId && this.byImmutable.get(u.onPremisesImmutableId) === u.id)
      this.byImmutable.delete(u.onPremisesImmutableId);
    for (const a of u.proxyAddresses) if (this.byProxy.get(proxyKey(a)) === u.id) this.byProxy.delete(proxyKey(a));
    this.all.remove(upn);
    this.byDomain.get(domainOf(upn))?.remove(upn);
    if (u.mail) this.byMailDomain.get(domainOf(u.mail))?.remove(mailKey(u.mail, u.id));
  }
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

function listFor(m: Map<string, SortedKeys>, k: string): SortedKeys {
  let l = m.get(k);
  if (!l) {
    l = new SortedKeys();
    m.set(k, l);
  }
  return l;
}
