// The emulated tenant: organization, domains, users (store), groups and directory role assignments; loaded from a seed.
import { randomUUID } from 'node:crypto';
import type { EmulatorSeed, TenantSize } from './seed.js';
import {
  type Domain,
  type GroupData,
  type PrincipalKind,
  ROLE_DEFINITIONS,
  type RoleAssignment,
  type RoleEligibility,
  type ServicePrincipal,
} from './tenant-objects.js';
import type { UserData } from './user-schema.js';
import { seedContent } from './tenant-seed.js';
import { UserStore } from './user-store.js';

/**
 * Roles whose holders may change and delete privileged users in app-only calls ("Who can perform sensitive
 * actions": https://learn.microsoft.com/en-us/graph/api/resources/users#who-can-perform-sensitive-actions).
 */
const PRIVILEGED_WRITER_ROLES: ReadonlySet<string> = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
]);

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
   * Replaces the directory with the seed's content. `seedContent` checks the seed's cross-field rules first, so a
   * bad seed changes nothing.
   */
  load(
    seed: EmulatorSeed,
    defaults: { tenantSize: TenantSize; servicePrincipals?: readonly ServicePrincipal[] },
  ): void {
    const { domains, users, deleted, groups, principals, assignments, eligibilities } = seedContent(
      seed,
      defaults,
      new Date(this.clock()).toISOString(),
    );
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
