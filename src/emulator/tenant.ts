// The emulated tenant: organization, domains, users (store), directory role assignments; loaded from a seed.
import { createHash, randomUUID } from 'node:crypto';
import type { EmulatorSeed, SeedDomain, TenantSize } from './seed.js';
import { SeedError } from './seed.js';
import { completeUser, proxyKey, type UserData } from './user-schema.js';
import { UserStore } from './user-store.js';

export interface RoleDefinition {
  id: string;
  displayName: string;
  description: string;
  isBuiltIn: true;
  isEnabled: true;
  templateId: string;
}

/** Built-in Entra roles (template ids as documented in "Microsoft Entra built-in roles"). */
export const ROLE_DEFINITIONS: readonly RoleDefinition[] = (
  [
    ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator', 'Can manage all aspects of Microsoft Entra ID.'],
    ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator', 'Can manage role assignments.'],
    [
      '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
      'Privileged Authentication Administrator',
      'Can access to view, set and reset authentication method information for any user (admin or non-admin).',
    ],
    ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator', 'Can manage all aspects of users and groups.'],
    ['f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader', 'Can read everything that a Global Administrator can.'],
    ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator', 'Can reset passwords for non-administrators.'],
    ['29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator', 'Can manage all aspects of Exchange.'],
    ['194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator', 'Can read security information and reports.'],
    ['b0f54661-2d74-4c50-afa3-1ec803f12efe', 'Billing Administrator', 'Can perform common billing related tasks.'],
  ] as const
).map(([id, displayName, description]) => ({
  id,
  displayName,
  description,
  isBuiltIn: true,
  isEnabled: true,
  templateId: id,
}));

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: '/';
}

/** A PIM eligibility (unifiedRoleEligibilityScheduleInstance); `activated` ones are also active assignments. */
export interface RoleEligibility {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: '/';
  activated: boolean;
}

export interface GroupData {
  id: string;
  displayName: string;
  isAssignableToRole: boolean;
  mail: string | null;
  proxyAddresses: string[];
  /** Direct members' object ids (users, groups, service principals). */
  members: string[];
}

/** The service principal of an app registration, as a role holder or group member. */
export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}

export type PrincipalKind = 'user' | 'group' | 'servicePrincipal';

/**
 * Roles whose holders may change and delete privileged users in app-only calls ("Who can perform sensitive
 * actions": https://learn.microsoft.com/en-us/graph/api/resources/users#who-can-perform-sensitive-actions).
 */
const PRIVILEGED_WRITER_ROLES: ReadonlySet<string> = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
]);

export interface Domain extends Required<SeedDomain> {}

export class Tenant {
  tenantId: string = randomUUID();
  displayName = 'Emulated tenant';
  /** The organization's country (GET /organization countryLetterCode). */
  countryLetterCode: string | null = 'JP';
  size: TenantSize = 'small';
  domains: Domain[] = [];
  roleAssignments: RoleAssignment[] = [];
  roleEligibilities: RoleEligibility[] = [];
  /** Groups: role-assignable ones can hold roles; every group's proxy addresses are unique across users and groups. */
  groups = new Map<string, GroupData>();
  servicePrincipals = new Map<string, ServicePrincipal>();
  readonly users: UserStore;
  /**
   * 'documented': a user $filter in a form the Graph documentation does not show is refused with Graph's 400
   * (POST /_emulator/filters); 'lenient' (default) accepts it, as Graph does in practice.
   */
  filterForms: 'lenient' | 'documented' = 'lenient';

  constructor(
    private readonly clock: () => number,
    replicationDelayMs: () => number,
  ) {
    this.users = new UserStore(clock, replicationDelayMs);
  }

