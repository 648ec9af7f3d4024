// Builds the hashed, versioned plan from a snapshot: sorted changes, counts, deletion share, guard, fingerprints.
import { createHash } from 'node:crypto';
import { bufferedSink, writeCanonicalJson, writeCanonicalJsonStreaming } from './canonical-json.js';
import { diff } from './diff.js';
import { entraFingerprint, sourceFingerprint } from './fingerprint.js';
import { checkGuard, deletionShare, inScopeCount } from './guard.js';
import { settingsFingerprint, writeSettingsOf } from './plan-freshness.js';
import { classifyByName } from './precheck-core.js';
import {
  type Change,
  type ChangeAction,
  type DomainSettings,
  type DomainSnapshot,
  type EntraUser,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanCounts,
} from './model.js';

/** The domain's stored settings; `usageLocation` is its own (null: the organization's country, passed to buildPlan). */
export type PlanSettings = Pick<
  DomainSettings,
  'maxDeletionPercent' | 'maxDeletionCount' | 'onDelete' | 'protectedAccounts' | 'allowSourceShrink' | 'usageLocation'
>;

export interface PlanMeta {
  readonly id: string;
  /** The plan's creation time (passed in: the core has no clock). */
  readonly now: Date | string;
  readonly createdBy?: string | null;
}

const ACTION_ORDER: Readonly<Record<ChangeAction, number>> = { Add: 0, Update: 1, Delete: 2, Skip: 3, NoChange: 4 };

/** Compares by Unicode code point (not UTF-16 code unit): astral characters sort after U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800–DFFF) encode code points above FFFF: move them past E000–FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

const entraIdOf = (c: Change): string => (c.action === 'Add' ? '' : (c.entraId ?? ''));

/** A code unit where code-point order can differ from the engine's code-unit order (D800 and above). */
const HIGH_UNIT = /[\ud800-\uffff]/;

/**
 * Sorts in plan/CSV order: Add, Update, Delete, Skip, NoChange, then lower-case UPN, Immutable ID, Entra id.
 * Code-unit order (the engine's own string comparison) equals code-point order unless both strings have a code unit
 * from D800 up where they first differ: the UPNs are compared natively, and with compareCodePoints only when both
 * have such a unit.
 */
export function sortChanges(changes: readonly Change[]): Change[] {
  const keyed = changes.map((c) => {
    const u = c.upn.toLowerCase();
    return { c, o: ACTION_ORDER[c.action], u, high: HIGH_UNIT.test(u) };
  });
  keyed.sort(
    (p, q) =>
      p.o - q.o ||
      (p.high && q.high ? compareCodePoints(p.u, q.u) : p.u < q.u ? -1 : p.u > q.u ? 1 : 0) ||
      compareCodePoints(p.c.immutableId ?? '', q.c.immutableId ?? '') ||
      compareCodePoints(entraIdOf(p.c), entraIdOf(q.c)),
  );
  return keyed.map((k) => k.c);
}

export function countChanges(changes: readonly Change[]): PlanCounts {
  let add = 0;
  let update = 0;
  let del = 0;
  let skip = 0;
  let noChange = 0;
  let restore = 0;
  for (const c of changes) {
    if (c.action === 'Add') {
      add++;
      if (c.restoreId) restore++;
    } else if (c.action === 'Update') update++;
    else if (c.action === 'Delete') del++;
    else if (c.action === 'Skip') skip++;
    else noChange++;
  }
  return { add, update, delete: del, skip, noChange, restore };
}

/** sha256 hex of the canonical JSON of the plan without `hash`, fed to the hash in blocks (no giant string). */
export function computePlanHash(plan: Omit<Plan, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...body } = plan;
  const h = createHash('sha256');
  const { sink, flush } = bufferedSink((text) => h.update(text, 'utf8'));
  writeCanonicalJson(body, sink);
  flush();
  return h.digest('hex');
}

/**
 * Marks the deletes whose name says room, shared mailbox or service account (see precheck-core). `changes` is
 * buildPlan's own sorted array: the deletes are replaced in place, and only their Entra users are looked up (one
 * pass over the snapshot, no index of all of it).
 */
