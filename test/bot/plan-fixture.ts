// Test helper: real plans built by the sync core from small hand-made snapshots (for card rendering tests).
import type { DomainSettings, EntraUser, Plan, SourceUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { entraUser as baseEntraUser } from '../sync/fixtures.js';

export function entraUser(
  upn: string,
  immutableId: string | null,
  displayName: string,
  extra: Partial<EntraUser> = {},
): EntraUser {
  return baseEntraUser({
    id: `id-${upn}`,
    userPrincipalName: upn,
    displayName,
    mailNickname: upn.split('@')[0] ?? null,
    onPremisesImmutableId: immutableId,
    ...extra,
  });
}

export const settings = (over: Partial<DomainSettings> = {}): DomainSettings => ({
  domain: 'contoso.co.jp',
  synced: true,
  maxDeletionPercent: 50,
  maxDeletionCount: null,
  protectedAccounts: [],
  periodic: false,
  onDelete: 'delete',
  pausedUntil: null,
  allowSourceShrink: true,
  notify: 'changes-only',
  updatedAt: '2026-01-01T00:00:00.000Z',
  updatedBy: null,
  ...over,
});

export function makePlan(options: {
  source: SourceUser[];
  entra: EntraUser[];
  settings?: Partial<DomainSettings>;
  id?: string;
  authenticationType?: 'Managed' | 'Federated';
}): Plan {
  return buildPlan(
    {
      domain: 'contoso.co.jp',
      authenticationType: options.authenticationType ?? 'Managed',
      source: options.source,
      entra: options.entra,
      deleted: [],
      adminIds: new Set(),
      previousSourceCount: null,
    },
    settings(options.settings),
    { id: options.id ?? 'plan-1', now: '2026-01-02T03:04:05.000Z', createdBy: 'Alex' },
  );
}
