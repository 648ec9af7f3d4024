// Which of a run's own writes a domain listing does not show yet (Graph's listings are eventually consistent).
import type { Change, EntraUser, Plan, UserOutcome } from './model.js';

/** A written change that the listing does not reflect yet, for the log. */
export interface UnseenWrite {
  readonly action: Change['action'];
  readonly upn: string;
  readonly why: string;
}

const outcomeKey = (o: { action: string; upn: string; immutableId: string | null }) =>
  `${o.action}\u0000${o.upn.toLowerCase()}\u0000${o.immutableId ?? ''}`;

const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

/** The changes a run completed, as the keys unseenWrites looks them up by (build once, check many listings). */
export function completedChanges(outcomes: readonly UserOutcome[]): ReadonlySet<string> {
  const done = new Set<string>();
  for (const o of outcomes) if (o.result === 'done') done.add(outcomeKey(o));
  return done;
}

/** A domain listing indexed the way unseenWrites looks users up (build once, check the plan chunk by chunk). */
export interface ListingIndex {
  readonly byId: ReadonlyMap<string, EntraUser>;
  readonly byImmutableId: ReadonlyMap<string, EntraUser>;
}

export function indexListing(listed: readonly EntraUser[]): ListingIndex {
  const byId = new Map(listed.map((u) => [u.id, u]));
  const byImmutableId = new Map<string, EntraUser>();
  for (const u of listed) if (u.onPremisesImmutableId) byImmutableId.set(u.onPremisesImmutableId, u);
  return { byId, byImmutableId };
}

/**
 * Compares the changes a run completed with a fresh listing of the domain's Entra users: an Add must be listed
 * with its Immutable ID and UPN, an Update with every value it wrote (or gone, when it moved the UPN out of the
 * domain), a Delete must be gone (or listed disabled, when the plan disables instead). A preview whose listing
 * passes this check shows none of these changes again.
 */
export function unseenWrites(
  plan: Pick<Plan, 'domain' | 'changes'>,
  outcomes: readonly UserOutcome[] | ReadonlySet<string>,
  listed: readonly EntraUser[] | ListingIndex,
): UnseenWrite[] {
  const done = outcomes instanceof Set ? outcomes : completedChanges(outcomes as readonly UserOutcome[]);
  const { byId, byImmutableId } = Array.isArray(listed) ? indexListing(listed) : (listed as ListingIndex);
  const inDomain = (upn: string) => upn.toLowerCase().endsWith(`@${plan.domain.toLowerCase()}`);
  const unseen: UnseenWrite[] = [];
  for (const c of plan.changes) {
    if (c.action !== 'Add' && c.action !== 'Update' && c.action !== 'Delete') continue;
    if (!done.has(outcomeKey(c))) continue;
    const miss = (why: string) => unseen.push({ action: c.action, upn: c.upn, why });
    if (c.action === 'Add') {
      const u = byImmutableId.get(c.immutableId);
      if (!u) miss('not listed yet');
      else if (u.userPrincipalName.toLowerCase() !== c.upn.toLowerCase()) miss(`listed as ${u.userPrincipalName}`);
    } else if (c.action === 'Update') {
      const u = byId.get(c.entraId);
      if (!inDomain(c.upn)) {
        if (u) miss('still listed in the domain');
        continue;
      }
      if (!u) {
        miss('not listed');
        continue;
      }
      // Only attributes the listing reads can be compared (a written attribute it does not select is not waited for).
      const stale = c.changes.find((x) => x.attribute in u && !same(u[x.attribute as keyof EntraUser], x.after));
      if (stale) miss(`${stale.attribute} still listed with its old value`);
    } else {
      const u = byId.get(c.entraId);
      if (c.mode === 'disable') {
        if (u && u.accountEnabled !== false) miss('still listed as enabled');
      } else if (u) miss('still listed');
    }
  }
  return unseen;
}
