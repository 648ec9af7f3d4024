// Test helpers for the sync core: builders, fast-check generators of snapshots, and an in-memory Entra that applies write ops.
import fc from 'fast-check';
import { toBatchRequest } from '../../src/entra/write-requests.js';
import type { DeletedEntraUser, DomainSettings, DomainSnapshot, EntraUser, SourceUser } from '../../src/sync/model.js';
import { originalUpnOfDeleted, proxyKeyOf } from '../../src/sync/diff-values.js';
import type { WriteOp } from '../../src/sync/ports.js';

export const DOMAIN = 'contoso.co.jp';

export function entraUser(partial: Partial<EntraUser> & { id: string; userPrincipalName: string }): EntraUser {
  return {
    displayName: null,
    givenName: null,
    surname: null,
    mailNickname: null,
    onPremisesImmutableId: null,
    onPremisesSyncEnabled: null,
    userType: 'Member',
    accountEnabled: true,
    mail: null,
    jobTitle: null,
    department: null,
    employeeId: null,
    mobilePhone: null,
    ...partial,
  };
}

export function snapshot(partial: Partial<DomainSnapshot>): DomainSnapshot {
  return {
    domain: DOMAIN,
    authenticationType: 'Managed',
    source: [],
    entra: [],
    deleted: [],
    adminIds: new Set(),
    previousSourceCount: null,
    ...partial,
  };
}

export function settings(partial: Partial<DomainSettings> = {}): DomainSettings {
  return {
    domain: DOMAIN,
    synced: true,
    maxDeletionPercent: 10,
    maxDeletionCount: null,
    protectedAccounts: [],
    periodic: false,
    onDelete: 'delete',
    pausedUntil: null,
    allowSourceShrink: false,
    notify: 'changes-only',
    updatedAt: '2026-01-01T00:00:00.000Z',
    updatedBy: null,
    ...partial,
  };
}

// ---- generators: small pools so that collisions (same UPN, same Immutable ID) are frequent ----

const LOCALS = ['a', 'b', 'c', 'd', 'e', 'A', 'B', 'taro.yamada', 'info'];
const IDS = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6'];
const NAMES = ['Alice', 'Bob', '山田 太郎', '=HYPERLINK("x")', 'Zoë'];
const optText = (values: string[]) =>
  fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom(...values)) as fc.Arbitrary<
    string | null | undefined
  >;

const upnArb = fc
  .tuple(fc.constantFrom(...LOCALS), fc.constantFrom(DOMAIN, DOMAIN, DOMAIN, DOMAIN.toUpperCase(), 'other.example'))
  .map(([l, d]) => `${l}@${d}`);

export const sourceUserArb: fc.Arbitrary<SourceUser> = fc.record(
  {
    userPrincipalName: fc.oneof({ weight: 12, arbitrary: upnArb }, { weight: 1, arbitrary: fc.constant('bad upn') }),
    immutableId: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...IDS) },
      { weight: 1, arbitrary: fc.constant('x_y') },
    ),
    displayName: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...NAMES) },
      { weight: 1, arbitrary: fc.constant('') },
    ),
    givenName: optText(['Taro', '太郎']),
    surname: optText(['Yamada', '山田']),
    jobTitle: optText(['Engineer', '+Boss']),
    department: optText(['Sales']),
    // Mails that collide with each other and with Entra users' addresses (see entraUsersArb).
    mail: optText([`a.mail@${DOMAIN}`, `b.mail@${DOMAIN}`, `B.MAIL@${DOMAIN}`, `x.mail@${DOMAIN}`]),
    accountEnabled: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: ['userPrincipalName', 'immutableId', 'displayName'] },
);

const entraFieldsArb = fc.record({
  local: fc.constantFrom(...LOCALS),
  upperDomain: fc.boolean(),
  displayName: fc.option(fc.constantFrom(...NAMES), { nil: null }),
  givenName: fc.option(fc.constantFrom('Taro', '太郎'), { nil: null }),
  surname: fc.option(fc.constantFrom('Yamada', '山田'), { nil: null }),
  mailNickname: fc.option(fc.constantFrom('a', 'b', 'x'), { nil: null }),
  onPremisesImmutableId: fc.option(fc.constantFrom(...IDS), { nil: null }),
  onPremisesSyncEnabled: fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  userType: fc.oneof({ weight: 8, arbitrary: fc.constant('Member') }, { weight: 1, arbitrary: fc.constant('Guest') }),
  accountEnabled: fc.option(fc.boolean(), { nil: null }),
  jobTitle: fc.option(fc.constantFrom('Engineer'), { nil: null }),
  department: fc.option(fc.constantFrom('Sales'), { nil: null }),
  usageLocation: fc.option(fc.constantFrom('JP', 'US'), { nil: null }),
  hasMail: fc.boolean(),
});

