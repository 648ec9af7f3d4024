// Order-independent sha256 fingerprints of exactly the snapshot fields the diff reads (binds a plan to its inputs).
import { createHash } from 'node:crypto';
import type { DeletedEntraUser, EntraUser, SourceUser } from './model.js';

/*
 * Each record is encoded as a JSON array of its fields in a fixed order (undefined written as 0, which no field
 * can hold, so "not managed" and null differ); the records are sorted by their key (ties by encoding) and
 * hashed in that order with a tag and the count. Input order never matters; any change to a field the diff
 * uses changes the fingerprint. One hash is fed in blocks, so a million users never build one giant string.
 */
type Field = string | boolean | null | undefined;
/** `values` is the caller's own fresh array: undefined is replaced in place (no second array per record). */
const encode = (values: (Field | 0)[]): string => {
  for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = 0;
  return JSON.stringify(values);
};

function hashSorted<T>(tag: string, items: readonly T[], key: (item: T) => string, enc: (item: T) => string): string {
  const keyed = items.map((item) => ({ item, k: key(item), e: '' }));
  keyed.sort((a, b) => {
    if (a.k !== b.k) return a.k < b.k ? -1 : 1;
    if (a.e === '') a.e = enc(a.item);
    if (b.e === '') b.e = enc(b.item);
    return a.e < b.e ? -1 : a.e > b.e ? 1 : 0;
  });
  const h = createHash('sha256');
  let buffer = `${tag}\n${items.length}\n`;
  for (const k of keyed) {
    buffer += (k.e === '' ? enc(k.item) : k.e) + '\n';
    if (buffer.length >= 64 * 1024) {
      h.update(buffer, 'utf8');
      buffer = '';
    }
  }
  h.update(buffer, 'utf8');
  return h.digest('hex');
}

/** A source user's sort key in the fingerprint. */
const sourceKey = (u: SourceUser): string => `${u.immutableId}\u0000${u.userPrincipalName}`;

/** Every field mapping/diff reads (`username` is not synced), encoded as a JSON array. */
const sourceEncoding = (u: SourceUser): string =>
  encode([
    u.userPrincipalName,
    u.immutableId,
    u.displayName,
    u.givenName,
    u.surname,
    u.mail,
    u.jobTitle,
    u.department,
    u.employeeId,
    u.mobilePhone,
    u.accountEnabled,
  ]);

/** Fingerprint of the source users. */
export function sourceFingerprint(users: readonly SourceUser[]): string {
  return hashSorted('source-v1', users, sourceKey, sourceEncoding);
}

/**
 * sourceFingerprint fed part by part (SourceDirectory.eachUser), for a reader that keeps nothing else of the users:
 * per user only its key and its encoding. `finish` gives the same value as sourceFingerprint over the same users.
 */
export class SourceFingerprintFeed {
  private keys: string[] = [];
  private encodings: string[] = [];

  add(users: readonly SourceUser[]): void {
    for (const u of users) {
      this.keys.push(sourceKey(u));
      this.encodings.push(sourceEncoding(u));
    }
  }

  /** Forgets every user added (the listing started again). */
  reset(): void {
    this.keys = [];
    this.encodings = [];
  }

  /** Users added so far. */
  get count(): number {
    return this.keys.length;
  }

  finish(): string {
    const { keys, encodings } = this;
    return hashSorted(
      'source-v1',
      Array.from(keys, (_, i) => i),
      (i) => keys[i]!,
      (i) => encodings[i]!,
    );
  }
}

type EntraRecord = { live: EntraUser; admin: boolean } | { deleted: DeletedEntraUser };

const deletedExtras = (d: DeletedEntraUser): string => {
  const extra = Object.keys(d)
    .filter((k) => !['id', 'userPrincipalName', 'onPremisesImmutableId', 'deletedDateTime'].includes(k))
    .sort();
  return extra.length === 0 ? '' : JSON.stringify(extra.map((k) => [k, (d as unknown as Record<string, unknown>)[k]]));
};