  /**
   * Replaces the directory with the seed's content. Checks cross-field rules (verified UPN domains, unique UPN,
   * id and Immutable ID, known role names) first, so a bad seed changes nothing.
   */
  load(
    seed: EmulatorSeed,
    defaults: { tenantSize: TenantSize; servicePrincipals?: readonly ServicePrincipal[] },
  ): void {
    const problems: string[] = [];
    const domainIds = new Set<string>();
    seed.domains.forEach((d, i) => {
      if (domainIds.has(d.id.toLowerCase())) problems.push(`domains.${i}.id: duplicate domain ${d.id}`);
      domainIds.add(d.id.toLowerCase());
    });
    const domains: Domain[] = seed.domains.map((d) => ({
      id: d.id.toLowerCase(),
      authenticationType: d.authenticationType,
      isVerified: d.isVerified,
      isDefault: d.isDefault ?? false,
      isInitial: d.isInitial ?? false,
    }));
    if (domains.length > 0 && !domains.some((d) => d.isInitial)) {
      const initial = domains.find((d) => d.id.endsWith('.onmicrosoft.com'));
      if (initial) initial.isInitial = true;
    }
    if (domains.length > 0 && !domains.some((d) => d.isDefault))
      (domains.find((d) => d.isInitial) ?? domains[0]!).isDefault = true;
    const now = new Date(this.clock()).toISOString();
    const ids = new Set<string>();
    const upns = new Set<string>();
    const immutables = new Set<string>();
    const proxies = new Set<string>();
    const toUser =
      (field: string) =>
      (u: EmulatorSeed['users'][number], i: number): UserData => {
        const id = u.id ?? stableId(`${seed.tenantId ?? ''}/${u.userPrincipalName.toLowerCase()}`);
        if (ids.has(id)) problems.push(`${field}.${i}.id: duplicate id ${id}`);
        ids.add(id);
        const upn = u.userPrincipalName.toLowerCase();
        const domain = upn.slice(upn.lastIndexOf('@') + 1);
        if (!domainIds.has(domain))
          problems.push(`${field}.${i}.userPrincipalName: domain ${domain} is not one of the tenant's domains`);
        if (field === 'users') {
          if (upns.has(upn)) problems.push(`${field}.${i}.userPrincipalName: duplicate ${u.userPrincipalName}`);
          upns.add(upn);
          if (u.onPremisesImmutableId) {
            if (immutables.has(u.onPremisesImmutableId))
              problems.push(`${field}.${i}.onPremisesImmutableId: duplicate ${u.onPremisesImmutableId}`);
            immutables.add(u.onPremisesImmutableId);
          }
        }
        // No spread of the input: seeds can hold a million users, so allocate one object per user.
        const data = completeUser(u as Parameters<typeof completeUser>[0], now);
        if (field === 'users')
          for (const a of data.proxyAddresses) {
            if (proxies.has(proxyKey(a)))
              problems.push(`${field}.${i}.proxyAddresses: ${a} is already a proxy address of another user or group`);
            proxies.add(proxyKey(a));
          }
        data.id = id;
        data.deletedDateTime = field === 'deletedUsers' ? (u.deletedDateTime ?? now) : null;
        return data;
      };
    // A group's addresses: `SMTP:<mail>` unless given; unique across users and groups, like users' own.
    const groupProxies = (seed.groups ?? []).map((g, i) => {
      const proxyAddresses = g.proxyAddresses ?? (g.mail ? [`SMTP:${g.mail}`] : []);
      for (const a of proxyAddresses) {
        if (proxies.has(proxyKey(a))) problems.push(`groups.${i}.proxyAddresses: ${a} is already a proxy address`);
        proxies.add(proxyKey(a));
      }
      return proxyAddresses;
    });
    const users = seed.users.map(toUser('users'));
    const deleted = (seed.deletedUsers ?? []).map(toUser('deletedUsers'));
    const principals = new Map<string, ServicePrincipal>();
    for (const sp of defaults.servicePrincipals ?? []) principals.set(sp.id, sp);
    const spByRef = new Map<string, string>();
    for (const sp of principals.values()) {
      spByRef.set(sp.id, sp.id);
      spByRef.set(sp.appId, sp.id);
    }
    // Built on first use only: seeds of a million users rarely name role holders or group members.
    let userByUpn: Map<string, string> | null = null;
    const userIndex = (): Map<string, string> => {
      if (!userByUpn) {
        userByUpn = new Map();
        for (const u of users) {
          userByUpn.set(u.userPrincipalName.toLowerCase(), u.id);
          userByUpn.set(u.id, u.id);
        }
      }
      return userByUpn;
    };
    const groupIds = new Set<string>();
    (seed.groups ?? []).forEach((g, i) => {
      if (groupIds.has(g.id) || ids.has(g.id)) problems.push(`groups.${i}.id: duplicate id ${g.id}`);
      groupIds.add(g.id);
    });
    /** Resolves a seed reference to an object id and its kind, or null. */
    const resolve = (ref: string): { id: string; kind: PrincipalKind } | null => {
      const user = userIndex().get(ref) ?? userIndex().get(ref.toLowerCase());
      if (user) return { id: user, kind: 'user' };
      if (groupIds.has(ref)) return { id: ref, kind: 'group' };
      const sp = spByRef.get(ref);
      return sp ? { id: sp, kind: 'servicePrincipal' } : null;
    };
    const groups = new Map<string, GroupData>();
    (seed.groups ?? []).forEach((g, i) => {
      const members: string[] = [];
      g.members.forEach((m, j) => {
        const r = resolve(m);
        if (!r) problems.push(`groups.${i}.members.${j}: no user, group or service principal ${m}`);
        else if (r.kind === 'group' && g.isAssignableToRole)
          // https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept#restrictions-for-role-assignable-groups
          problems.push(`groups.${i}.members.${j}: a role-assignable group cannot have groups as members`);
        else if (r.id === g.id) problems.push(`groups.${i}.members.${j}: a group cannot be its own member`);
        else if (!members.includes(r.id)) members.push(r.id);
      });
      groups.set(g.id, {
        id: g.id,
        displayName: g.displayName,
        isAssignableToRole: g.isAssignableToRole ?? false,
        mail: g.mail ?? null,
        proxyAddresses: groupProxies[i] ?? [],
        members,
      });
    });
    const roleOf = (name: string, at: string): RoleDefinition | null => {
      const def = ROLE_DEFINITIONS.find((d) => d.displayName.toLowerCase() === name.toLowerCase() || d.id === name);
      if (!def)
        problems.push(
          `${at}.roleName: unknown role "${name}" (known: ${ROLE_DEFINITIONS.map((d) => d.displayName).join(', ')})`,
        );
      return def ?? null;
    };
    /** A role holder: a user, a role-assignable group or a service principal. */
    const holder = (ref: string, at: string): string | null => {
      const r = resolve(ref);
      if (!r) problems.push(`${at}: no user, group or service principal ${ref}`);
      else if (r.kind === 'group' && !groups.get(r.id)?.isAssignableToRole)
        // https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept
        problems.push(`${at}: group ${ref} is not role-assignable (isAssignableToRole: true is required)`);
      else return r.id;
      return null;
    };
    const assignments: RoleAssignment[] = [];
    const assign = (roleId: string, principal: string) => {
      const id = assignmentId(roleId, principal);
      if (!assignments.some((a) => a.id === id))
        assignments.push({ id, principalId: principal, roleDefinitionId: roleId, directoryScopeId: '/' });
    };
    (seed.directoryRoles ?? []).forEach((r, i) => {
      const def = roleOf(r.roleName, `directoryRoles.${i}`);
      if (!def) return;
      r.principalIds.forEach((p, j) => {
        const principal = holder(p, `directoryRoles.${i}.principalIds.${j}`);
        if (principal) assign(def.id, principal);
      });
    });
    const eligibilities: RoleEligibility[] = [];
    (seed.roleEligibilities ?? []).forEach((r, i) => {
      const def = roleOf(r.roleName, `roleEligibilities.${i}`);
      if (!def) return;
      const eligible = r.principalIds.map((p, j) => holder(p, `roleEligibilities.${i}.principalIds.${j}`));
      const activated = new Set<string>();
      (r.activatedIds ?? []).forEach((p, j) => {
        const id = resolve(p)?.id;
        if (!id || !eligible.includes(id))
          problems.push(`roleEligibilities.${i}.activatedIds.${j}: ${p} is not one of this role's eligible principals`);
        else activated.add(id);
      });
      for (const principal of eligible) {
        if (!principal) continue;
        const active = activated.has(principal);
        eligibilities.push({
          id: assignmentId(`eligible/${def.id}`, principal),
          principalId: principal,
          roleDefinitionId: def.id,
          directoryScopeId: '/',
          activated: active,
        });
        // An activated eligibility is an active role assignment for its duration.
        if (active) assign(def.id, principal);
      }
    });
    if (problems.length > 0) throw new SeedError(problems.slice(0, 20));
    if (seed.tenantId) this.tenantId = seed.tenantId;
    this.displayName = seed.organization?.displayName ?? seed.displayName ?? this.displayName;
    this.countryLetterCode = seed.organization ? seed.organization.countryLetterCode : 'JP';
    this.size = seed.tenantSize ?? defaults.tenantSize;
    this.domains = domains;
    this.roleAssignments = assignments;
    this.roleEligibilities = eligibilities;
    this.groups = groups;
    this.servicePrincipals = principals;
    this.users.load(users, deleted, [...groups.values()]);
  }