/** Entra users with unique ids and unique UPNs (case-insensitive), as Entra guarantees. */
export const entraUsersArb: fc.Arbitrary<EntraUser[]> = fc
  .uniqueArray(entraFieldsArb, { maxLength: 6, selector: (f) => f.local.toLowerCase() })
  .map((list) =>
    list.map((f, i) =>
      entraUser({
        id: `e${i}`,
        userPrincipalName: `${f.local}@${f.upperDomain ? DOMAIN.toUpperCase() : DOMAIN}`,
        displayName: f.displayName,
        givenName: f.givenName,
        surname: f.surname,
        mailNickname: f.mailNickname,
        onPremisesImmutableId: f.onPremisesImmutableId,
        onPremisesSyncEnabled: f.onPremisesSyncEnabled,
        userType: f.userType,
        accountEnabled: f.accountEnabled,
        jobTitle: f.jobTitle,
        department: f.department,
        usageLocation: f.usageLocation,
        // Unique per user, as Graph keeps proxy addresses: `mail` is the primary SMTP address.
        mail: f.hasMail ? `${f.local.toLowerCase()}.mail@${DOMAIN}` : null,
        proxyAddresses: f.hasMail ? [`SMTP:${f.local.toLowerCase()}.mail@${DOMAIN}`] : [],
      }),
    ),
  );

const deletedArb: fc.Arbitrary<DeletedEntraUser[]> = fc
  .array(
    fc.record({
      local: fc.constantFrom(...LOCALS),
      immutableId: fc.option(fc.constantFrom(...IDS), { nil: null }),
      day: fc.integer({ min: 1, max: 9 }),
    }),
    { maxLength: 3 },
  )
  .map((list) =>
    list.map((d, i) => {
      const id = deletedId(i);
      // As Graph lists a deleted user: its object id without dashes, then its original UPN.
      return {
        id,
        userPrincipalName: graphDeletedUpn(id, `${d.local}@${DOMAIN}`),
        onPremisesImmutableId: d.immutableId,
        deletedDateTime: `2026-01-0${d.day}T00:00:00Z`,
      };
    }),
  );

/** A GUID-shaped object id for the i-th deleted user. */
const deletedId = (i: number): string => `0000000${i}-d31e-4ed0-9a00-00000000000${i}`;

/** `<object id without dashes><original UPN>`, the form of GET /directory/deletedItems/microsoft.graph.user. */
export const graphDeletedUpn = (id: string, upn: string): string => `${id.replace(/-/g, '')}${upn}`;

export const caseArb = fc
  .record({
    source: fc.array(sourceUserArb, { maxLength: 7 }),
    entra: entraUsersArb,
    deleted: deletedArb,
    adminMask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    protect: fc.constantFrom<string[]>([], ['e1'], [`b@${DOMAIN}`], [`A@${DOMAIN.toUpperCase()}`]),
    onDelete: fc.constantFrom<'delete' | 'disable'>('delete', 'disable'),
    maxDeletionPercent: fc.constantFrom(1, 10, 33.3, 50, 65, 100),
    maxDeletionCount: fc.constantFrom<number | null>(null, 0, 1, 3),
    previousSourceCount: fc.constantFrom<number | null>(null, 0, 2, 10),
    allowSourceShrink: fc.boolean(),
    usageLocation: fc.constantFrom<string | null>(null, 'JP'),
  })
  .map((c) => ({
    snapshot: snapshot({
      source: c.source,
      entra: c.entra,
      deleted: c.deleted,
      adminIds: new Set(c.entra.filter((_, i) => c.adminMask[i]).map((e) => e.id)),
      previousSourceCount: c.previousSourceCount,
    }),
    settings: settings({
      protectedAccounts: c.protect,
      onDelete: c.onDelete,
      maxDeletionPercent: c.maxDeletionPercent,
      maxDeletionCount: c.maxDeletionCount,
      allowSourceShrink: c.allowSourceShrink,
      usageLocation: c.usageLocation,
    }),
  }));

// ---- an in-memory Entra that enforces what Graph enforces (unique UPNs, restore needs a free UPN) ----

export class MemoryEntra {
  readonly live = new Map<string, EntraUser>();
  readonly deleted = new Map<string, EntraUser & { deletedDateTime: string }>();
  readonly writes: WriteOp[] = [];

  constructor(snap: DomainSnapshot) {
    for (const u of snap.entra) this.live.set(u.id, { ...u });
    for (const d of snap.deleted)
      this.deleted.set(d.id, {
        ...entraUser({ id: d.id, userPrincipalName: originalUpnOfDeleted(d) }),
        onPremisesImmutableId: d.onPremisesImmutableId,
        deletedDateTime: d.deletedDateTime ?? '',
      });
  }

