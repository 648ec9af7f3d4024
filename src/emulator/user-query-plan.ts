// The query planner of the emulator's user store: picks the index a user $filter can be read from (a superset of
// its matches, in lower-case UPN order, resumable after a key), or a scan of every user when none fits.
import type { FilterExpr } from './odata.js';
import { SortedKeys } from './sorted-keys.js';

/** The domain part of a UPN or mail, lower case: the key of the per-domain indexes. */
export const domainOf = (upnOrMail: string) => upnOrMail.slice(upnOrMail.lastIndexOf('@') + 1).toLowerCase();

/** What the planner reads of the store's indexes (live users, and deleted users listings still show). */
export interface UserIndexes {
  /** Every listed user's lower-case UPN. */
  all(): SortedKeys;
  /** Lower-case UPNs of the users of a UPN domain. */
  domainList(domain: string): SortedKeys | undefined;
  /** `mail\u0000id` keys of the users of a mail domain. */
  mailDomainList(domain: string): SortedKeys | undefined;
  /** The id behind a lower-case UPN key. */
  idOfUpnKey(key: string): string | undefined;
  hasId(id: string): boolean;
  /** Ids of the users with this Immutable ID. */
  idsWithImmutableId(immutableId: string): (string | undefined)[];
  upnOf(id: string): string | undefined;
}

/** Where a list query's candidates come from; keys are iterated in order and resumed after a cursor key. */
export type Source = (
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

/** The source's keys in order, after `after` when given (the previous page's last key). */
export function* sourceKeys(source: Source, after: string | undefined): Generator<string> {
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

/** Every listed user, in lower-case UPN order. */
export function scanAll(ix: UserIndexes): Source {
  return { kind: 'list', list: ix.all(), prefix: '', toId: ix.idOfUpnKey };
}

/** Chooses an index that yields a superset of the filter's matches, or null (full scan). */
export function planQuery(e: FilterExpr, ix: UserIndexes): Source | null {
  const byUpnKey = ix.idOfUpnKey;
  const mailId = (k: string) => k.slice(k.indexOf('\u0000') + 1);
  switch (e.kind) {
    case 'and': {
      const ranges = planPrefixesInDomain(e, ix);
      if (ranges) return ranges;
      const a = planQuery(e.left, ix);
      const b = planQuery(e.right, ix);
      const pick = !a || !b ? (a ?? b) : estimate(a) <= estimate(b) ? a : b;
      return pick ? { ...pick, exact: false } : null;
    }
    case 'or': {
      const a = planQuery(e.left, ix);
      const b = planQuery(e.right, ix);
      if (a?.kind === 'keys' && b?.kind === 'keys') {
        const ka = a.keys.map((k) => a.toId(k)).filter(isString);
        const kb = b.keys.map((k) => b.toId(k)).filter(isString);
        return keysSource([...ka, ...kb], ix);
      }
      return null;
    }
    case 'cmp':
      if (e.op !== 'eq' || typeof e.value !== 'string') return null;
      return planEq(e.prop, [e.value], ix);
    case 'in':
      return planEq(
        e.prop,
        e.values.filter((v): v is string => typeof v === 'string'),
        ix,
      );
    case 'fn': {
      const value = e.value.toLowerCase();
      if (e.prop === 'userPrincipalName') {
        if (e.fn === 'startsWith') return { kind: 'list', list: ix.all(), prefix: value, toId: byUpnKey };
        const at = value.lastIndexOf('@');
        if (at >= 0) {
          const list = ix.domainList(value.slice(at + 1)) ?? new SortedKeys();
          return { kind: 'list', list, prefix: '', toId: byUpnKey, exact: at === 0 };
        }
      }
      if (e.prop === 'mail' && e.fn === 'endsWith') {
        const at = value.lastIndexOf('@');
        if (at >= 0) {
          const list = ix.mailDomainList(value.slice(at + 1)) ?? new SortedKeys();
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
function planPrefixesInDomain(e: { left: FilterExpr; right: FilterExpr }, ix: UserIndexes): Source | null {
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
  const list = ix.domainList(domain) ?? new SortedKeys();
  return { kind: 'list', list, prefix: '', prefixes, toId: ix.idOfUpnKey, exact: true };
}

function planEq(prop: string, values: string[], ix: UserIndexes): Source | null {
  let ids: (string | undefined)[];
  if (prop === 'userPrincipalName') ids = values.map((v) => ix.idOfUpnKey(v.toLowerCase()));
  else if (prop === 'id') ids = values.filter((v) => ix.hasId(v));
  else if (prop === 'onPremisesImmutableId') ids = values.flatMap((v) => ix.idsWithImmutableId(v));
  else if (prop === 'mail' && values.length === 1) {
    const mail = values[0]!.toLowerCase();
    const list = ix.mailDomainList(domainOf(mail)) ?? new SortedKeys();
    return { kind: 'list', list, prefix: `${mail}\u0000`, toId: (k) => k.slice(k.indexOf('\u0000') + 1) };
  } else return null;
  return keysSource(ids.filter(isString), ix);
}

/** A source over explicit ids, ordered (and resumed) by lower-case UPN. */
function keysSource(ids: string[], ix: UserIndexes): Source {
  const keys = [...new Set(ids.map((id) => ix.upnOf(id)?.toLowerCase()).filter(isString))].sort();
  return { kind: 'keys', keys, toId: ix.idOfUpnKey };
}

function estimate(s: Source): number {
  return s.kind === 'keys' ? s.keys.length : s.prefix ? s.list.size / 2 : s.list.size;
}

function isString(v: string | undefined): v is string {
  return typeof v === 'string';
}