function hintNonUsers(changes: Change[], snapshot: Pick<DomainSnapshot, 'entra'>): Change[] {
  const deleteUsers = new Map<string, EntraUser | undefined>();
  for (const c of changes) if (c.action === 'Delete') deleteUsers.set(c.entraId, undefined);
  if (deleteUsers.size === 0) return changes;
  for (const e of snapshot.entra) if (deleteUsers.has(e.id)) deleteUsers.set(e.id, e);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    if (c.action !== 'Delete') continue;
    const user = deleteUsers.get(c.entraId);
    const guess = user ? classifyByName(user) : null;
    if (guess) changes[i] = { ...c, nonUserHint: `looks like a ${guess.likelyKind.replace('-', ' ')} (${guess.why})` };
  }
  return changes;
}

/**
 * The dry run's plan: pure, deterministic for the same snapshot, settings, meta and organization country. The write
 * settings are decided here, once: the plan records them and the diff reads its usage location from them.
 */
export function buildPlan(
  snapshot: DomainSnapshot,
  settings: PlanSettings,
  meta: PlanMeta,
  organizationCountry: string | null = null,
): Plan {
  const writeSettings = writeSettingsOf(settings, snapshot.authenticationType, organizationCountry);
  const changes = hintNonUsers(
    sortChanges(diff(snapshot, { ...settings, usageLocation: writeSettings.usageLocation })),
    snapshot,
  );
  const counts = countChanges(changes);
  const planSettings = {
    maxDeletionPercent: settings.maxDeletionPercent,
    maxDeletionCount: settings.maxDeletionCount ?? null,
    onDelete: settings.onDelete,
    protectedAccounts: [...settings.protectedAccounts],
  };
  const deletion = deletionShare(counts, inScopeCount(snapshot), planSettings);
  const guard = checkGuard(
    { deletion, sourceCount: snapshot.source.length, previousSourceCount: snapshot.previousSourceCount },
    { ...planSettings, allowSourceShrink: settings.allowSourceShrink },
  );
  const body: Omit<Plan, 'hash'> = {
    formatVersion: PLAN_FORMAT_VERSION,
    id: meta.id,
    domain: snapshot.domain,
    createdAt: typeof meta.now === 'string' ? meta.now : meta.now.toISOString(),
    createdBy: meta.createdBy ?? null,
    sourceFingerprint: snapshot.sourceFingerprint ?? sourceFingerprint(snapshot.source),
    entraFingerprint: entraFingerprint(snapshot.entra, snapshot.deleted, snapshot.adminIds),
    settings: planSettings,
    writeSettings,
    settingsFingerprint: settingsFingerprint(writeSettings),
    changes,
    counts,
    deletion,
    guard,
  };
  return { ...body, hash: computePlanHash(body) };
}

/** True when the plan's content still matches its hash (detects any edit of a stored plan). */
export function verifyPlanHash(plan: Plan): boolean {
  return typeof plan.hash === 'string' && computePlanHash(plan) === plan.hash;
}

/**
 * verifyPlanHash for a stored plan: its summary and its changes read chunk by chunk (the same canonical JSON, never
 * the whole plan in memory). `changeCount` and `csvBytes` are the store's, not part of the plan.
 */
export async function verifyStoredPlanHash(
  summary: Omit<Plan, 'changes'> & { readonly changeCount?: number; readonly csvBytes?: number },
  changes: AsyncIterable<readonly Change[]>,
): Promise<boolean> {
  const { hash, changeCount: _n, csvBytes: _b, ...body } = summary;
  if (typeof hash !== 'string') return false;
  const h = createHash('sha256');
  const { sink, flush } = bufferedSink((text) => h.update(text, 'utf8'));
  await writeCanonicalJsonStreaming(body, 'changes', changes, sink);
  flush();
  return h.digest('hex') === hash;
}

/** The one short form of a plan hash: its first 12 hex digits (cards, CSV file names, logs, CLI). */
export function planShortHash(hash: string): string {
  return hash.slice(0, 12);
}

/**
 * New users (creates, not restores) who cannot sign in after the sync: in a managed domain they get a random
 * password nobody knows, so an administrator must give each a password or a Temporary Access Pass. 0 in a
 * federated domain (they sign in at the identity provider).
 */
export function newUsersWithoutCredentials(plan: Pick<Plan, 'changes'> & Partial<Pick<Plan, 'writeSettings'>>): number {
  if (plan.writeSettings?.authenticationType !== 'Managed') return 0;
  let n = 0;
  for (const c of plan.changes) if (c.action === 'Add' && !c.restoreId) n++;
  return n;
}
