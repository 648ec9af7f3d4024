// Order-independent sha256 fingerprints of exactly the snapshot fields the diff reads (binds a plan to its inputs).
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { DeletedEntraUser, EntraUser, SourceUser } from './model.js';

/*
 * Each record is encoded as canonical JSON (undefined fields dropped, so "not managed" and null differ),
 * hashed on its own; the sorted per-record digests are hashed again with a tag and the count.
 * Input order never matters; any change to a field the diff uses changes the fingerprint.
 */
function combine(tag: string, digests: string[]): string {
  digests.sort();
  const h = createHash('sha256');
  h.update(`${tag}\n${digests.length}\n`);
  for (const d of digests) h.update(d);
  return h.digest('hex');
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

const SOURCE_FIELDS = [
  'userPrincipalName',
  'immutableId',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
  'accountEnabled',
] as const;

/** Fingerprint of the source users (every field mapping/diff reads, `username` excluded: it is not synced). */
export function sourceFingerprint(users: readonly SourceUser[]): string {
  const digests: string[] = new Array(users.length);
  for (let i = 0; i < users.length; i++) {
    const u = users[i]!;
    const rec: Record<string, unknown> = {};
    for (const f of SOURCE_FIELDS) rec[f] = u[f];
    digests[i] = digest(canonicalJson(rec));
  }
  return combine('source-v1', digests);
}

const ENTRA_FIELDS = [
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mailNickname',
  'onPremisesImmutableId',
  'onPremisesSyncEnabled',
  'userType',
  'accountEnabled',
  'mail',
  'jobTitle',
  'department',
  'employeeId',
  'mobilePhone',
] as const;

/** Fingerprint of the Entra side: live users (with whether each holds an admin role) and soft-deleted users. */
export function entraFingerprint(
  users: readonly EntraUser[],
  deleted: readonly DeletedEntraUser[],
  adminIds: ReadonlySet<string>,
): string {
  const digests: string[] = [];
  for (const u of users) {
    const rec: Record<string, unknown> = { kind: 'live', admin: adminIds.has(u.id) };
    for (const f of ENTRA_FIELDS) rec[f] = u[f] ?? null;
    digests.push(digest(canonicalJson(rec)));
  }
  for (const d of deleted) digests.push(digest(canonicalJson({ ...d, kind: 'deleted' })));
  return combine('entra-v1', digests);
}
