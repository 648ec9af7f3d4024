// Builds meaning-level create ops for writer tests, with the attributes the mapping would give the source user.
import { toDesired } from '../../../src/sync/mapping.js';
import type { EntraDomain, SourceUser } from '../../../src/sync/model.js';
import type { WriteOp } from '../../../src/sync/ports.js';

export type CreateOp = Extract<WriteOp, { kind: 'create' }>;

/** A create of `upn` with Immutable ID `immutableId` (display name and other fields from `extra`). */
export function createOp(
  opId: string,
  upn: string,
  immutableId: string,
  extra: Partial<SourceUser> = {},
  authenticationType: EntraDomain['authenticationType'] = 'Managed',
): CreateOp {
  const attributes = toDesired({ userPrincipalName: upn, immutableId, displayName: upn, ...extra });
  return {
    opId,
    phase: 0,
    kind: 'create',
    userPrincipalName: upn,
    immutableId,
    attributes,
    usageLocation: null,
    authenticationType,
  };
}
