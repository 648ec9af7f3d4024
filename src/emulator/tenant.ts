// The emulated tenant: organization, domains, users (store), directory role assignments; loaded from a seed.
import { createHash, randomUUID } from 'node:crypto';
import type { EmulatorSeed, SeedDomain, SeedGroup, TenantSize } from './seed.js';
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

export interface Domain extends Required<SeedDomain> {}

export class Tenant {
  tenantId: string = randomUUID();
  displayName = 'Emulated tenant';
  /** The organization's country (GET /organization countryLetterCode). */
  countryLetterCode: string | null = 'JP';
  size: TenantSize = 'small';
  domains: Domain[] = [];
  roleAssignments: RoleAssignment[] = [];
  /** Groups, for the proxy addresses they hold (unique across users and groups). */
  groups: Required<SeedGroup>[] = [];
  readonly users: UserStore;

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
  load(seed: EmulatorSeed, defaults: { tenantSize: TenantSize }): void {
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
    const groups: Required<SeedGroup>[] = (seed.groups ?? []).map((g, i) => {
      if (ids.has(g.id)) problems.push(`groups.${i}.id: duplicate id ${g.id}`);
      ids.add(g.id);
      const mail = g.mail ?? null;
      const proxyAddresses = g.proxyAddresses ?? (mail ? [`SMTP:${mail}`] : []);
      for (const a of proxyAddresses) {
        if (proxies.has(proxyKey(a))) problems.push(`groups.${i}.proxyAddresses: ${a} is already a proxy address`);
        proxies.add(proxyKey(a));
      }
      return { id: g.id, displayName: g.displayName, mail, proxyAddresses };
    });
    const users = seed.users.map(toUser('users'));
    const deleted = (seed.deletedUsers ?? []).map(toUser('deletedUsers'));
    const assignments: RoleAssignment[] = [];
    (seed.directoryRoles ?? []).forEach((r, i) => {
      const def = ROLE_DEFINITIONS.find(
        (d) => d.displayName.toLowerCase() === r.roleName.toLowerCase() || d.id === r.roleName,
      );
      if (!def) {
        problems.push(
          `directoryRoles.${i}.roleName: unknown role "${r.roleName}" (known: ${ROLE_DEFINITIONS.map((d) => d.displayName).join(', ')})`,
        );
        return;
      }
      r.principalIds.forEach((p, j) => {
        const principal = ids.has(p) ? p : users.find((u) => u.userPrincipalName.toLowerCase() === p.toLowerCase())?.id;
        if (!principal) problems.push(`directoryRoles.${i}.principalIds.${j}: no user ${p}`);
        else
          assignments.push({
            id: assignmentId(def.id, principal),
            principalId: principal,
            roleDefinitionId: def.id,
            directoryScopeId: '/',
          });
      });
    });
    if (problems.length > 0) throw new SeedError(problems.slice(0, 20));
    if (seed.tenantId) this.tenantId = seed.tenantId;
    this.displayName = seed.organization?.displayName ?? seed.displayName ?? this.displayName;
    this.countryLetterCode = seed.organization ? seed.organization.countryLetterCode : 'JP';
    this.size = seed.tenantSize ?? defaults.tenantSize;
    this.domains = domains;
    this.roleAssignments = assignments;
    this.groups = groups;
    this.users.load(users, deleted, groups);
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
    const byRole = new Map<string, string[]>();
    for (const a of this.roleAssignments) {
      const name = ROLE_DEFINITIONS.find((d) => d.id === a.roleDefinitionId)!.displayName;
      byRole.set(name, [...(byRole.get(name) ?? []), a.principalId]);
    }
    return {
      tenantId: this.tenantId,
      tenantSize: this.size,
      displayName: this.displayName,
      organization: { displayName: this.displayName, countryLetterCode: this.countryLetterCode },
      domains: this.domains.map((d) => ({ ...d })),
      users: this.users.allUsers().map(strip),
      deletedUsers: this.users.deletedUsers().map(strip),
      ...(this.groups.length > 0 ? { groups: this.groups.map((g) => ({ ...g })) } : {}),
      directoryRoles: [...byRole].map(([roleName, principalIds]) => ({ roleName, principalIds })),
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