/** The proxy addresses as one sorted, newline-joined field (no copy to sort for none or one). */
const proxyField = (addresses: readonly string[] | undefined): string | undefined => {
  if (addresses === undefined) return undefined;
  if (addresses.length < 2) return addresses[0] ?? '';
  return [...addresses].sort().join('\n');
};

const encodeDeleted = (d: DeletedEntraUser): string =>
  encode(['deleted', d.id, d.userPrincipalName, d.onPremisesImmutableId, d.deletedDateTime, deletedExtras(d)]);

/** A live user's fields after its admin flag, encoded as a JSON array (liveEncoding puts the tag and flag in front). */
const liveFields = (u: EntraUser): string =>
  encode([
    u.id,
    u.userPrincipalName,
    u.displayName,
    u.givenName,
    u.surname,
    u.mailNickname,
    u.onPremisesImmutableId,
    u.onPremisesSyncEnabled,
    u.userType,
    u.accountEnabled,
    u.mail,
    u.jobTitle,
    u.department,
    u.employeeId,
    u.mobilePhone,
    u.usageLocation,
    proxyField(u.proxyAddresses),
  ]);

/** `["live",<admin>,…fields]`: the same bytes as encoding the whole array at once (`fields` is a non-empty array). */
const liveEncoding = (admin: boolean, fields: string): string => `["live",${admin},${fields.slice(1)}`;

/** Fingerprint of the Entra side: live users (with whether each holds an admin role) and soft-deleted users. */
export function entraFingerprint(
  users: readonly EntraUser[],
  deleted: readonly DeletedEntraUser[],
  adminIds: ReadonlySet<string>,
): string {
  const records: EntraRecord[] = [];
  for (const u of users) records.push({ live: u, admin: adminIds.has(u.id) });
  for (const d of deleted) records.push({ deleted: d });
  return hashSorted(
    'entra-v2',
    records,
    (r) => ('live' in r ? `L${r.live.id}` : `D${r.deleted.id}`),
    (r) => ('deleted' in r ? encodeDeleted(r.deleted) : liveEncoding(r.admin, liveFields(r.live))),
  );
}

/**
 * entraFingerprint fed page by page (EntraReader.eachUser), for a reader that keeps nothing else of the users: per
 * user only its id, its encoded fields and whether it is a member (for the guard's in-scope count). A user a later
 * page repeats replaces the earlier one, as EntraReader.listUsers keeps one per id. `finish` gives the same value as
 * entraFingerprint over the listed users.
 */
export class EntraFingerprintFeed {
  private readonly fields = new Map<string, string>();
  private readonly guests = new Set<string>();

  add(users: readonly EntraUser[]): void {
    for (const u of users) {
      this.fields.set(u.id, liveFields(u));
      if (u.userType !== null && u.userType.toLowerCase() === 'guest') this.guests.add(u.id);
      else this.guests.delete(u.id);
    }
  }

  /** Users seen so far, one per id. */
  get count(): number {
    return this.fields.size;
  }

  /** Users that are not guests (guard.inScopeCount over the same users). */
  get inScopeCount(): number {
    return this.fields.size - this.guests.size;
  }

  finish(deleted: readonly DeletedEntraUser[], adminIds: ReadonlySet<string>): string {
    type Fed = { id: string; fields: string } | { deleted: DeletedEntraUser };
    const records: Fed[] = [];
    for (const [id, fields] of this.fields) records.push({ id, fields });
    for (const d of deleted) records.push({ deleted: d });
    return hashSorted(
      'entra-v2',
      records,
      (r) => ('deleted' in r ? `D${r.deleted.id}` : `L${r.id}`),
      (r) => ('deleted' in r ? encodeDeleted(r.deleted) : liveEncoding(adminIds.has(r.id), r.fields)),
    );
  }
}