  /** What kind of directory object an id names (live users only), or null. */
  principalKind(id: string): PrincipalKind | null {
    if (this.groups.has(id)) return 'group';
    if (this.servicePrincipals.has(id)) return 'servicePrincipal';
    return this.users.get(id) ? 'user' : null;
  }

  /** Members of a group and of every group nested in it, each once, nested groups included (Graph's transitiveMembers). */
  transitiveMembers(groupId: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([groupId]);
    const queue = [groupId];
    while (queue.length > 0) {
      const g = this.groups.get(queue.shift()!);
      for (const m of g?.members ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.push(m);
        if (this.groups.has(m)) queue.push(m);
      }
    }
    return out;
  }

  /** Groups the object is a member of, directly or through nested groups. */
  private groupsOf(objectId: string): Set<string> {
    const out = new Set<string>();
    for (const g of this.groups.values()) if (this.transitiveMembers(g.id).includes(objectId)) out.add(g.id);
    return out;
  }

  /** Role definition ids the object holds: active (direct or through a group) and, with `eligible`, PIM-eligible. */
  rolesOf(objectId: string, options: { eligible: boolean }): Set<string> {
    const via = this.groupsOf(objectId);
    via.add(objectId);
    const roles = new Set<string>();
    for (const a of this.roleAssignments) if (via.has(a.principalId)) roles.add(a.roleDefinitionId);
    if (options.eligible)
      for (const e of this.roleEligibilities) if (via.has(e.principalId)) roles.add(e.roleDefinitionId);
    return roles;
  }

