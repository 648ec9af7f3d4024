// In-memory users and deleted users, indexed by id, lower-case UPN, Immutable ID, UPN domain and mail domain.
//
// Replication delay models Graph's eventual consistency: listings and advanced queries ($filter, $count with
// `ConsistencyLevel: eventual`) are served from replicas that lag behind writes, while GET by id or UPN reads the
// user itself (https://learn.microsoft.com/en-us/graph/aad-advanced-queries: with the advanced query parameters
// "the response will be eventually consistent"). For the delay after a write, a listing still shows what it showed before: a new or restored user
// is absent, an updated user has its old values, and a deleted user is still listed (a ghost).
//
// One class (over 300 lines) because its indexes, the replicas' ghosts and the query planner that picks an index
// for a $filter share private state; splitting them would expose the indexes to every route.
import { evaluateFilter, type FilterExpr } from './odata.js';
import { SortedKeys } from './sorted-keys.js';
import { proxyKey, type UserData } from './user-schema.js';

interface UserRecord {
  data: UserData;
  /** Replication delay: until this time list queries still see `prev` (null = not yet visible). */
  lagUntil: number;
  prev: UserData | null;
}

/** Where a list query's candidates come from; keys are iterated in order and resumed after a cursor key. */
type Source = (
  | {
      kind: 'list';
      list: SortedKeys;
      prefix: string;
      toId: (key: string) => string | undefined;
      /** Several prefixes instead of `prefix` (sorted, none a prefix of another): their ranges in order. */
      prefixes?: string[];
    }
  | { kind: 'keys'; keys: string[]; toId: (key: string) => string | undefined }
) & {
  /** True when the source yields exactly the filter's matches (so a count needs no scan). */
  exact?: boolean;
};

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

const domainOf = (upnOrMail: string) => upnOrMail.slice(upnOrMail.lastIndexOf('@') + 1).toLowerCase();
const mailKey = (mail: string, id: string) => `${mail.toLowerCase()}\u0000${id}`;

