// Tenant allow-list: which Microsoft Entra tenant an incoming activity comes from, and whether the bot serves it.

interface ActivityLike {
  readonly conversation?: { readonly tenantId?: unknown } | null;
  readonly channelData?: { readonly tenant?: { readonly id?: unknown } | null } | null;
}

/** The activity's tenant: channelData.tenant.id (Teams) and conversation.tenantId must agree when both are set. */
export function activityTenantId(activity: ActivityLike): { tenantId: string | null; conflict: boolean } {
  const a = typeof activity?.channelData?.tenant?.id === 'string' ? activity.channelData.tenant.id.toLowerCase() : null;
  const b = typeof activity?.conversation?.tenantId === 'string' ? activity.conversation.tenantId.toLowerCase() : null;
  if (a && b && a !== b) return { tenantId: null, conflict: true };
  return { tenantId: a ?? b, conflict: false };
}

export type TenantVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * allowed: the tenant ids the bot serves. An empty list serves any tenant, which only local mode permits
 * (the server refuses to start otherwise).
 */
export function checkTenant(activity: ActivityLike, allowed: readonly string[]): TenantVerdict {
  const { tenantId, conflict } = activityTenantId(activity);
  if (conflict) return { allowed: false, reason: 'conflicting tenant ids in the activity' };
  if (allowed.length === 0) return { allowed: true };
  if (!tenantId) return { allowed: false, reason: 'the activity names no tenant' };
  return allowed.some((t) => t.toLowerCase() === tenantId)
    ? { allowed: true }
    : { allowed: false, reason: `tenant ${tenantId} is not in ALLOWED_TENANT_IDS` };
}
