// readSnapshot: both sides in one snapshot, with the source fingerprint the plan then does not compute again.
import { describe, expect, it } from 'vitest';
import { sourceFingerprint } from '../../src/sync/fingerprint.js';
import type { EntraDomain, EntraUser, SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import type { SnapshotDeps } from '../../src/sync/read-snapshot.js';
import { readSnapshot } from '../../src/sync/read-snapshot.js';
import { DOMAIN, entraUser, settings } from './fixtures.js';

const source: SourceUser[] = [
  { userPrincipalName: `taro@${DOMAIN}`, immutableId: 'I1', displayName: '山田 太郎' },
  { userPrincipalName: `hanako@${DOMAIN}`, immutableId: 'I2', displayName: 'Hanako', jobTitle: 'Engineer' },
];
const entra: EntraUser[] = [
  entraUser({ id: 'e1', userPrincipalName: `taro@${DOMAIN}`, onPremisesImmutableId: 'I1', displayName: 'Old' }),
  entraUser({ id: 'e9', userPrincipalName: `gone@${DOMAIN}`, onPremisesImmutableId: 'I9' }),
];

const DOMAIN_INFO: EntraDomain = {
  id: DOMAIN,
  authenticationType: 'Managed',
  isVerified: true,
  isDefault: false,
  isInitial: false,
};

const deps = {
  source: { listUsers: async () => source },
  reader: {
    listUsers: async () => entra,
    listDeletedUsers: async () => [],
    listAdminRoleHolders: async () => new Set<string>(),
    listDomains: async () => [],
  },
  runs: { list: async () => [] },
} as unknown as SnapshotDeps;

describe('readSnapshot', () => {
  it('carries the fingerprint of the source users it read, beside both sides', async () => {
    const snapshot = await readSnapshot(deps, DOMAIN_INFO);
    expect(snapshot.sourceFingerprint).toBe(sourceFingerprint(source));
    expect(snapshot.source).toBe(source);
    expect(snapshot.entra).toBe(entra);
  });

  it('gives the same plan as a snapshot without the fingerprint', async () => {
    const snapshot = await readSnapshot(deps, DOMAIN_INFO);
    const { sourceFingerprint: _computed, ...plain } = snapshot;
    const meta = { id: 'p', now: '2026-11-30T00:00:00.000Z' };
    const withPrint = buildPlan(snapshot, settings(), meta);
    expect(withPrint.sourceFingerprint).toBe(sourceFingerprint(source));
    expect(withPrint.hash).toBe(buildPlan(plain, settings(), meta).hash);
  });
});