export class UserStore {
  private byId = new Map<string, UserRecord>();
  private byUpn = new Map<string, string>();
  private byImmutable = new Map<string, string>();
  /** Live users' proxy addresses (proxyKey) → id: Graph keeps them unique. */
  private byProxy = new Map<string, string>();
  private all = new SortedKeys();
  private byDomain = new Map<string, SortedKeys>();
  private byMailDomain = new Map<string, SortedKeys>();
  private deleted = new Map<string, UserData>();
  private deletedOrder = new SortedKeys();
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
    this.deleted = new Map(deletedUsers.map((u) => [u.id, u]));
    this.deletedOrder = SortedKeys.from(this.deleted.keys());
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
    return [...this.deleted.values()];
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
    this.deleted.set(id, d);
    this.deletedOrder.insert(id);
    return d;
  }

  /** Brings a deleted user back (caller has checked conflicts). */
  restore(id: string): UserData {
    this.countCache.clear();
    const d = this.deleted.get(id)!;
    this.deleted.delete(id);
    this.deletedOrder.remove(id);
    const u = { ...d, deletedDateTime: null };
    this.insert(u);
    return u;
  }

  purge(id: string): boolean {
    this.countCache.clear();
    this.deletedOrder.remove(id);
    return this.deleted.delete(id);
  }

  /** A page of users matching the filter, in the source index's order, resuming after `after`. */
  list(q: ListQuery): ListResult {
    this.sweepGhosts();
    const source = (q.filter && this.plan(q.filter)) || this.scanAll();
    const items: UserData[] = [];
    let last: string | undefined;
    let hasMore = false;
    const now = this.now();
    for (const key of this.keys(source, q.after)) {
      const view = this.visible(source.toId(key), now);
      if (!view) continue;
      this.examined++;
      if (q.filter && !evaluateFilter(q.filter, (p) => view[p as keyof UserData])) continue;
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
    const source = (filter && this.plan(filter)) || this.scanAll();
    return this.count(source, filter, this.now());
  }

  /**
   * Deleted users, ordered by id, resuming after `after`. `view` is how Graph shows a deleted user (its UPN
   * prefixed with its id): the filter is evaluated on that, as Graph does.
   */
  listDeleted(q: ListQuery, view: (u: UserData) => UserData = (u) => u): ListResult {
    const items: UserData[] = [];
    let last: string | undefined;
    let hasMore = false;
    let count = 0;
    for (const id of this.deletedOrder.after(q.after)) {
      const u = view(this.deleted.get(id)!);
      this.examined++;
      if (q.filter && !evaluateFilter(q.filter, (p) => u[p as keyof UserData])) continue;
      if (items.length === q.top) {
        hasMore = true;
        break;
      }
      items.push(u);
      last = id;
    }
    const result: ListResult = { items };
    if (hasMore && last !== undefined) result.next = last;
    if (q.count) {
      for (const d of this.deleted.values()) {
        const u = view(d);
        if (!q.filter || evaluateFilter(q.filter, (p) => u[p as keyof UserData])) count++;
      }
      result.count = count;
    }
    return result;
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

  private *keys(source: Source, after: string | undefined): Generator<string> {
    if (source.kind === 'list') {
      if (source.prefixes) {
        for (const p of source.prefixes) yield* source.list.after(after, p);
        return;
      }
      yield* source.list.after(after, source.prefix);
      return;
    }
    for (const k of source.keys) if (after === undefined || k > after) yield k;
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
    for (const key of this.keys(source, undefined)) {
      const view = this.visible(source.toId(key), now);
      if (!view) continue;
      this.examined++;
      if (!filter || evaluateFilter(filter, (p) => view[p as keyof UserData])) n++;
    }
    if (key !== null) this.countCache.set(key, n);
    return n;
  }

  private scanAll(): Source {
    return { kind: 'list', list: this.all, prefix: '', toId: this.idOfUpnKey };
  }

  /** Chooses an index that yields a superset of the filter's matches, or null (full scan). */
  private plan(e: FilterExpr): Source | null {
    const byUpnKey = this.idOfUpnKey;
    const mailId = (k: string) => k.slice(k.indexOf('\u0000') + 1);
    switch (e.kind) {
      case 'and': {
        const ranges = this.planPrefixesInDomain(e);
        if (ranges) return ranges;
        const a = this.plan(e.left);
        const b = this.plan(e.right);
        const pick = !a || !b ? (a ?? b) : estimate(a) <= estimate(b) ? a : b;
        return pick ? { ...pick, exact: false } : null;
      }
      case 'or': {
        const a = this.plan(e.left);
        const b = this.plan(e.right);
        if (a?.kind === 'keys' && b?.kind === 'keys') {
          const ka = a.keys.map((k) => a.toId(k)).filter(isString);
          const kb = b.keys.map((k) => b.toId(k)).filter(isString);
          return this.keysSource([...ka, ...kb]);
        }
        return null;
      }
      case 'cmp':
        if (e.op !== 'eq' || typeof e.value !== 'string') return null;
        return this.planEq(e.prop, [e.value]);
      case 'in':
        return this.planEq(
          e.prop,
          e.values.filter((v): v is string => typeof v === 'string'),
        );
      case 'fn': {
        const value = e.value.toLowerCase();
        if (e.prop === 'userPrincipalName') {
          if (e.fn === 'startsWith') return { kind: 'list', list: this.all, prefix: value, toId: byUpnKey };
          const at = value.lastIndexOf('@');
          if (at >= 0) {
            const list = this.byDomain.get(value.slice(at + 1)) ?? new SortedKeys();
            return { kind: 'list', list, prefix: '', toId: byUpnKey, exact: at === 0 };
          }
        }
        if (e.prop === 'mail' && e.fn === 'endsWith') {
          const at = value.lastIndexOf('@');
          if (at >= 0) {
            const list = this.byMailDomain.get(value.slice(at + 1)) ?? new SortedKeys();
            return { kind: 'list', list, prefix: '', toId: mailId, exact: at === 0 };
          }
        }
        return null;
      }
      default:
        return null;
    }
  }

  /**
   * `startsWith(userPrincipalName,'a') [or startsWith(…,'b') …] and endsWith(userPrincipalName,'@d')` (a listing
   * partitioned by first letters): the prefix ranges of the domain's own index, so each page costs its size.
   */
  private planPrefixesInDomain(e: { left: FilterExpr; right: FilterExpr }): Source | null {
    const domainIn = (x: FilterExpr): string | null =>
      x.kind === 'fn' && x.fn === 'endsWith' && x.prop === 'userPrincipalName' && x.value.startsWith('@')
        ? x.value.slice(1).toLowerCase()
        : null;
    const prefixesOf = (x: FilterExpr): string[] | null => {
      if (x.kind === 'fn' && x.fn === 'startsWith' && x.prop === 'userPrincipalName') return [x.value.toLowerCase()];
      if (x.kind !== 'or') return null;
      const l = prefixesOf(x.left);
      const r = l && prefixesOf(x.right);
      return l && r ? [...l, ...r] : null;
    };
    const domain = domainIn(e.right) ?? domainIn(e.left);
    const raw = domainIn(e.right) !== null ? prefixesOf(e.left) : prefixesOf(e.right);
    if (domain === null || raw === null || raw.length === 0) return null;
    // A prefix that another prefix covers adds nothing (and would yield its keys twice).
    const sorted = [...new Set(raw)].sort();
    const prefixes = sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q)));
    const list = this.byDomain.get(domain) ?? new SortedKeys();
    return { kind: 'list', list, prefix: '', prefixes, toId: this.idOfUpnKey, exact: true };
  }

  private planEq(prop: string, values: string[]): Source | null {
    let ids: (string | undefined)[];
    if (prop === 'userPrincipalName') ids = values.map((v) => this.idOfUpnKey(v.toLowerCase()));
    else if (prop === 'id') ids = values.filter((v) => this.byId.has(v) || this.ghosts.has(v));
    else if (prop === 'onPremisesImmutableId')
      ids = values.flatMap((v) => [this.byImmutable.get(v), ...this.ghostsWithImmutableId(v)]);
    else if (prop === 'mail' && values.length === 1) {
      const mail = values[0]!.toLowerCase();
      const list = this.byMailDomain.get(domainOf(mail)) ?? new SortedKeys();
      return { kind: 'list', list, prefix: `${mail}\u0000`, toId: (k) => k.slice(k.indexOf('\u0000') + 1) };
    } else return null;
    return this.keysSource(ids.filter(isString));
  }

  /** A source over explicit ids, ordered (and resumed) by lower-case UPN. */
  private keysSource(ids: string[]): Source {
    const upnOf = (id: string) => (this.byId.get(id)?.data ?? this.ghosts.get(id)?.data)?.userPrincipalName;
    const keys = [...new Set(ids.map((id) => upnOf(id)?.toLowerCase()).filter(isString))].sort();
    return { kind: 'keys', keys, toId: this.idOfUpnKey };
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

function estimate(s: Source): number {
  return s.kind === 'keys' ? s.keys.length : s.prefix ? s.list.size / 2 : s.list.size;
}

function isString(v: string | undefined): v is string {
  return typeof v === 'string';
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