  /**
   * True when the user holds a directory role in any form (direct, through a group, PIM-eligible): Graph treats such
   * users as privileged (https://learn.microsoft.com/en-us/graph/api/user-delete#permissions). The docs do not say
   * whether a mere eligibility counts; the emulator takes the stricter reading.
   */
  isPrivileged(userId: string): boolean {
    return this.rolesOf(userId, { eligible: true }).size > 0;
  }

  /** True when the calling app's service principal holds a role that may write privileged users. */
  mayWritePrivileged(servicePrincipalId: string): boolean {
    for (const r of this.rolesOf(servicePrincipalId, { eligible: false }))
      if (PRIVILEGED_WRITER_ROLES.has(r)) return true;
    return false;
  }

  /** Drops a deleted object's role assignments, eligibilities and group memberships. */
  forgetPrincipal(objectId: string): void {
    this.roleAssignments = this.roleAssignments.filter((a) => a.principalId !== objectId);
    this.roleEligibilities = this.roleEligibilities.filter((e) => e.principalId !== objectId);
    for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== objectId);
  }

  domain(name: string): Domain | undefined {
    const d = name.toLowerCase();
    return this.domains.find((x) => x.id === d);
  }

  initialDomain(): Domain | undefined {
    return this.domains.find((d) => d.isInitial);
  }

  /** Tenant id or any verified domain of the tenant names this tenant (as in authority URLs). */
  matches(tenant: string): boolean {
    const t = tenant.toLowerCase();
    return t === this.tenantId || this.domains.some((d) => d.isVerified && d.id === t);
  }

  /** The seed that recreates the current state (for --state persistence and GET /_emulator/state). */
  toSeed(): EmulatorSeed {
    const strip = (u: UserData) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(u)) if (v !== null && !(k === 'deletedDateTime' && !v)) out[k] = v;
      return out as unknown as EmulatorSeed['users'][number];
    };
    const nameOf = (roleId: string) => ROLE_DEFINITIONS.find((d) => d.id === roleId)!.displayName;
    const activated = new Set(
      this.roleEligibilities.filter((e) => e.activated).map((e) => `${e.roleDefinitionId}/${e.principalId}`),
    );
    const byRole = new Map<string, string[]>();
    for (const a of this.roleAssignments) {
      if (activated.has(`${a.roleDefinitionId}/${a.principalId}`)) continue;
      const name = nameOf(a.roleDefinitionId);
      byRole.set(name, [...(byRole.get(name) ?? []), a.principalId]);
    }
    const eligible = new Map<string, { principalIds: string[]; activatedIds: string[] }>();
    for (const e of this.roleEligibilities) {
      const name = nameOf(e.roleDefinitionId);
      const slot = eligible.get(name) ?? { principalIds: [], activatedIds: [] };
      slot.principalIds.push(e.principalId);
      if (e.activated) slot.activatedIds.push(e.principalId);
      eligible.set(name, slot);
    }
    return {
      tenantId: this.tenantId,
      tenantSize: this.size,
      displayName: this.displayName,
      organization: { displayName: this.displayName, countryLetterCode: this.countryLetterCode },
      domains: this.domains.map((d) => ({ ...d })),
      users: this.users.allUsers().map(strip),
      deletedUsers: this.users.deletedUsers().map(strip),
      directoryRoles: [...byRole].map(([roleName, principalIds]) => ({ roleName, principalIds })),
      ...(eligible.size > 0
        ? {
            roleEligibilities: [...eligible].map(([roleName, e]) => ({
              roleName,
              principalIds: e.principalIds,
              ...(e.activatedIds.length > 0 ? { activatedIds: e.activatedIds } : {}),
            })),
          }
        : {}),
      ...(this.groups.size > 0
        ? {
            groups: [...this.groups.values()].map((g) => ({
              id: g.id,
              displayName: g.displayName,
              isAssignableToRole: g.isAssignableToRole,
              ...(g.mail ? { mail: g.mail } : {}),
              ...(g.proxyAddresses.length > 0 ? { proxyAddresses: g.proxyAddresses } : {}),
              members: g.members,
            })),
          }
        : {}),
    };
  }
}

/** A deterministic GUID-shaped id from a key (so seeds without ids give the same ids every run). */
export function stableId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function assignmentId(roleId: string, principalId: string): string {
  return createHash('sha256').update(`${roleId}/${principalId}`).digest('base64url').slice(0, 43);
}