  /** Graph keeps proxy addresses unique across live objects; `mail` is always one of them. */
  private addressTaken(mail: string, exceptId: string | null): boolean {
    const key = proxyKeyOf(mail);
    for (const u of this.live.values()) {
      if (u.id === exceptId) continue;
      if ((u.proxyAddresses ?? []).some((a) => proxyKeyOf(a) === key) || (u.mail && proxyKeyOf(u.mail) === key))
        return true;
    }
    return false;
  }

  private upnTaken(upn: string, exceptId: string | null): boolean {
    const key = upn.toLowerCase();
    for (const u of this.live.values()) if (u.id !== exceptId && u.userPrincipalName.toLowerCase() === key) return true;
    return false;
  }

  /** Applies the Graph request the Entra adapter makes of `op`, as Graph would. */
  apply(op: WriteOp): void {
    this.writes.push(op);
    const body = (toBatchRequest('1', op, () => 'unused').body ?? {}) as Record<string, string | boolean | null>;
    switch (op.kind) {
      case 'create': {
        const upn = String(body.userPrincipalName);
        if (this.upnTaken(upn, null)) throw new Error(`create ${op.opId}: UPN ${upn} already exists`);
        for (const u of this.live.values())
          if (u.onPremisesImmutableId === body.onPremisesImmutableId)
            throw new Error(`create ${op.opId}: Immutable ID already exists`);
        if (typeof body.mail === 'string' && this.addressTaken(body.mail, null))
          throw new Error(`create ${op.opId}: proxy address ${body.mail} already exists`);
        const id = `new:${String(body.onPremisesImmutableId)}`;
        const { passwordProfile: _p, ...fields } = body;
        this.live.set(id, {
          ...entraUser({ id, userPrincipalName: upn }),
          ...(fields as Partial<EntraUser>),
          proxyAddresses: typeof body.mail === 'string' ? [`SMTP:${body.mail}`] : [],
        });
        return;
      }
      case 'update':
      case 'disable': {
        const user = this.live.get(op.userId);
        if (!user) throw new Error(`update ${op.opId}: no live user ${op.userId}`);
        const upn = body.userPrincipalName;
        if (typeof upn === 'string' && this.upnTaken(upn, user.id))
          throw new Error(`update ${op.opId}: UPN ${upn} already exists`);
        const mail = body.mail;
        if (typeof mail === 'string' && this.addressTaken(mail, user.id))
          throw new Error(`update ${op.opId}: proxy address ${mail} already exists`);
        // The previous primary address stays as a secondary one (as Exchange Online keeps it).
        const proxies =
          'mail' in body
            ? [
                ...(typeof mail === 'string' ? [`SMTP:${mail}`] : []),
                ...(user.proxyAddresses ?? []).map((a) => `smtp:${a.slice(a.indexOf(':') + 1)}`),
              ]
            : user.proxyAddresses;
        this.live.set(user.id, { ...user, ...(body as Partial<EntraUser>), proxyAddresses: proxies ?? [] });
        return;
      }
      case 'delete': {
        const user = this.live.get(op.userId);
        if (!user) throw new Error(`delete ${op.opId}: no live user ${op.userId}`);
        this.live.delete(user.id);
        this.deleted.set(user.id, { ...user, deletedDateTime: '2026-02-01T00:00:00Z' });
        return;
      }
      case 'restore': {
        const user = this.deleted.get(op.deletedId);
        if (!user) throw new Error(`restore ${op.opId}: no deleted user ${op.deletedId}`);
        if (this.upnTaken(user.userPrincipalName, null))
          throw new Error(`restore ${op.opId}: UPN ${user.userPrincipalName} is taken`);
        for (const a of user.proxyAddresses ?? [])
          if (this.addressTaken(a, null)) throw new Error(`restore ${op.opId}: proxy address ${a} is taken`);
        this.deleted.delete(user.id);
        const { deletedDateTime: _d, ...rest } = user;
        this.live.set(user.id, rest);
        return;
      }
    }
  }

  /** Applies phases in order; inside a phase in reverse order (ops of a phase must not depend on each other). */
  applyPhases(phases: readonly (readonly WriteOp[])[]): void {
    for (const phase of phases) for (let i = phase.length - 1; i >= 0; i--) this.apply(phase[i]!);
  }

  snapshotAfter(before: DomainSnapshot): DomainSnapshot {
    const suffix = `@${before.domain.toLowerCase()}`;
    return {
      ...before,
      entra: [...this.live.values()].filter((u) => u.userPrincipalName.toLowerCase().endsWith(suffix)),
      deleted: [...this.deleted.values()].map((d) => ({
        id: d.id,
        userPrincipalName: graphDeletedUpn(d.id, d.userPrincipalName),
        onPremisesImmutableId: d.onPremisesImmutableId,
        deletedDateTime: d.deletedDateTime,
      })),
    };
  }
}
