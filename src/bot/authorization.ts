// Who may configure and approve: live Global Administrators (checked through Graph; cached briefly for reads,
// asked again before every write) or listed admins.

export type AuthorizationAnswer =
  | { readonly allowed: true; readonly via: 'admin-list' | 'global-admin' }
  /** `code` names the refusal so the bot can say it in the reader's language (string table `auth.reason.<code>`). */
  | { readonly allowed: false; readonly code: AuthorizationRefusal; readonly reason: string };

export type AuthorizationRefusal = 'unknown-identity' | 'check-failed' | 'not-admin';

export interface AuthorizerOptions {
  /** ADMIN_AAD_OBJECT_IDS. */
  readonly adminIds: readonly string[];
  /** The live Global Administrator check (Graph). */
  readonly isGlobalAdmin: (aadObjectId: string) => Promise<boolean>;
  /** How long an answer from Graph is reused (default 5 minutes). */
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

export interface Authorizer {
  /**
   * `live`: ask Graph now, ignoring a cached answer (before any write: a demoted administrator must not keep the
   * power to sync, change settings, move or import for the cache's lifetime).
   */
  check(aadObjectId: string | null | undefined, options?: { readonly live?: boolean }): Promise<AuthorizationAnswer>;
  /** A sentence that says who can act, for refusals and help. */
  readonly whoCanAct: string;
}

export const WHO_CAN_ACT =
  'Only Global Administrators of this tenant, or the people the bot operator listed in ADMIN_AAD_OBJECT_IDS, can run commands that read or change the sync.';

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const listed = new Set(options.adminIds.map((id) => id.toLowerCase()));
  const cache = new Map<string, { value: boolean; until: number }>();
  return {
    whoCanAct: WHO_CAN_ACT,
    async check(aadObjectId, checkOptions = {}) {
      const id = (aadObjectId ?? '').trim().toLowerCase();
      if (!id)
        return {
          allowed: false,
          code: 'unknown-identity',
          reason: `Your Microsoft Entra identity is not known to the bot. ${WHO_CAN_ACT}`,
        };
      if (listed.has(id)) return { allowed: true, via: 'admin-list' };
      const hit = cache.get(id);
      let isAdmin: boolean;
      if (hit && hit.until > now() && !checkOptions.live) {
        isAdmin = hit.value;
      } else {
        try {
          isAdmin = await options.isGlobalAdmin(id);
        } catch (err) {
          options.onError?.(err);
          return {
            allowed: false,
            code: 'check-failed',
            reason: `The bot could not check your Global Administrator role right now. Try again in a minute. ${WHO_CAN_ACT}`,
          };
        }
        cache.set(id, { value: isAdmin, until: now() + ttl });
        if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      }
      return isAdmin
        ? { allowed: true, via: 'global-admin' }
        : {
            allowed: false,
            code: 'not-admin',
            reason: `You are not a Global Administrator of this tenant. ${WHO_CAN_ACT}`,
          };
    },
  };
}
