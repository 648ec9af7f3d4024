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

/**
 * What one completed change must look like in a listing, reduced to what the check reads: an Add is found by its
 * Immutable ID, an Update or a Delete by its Entra id. Built once from the plan (chunk by chunk), then checked against
 * every re-listing without walking the plan again or indexing the listing.
 */
export interface ExpectedWrite {
  readonly action: Change['action'];
  readonly upn: string;
  /** `I` + Immutable ID for an Add, `E` + Entra id for an Update or a Delete. */
  readonly key: string;
  /** An Update: the written values (null when the Update moved the UPN out of the domain: it must be gone). */
  readonly values?: readonly { readonly attribute: string; readonly after: unknown }[] | null;
  /** A Delete that disables instead. */
  readonly disable?: boolean;
}

/** The completed changes among `plan.changes` (a chunk of them will do), as what a listing must show. */
export function expectedWrites(
  plan: Pick<Plan, 'domain' | 'changes'>,
  outcomes: readonly UserOutcome[] | ReadonlySet<string>,
): ExpectedWrite[] {
  const done = outcomes instanceof Set ? outcomes : completedChanges(outcomes as readonly UserOutcome[]);
  const inDomain = (upn: string) => upn.toLowerCase().endsWith(`@${plan.domain.toLowerCase()}`);
  const expected: ExpectedWrite[] = [];
  for (const c of plan.changes) {
    if (c.action !== 'Add' && c.action !== 'Update' && c.action !== 'Delete') continue;
    if (!done.has(outcomeKey(c))) continue;
    if (c.action === 'Add') expected.push({ action: c.action, upn: c.upn, key: `I${c.immutableId}` });
    else if (c.action === 'Update') {
      const values = inDomain(c.upn) ? c.changes.map((x) => ({ attribute: x.attribute, after: x.after })) : null;
      expected.push({ action: c.action, upn: c.upn, key: `E${c.entraId}`, values });
    } else expected.push({ action: c.action, upn: c.upn, key: `E${c.entraId}`, disable: c.mode === 'disable' });
  }
  return expected;
}

/** Checks one listing, handed over page by page, against the expected writes. */
export interface ListingCheck {
  /** One page of the listing (a user listed again replaces the earlier one). */
  see(users: readonly EntraUser[]): void;
  /** The expected writes the pages seen do not show, in the plan's order. */
  unseen(): UnseenWrite[];
}

/**
 * Compares the changes a run completed with a fresh listing of the domain's Entra users: an Add must be listed
 * with its Immutable ID and UPN, an Update with every value it wrote (or gone, when it moved the UPN out of the
 * domain), a Delete must be gone (or listed disabled, when the plan disables instead). A preview whose listing
 * passes this check shows none of these changes again. Of each page only what the expected writes name is kept:
 * an added user's UPN, the listed values an updated user's check compares, a disabled user's accountEnabled, and for
 * a deleted user that it is still listed.
 */
export function listingCheck(expected: readonly ExpectedWrite[]): ListingCheck {
  // Per Entra id an expected write names, the listed properties its check reads: the values an Update wrote, whether
  // a Delete that disables is enabled. Of a listed user only those are kept, not its whole record.
  const read = new Map<string, Set<string>>();
  const wantedIds = new Set<string>();
  for (const e of expected) {
    if (e.action === 'Add') {
      wantedIds.add(e.key);
      continue;
    }
    const names = read.get(e.key) ?? new Set<string>();
    read.set(e.key, names);
    if (e.values) for (const x of e.values) names.add(x.attribute);
    if (e.action === 'Delete' && e.disable) names.add('accountEnabled');
  }
  const listedUpn = new Map<string, string>();
  const listedById = new Map<string, Partial<Record<keyof EntraUser, unknown>>>();
  return {
    see(users) {
      for (const u of users) {
        const key = `E${u.id}`;
        const names = read.get(key);
        if (names) {
          const kept: Partial<Record<keyof EntraUser, unknown>> = {};
          for (const name of names) if (name in u) kept[name as keyof EntraUser] = u[name as keyof EntraUser];
          listedById.set(key, kept);
        }
        if (u.onPremisesImmutableId && wantedIds.has(`I${u.onPremisesImmutableId}`))
          listedUpn.set(`I${u.onPremisesImmutableId}`, u.userPrincipalName);
      }
    },
    unseen() {
      const unseen: UnseenWrite[] = [];
      for (const e of expected) {
        const miss = (why: string) => unseen.push({ action: e.action, upn: e.upn, why });
        if (e.action === 'Add') {
          const upn = listedUpn.get(e.key);
          if (upn === undefined) miss('not listed yet');
          else if (upn.toLowerCase() !== e.upn.toLowerCase()) miss(`listed as ${upn}`);
          continue;
        }
        const u = listedById.get(e.key);
        if (e.action === 'Update') {
          if (!e.values) {
            if (u) miss('still listed in the domain');
            continue;
          }
          if (!u) {
            miss('not listed');
            continue;
          }
          // Only attributes the listing reads can be compared (a written attribute it does not select is not waited for).
          const stale = e.values.find((x) => x.attribute in u && !same(u[x.attribute as keyof EntraUser], x.after));
          if (stale) miss(`${stale.attribute} still listed with its old value`);
        } else if (e.disable) {
          if (u && u.accountEnabled !== false) miss('still listed as enabled');
        } else if (u) miss('still listed');
      }
      return unseen;
    },
  };
}

/** expectedWrites and listingCheck in one step, for a plan and a listing held whole. */
export function unseenWrites(
  plan: Pick<Plan, 'domain' | 'changes'>,
  outcomes: readonly UserOutcome[] | ReadonlySet<string>,
  listed: readonly EntraUser[],
): UnseenWrite[] {
  const check = listingCheck(expectedWrites(plan, outcomes));
  check.see(listed);
  return check.unseen();
}
