// Turns a seed into the tenant's content, checking its cross-field rules (verified UPN domains, unique UPN, id,
// Immutable ID and proxy addresses, known role names, role holders and group members that exist) first.
import { type EmulatorSeed, SeedError, type TenantSize } from './seed.js';
import {
  assignmentId,
  type Domain,
  type GroupData,
  type PrincipalKind,
  ROLE_DEFINITIONS,
  type RoleAssignment,
  type RoleDefinition,
  type RoleEligibility,
  type ServicePrincipal,
  stableId,
} from './tenant-objects.js';
import { completeUser, proxyKey, type UserData } from './user-schema.js';

/** Everything a seed puts in the tenant, checked and resolved to object ids. */
export interface SeedContent {
  readonly domains: Domain[];
  readonly users: UserData[];
  readonly deleted: UserData[];
  readonly groups: Map<string, GroupData>;
  readonly principals: Map<string, ServicePrincipal>;
  readonly assignments: RoleAssignment[];
  readonly eligibilities: RoleEligibility[];
}

/**
 * The seed's content, users created at `now` unless it says otherwise; throws `SeedError` naming up to 20 problems
 * (as `field.index.property: what is wrong`) when the seed breaks a rule, before anything is changed.
 */
export function seedContent(
  seed: EmulatorSeed,
  defaults: { tenantSize: TenantSize; servicePrincipals?: readonly ServicePrincipal[] },
  now: string,
): SeedContent {
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
  return { domains, users, deleted, groups, principals, assignments, eligibilities };
}
