// Derives a deterministic Entra Immutable ID from a stable source key, for source users that have none.
import { createHash } from 'node:crypto';

/*
 * Rule: immutableId = standard base64 of the first 18 bytes of sha256("entra-sync/immutable-id/v1" NUL salt NUL key),
 * where key is the stable source key (Access Control's internal user id when it has one, never the UPN alone
 * when a better key exists), trimmed and Unicode-NFC-normalised, and salt is an optional per-tenant string.
 * 18 bytes give 24 characters without `=` padding; the alphabet (A–Z a–z 0–9 + /) never contains `$` or `_`,
 * which Graph rejects in onPremisesImmutableId. The directory stores the result once and never changes it, so a
 * later change of this rule cannot re-key existing users.
 */
export function deriveImmutableId(stableKey: string, tenantSalt = ''): string {
  const key = stableKey.trim().normalize('NFC');
  if (key === '') throw new Error('deriveImmutableId: the stable key is empty');
  const digest = createHash('sha256')
    .update('entra-sync/immutable-id/v1\u0000', 'utf8')
    .update(tenantSalt.normalize('NFC'), 'utf8')
    .update('\u0000', 'utf8')
    .update(key, 'utf8')
    .digest();
  return digest.subarray(0, 18).toString('base64');
}
