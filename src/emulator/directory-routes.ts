// Graph v1.0 tenant-level resources: /domains, /organization, /roleManagement/directory role assignments and definitions.
import { contextUrl, type GraphContext, parseGraphFilter, requireAny } from './graph-context.js';
import { GraphErrorResponse, type GraphRequest, type GraphResponse, notFound, ok } from './graph-types.js';
import { evaluateFilter, type FilterExpr, filterTerms } from './odata.js';
import type { Tenant } from './tenant.js';
import { ROLE_DEFINITIONS, type RoleAssignment } from './tenant-objects.js';

const READ_DOMAINS = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/**
 * Application permissions that read the organization (https://learn.microsoft.com/en-us/graph/api/organization-list):
 * User.Read.All is not one of them.
 */
const READ_ORG = ['Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const READ_ROLES = [
  'RoleManagement.Read.Directory',
  'RoleManagement.Read.All',
  'RoleManagement.ReadWrite.Directory',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleeligibilityscheduleinstances#permissions
const READ_ELIGIBILITIES = [
  'RoleEligibilitySchedule.Read.Directory',
  'RoleEligibilitySchedule.ReadWrite.Directory',
  'RoleManagement.Read.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
];
// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignmentscheduleinstances#permissions
const READ_ACTIVE_SCHEDULES = [
  'RoleAssignmentSchedule.Read.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'RoleManagement.Read.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
];

export async function handleDirectory(req: GraphRequest, ctx: GraphContext): Promise<GraphResponse | null> {
  const s = req.segments;
  if (req.method !== 'GET') return null;
  if (s[0] === 'domains' && s.length === 1) return listDomains(ctx);
  if (s[0] === 'domains' && s.length === 2) return getDomain(ctx, s[1]!);
  if (s[0] === 'organization' && s.length === 1) return organization(ctx);
  if (s[0] === 'roleManagement' && s[1] === 'directory') {
    if (s[2] === 'roleAssignments' && s.length === 3) return listAssignments(req, ctx);
    if (s[2] === 'roleDefinitions' && s.length === 3) return listDefinitions(ctx);
    if (s[2] === 'roleDefinitions' && s.length === 4) return getDefinition(ctx, s[3]!);
    if (s[2] === 'roleEligibilityScheduleInstances' && s.length === 3) return listEligibilityInstances(req, ctx);
    if (s[2] === 'roleAssignmentScheduleInstances' && s.length === 3) return listAssignmentInstances(req, ctx);
  }
  return null;
}

function domainView(d: Tenant['domains'][number]) {
  return {
    authenticationType: d.authenticationType,
    availabilityStatus: null,
    id: d.id,
    isAdminManaged: true,
    isDefault: d.isDefault,
    isInitial: d.isInitial,
    isRoot: true,
    isVerified: d.isVerified,
    supportedServices: d.isVerified ? ['Email', 'OfficeCommunicationsOnline'] : [],
    passwordValidityPeriodInDays: 2147483647,
    passwordNotificationWindowInDays: 14,
    state: null,
  };
}

// https://learn.microsoft.com/en-us/graph/api/domain-list
function listDomains(ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_DOMAINS);
  return ok({ '@odata.context': contextUrl(ctx, 'domains', null), value: ctx.tenant.domains.map(domainView) });
}

// https://learn.microsoft.com/en-us/graph/api/domain-get
function getDomain(ctx: GraphContext, id: string): GraphResponse {
  requireAny(ctx, READ_DOMAINS);
  const d = ctx.tenant.domain(id);
  if (!d) throw notFound(id);
  return ok({ '@odata.context': contextUrl(ctx, 'domains', null, true), ...domainView(d) });
}

// https://learn.microsoft.com/en-us/graph/api/organization-list
function organization(ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_ORG);
  const t = ctx.tenant;
  return ok({
    '@odata.context': contextUrl(ctx, 'organization', null),
    value: [
      {
        id: t.tenantId,
        displayName: t.displayName,
        tenantType: 'AAD',
        countryLetterCode: t.countryLetterCode,
        preferredLanguage: 'ja',
        onPremisesSyncEnabled: t.domains.some((d) => d.authenticationType === 'Federated') ? true : null,
        verifiedDomains: t.domains
          .filter((d) => d.isVerified)
          .map((d) => ({
            capabilities: 'Email, OfficeCommunicationsOnline',
            isDefault: d.isDefault,
            isInitial: d.isInitial,
            name: d.id,
            type: d.authenticationType,
          })),
      },
    ],
  });
}

function definitionView(d: (typeof ROLE_DEFINITIONS)[number]) {
  return { ...d, rolePermissions: [], version: '1' };
}

/** A role listing's $filter: eq / in on the ids (what the docs list as filterable); anything else is 400. */
function roleFilter(req: GraphRequest): FilterExpr | null {
  const raw = req.query.get('$filter');
  if (!raw) return null;
  const filter = parseGraphFilter(raw);
  for (const t of filterTerms(filter)) {
    if (!['principalId', 'roleDefinitionId', 'directoryScopeId', 'id'].includes(t.prop) || !['eq', 'in'].includes(t.op))
      throw new GraphErrorResponse(400, 'BadRequest', `Invalid filter clause: '${t.op}' on '${t.prop}' is not supported.`);
  }
  return filter;
}

// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignments
function listAssignments(req: GraphRequest, ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_ROLES);
  const filter = roleFilter(req);
  const expand = expansion(req, 'unifiedRoleAssignment');
  const items = ctx.tenant.roleAssignments.filter(
    (a) => !filter || evaluateFilter(filter, (p) => a[p as keyof RoleAssignment]),
  );
  return ok({
    '@odata.context': contextUrl(ctx, 'roleManagement/directory/roleAssignments', null),
    value: items.map((a) => expanded(ctx, { ...a }, expand)),
  });
}

/** A directory object as a role holder or group member: a user, a group or a service principal, with its type. */
export function principalView(ctx: GraphContext, id: string): Record<string, unknown> | null {
  const kind = ctx.tenant.principalKind(id);
  if (kind === 'user') {
    const u = ctx.tenant.users.get(id)!;
    return {
      '@odata.type': '#microsoft.graph.user',
      id: u.id,
      displayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
    };
  }
  if (kind === 'group') {
    const g = ctx.tenant.groups.get(id)!;
    return {
      '@odata.type': '#microsoft.graph.group',
      id: g.id,
      displayName: g.displayName,
      isAssignableToRole: g.isAssignableToRole,
      mail: g.mail,
    };
  }
  if (kind === 'servicePrincipal') {
    const sp = ctx.tenant.servicePrincipals.get(id)!;
    return {
      '@odata.type': '#microsoft.graph.servicePrincipal',
      id: sp.id,
      appId: sp.appId,
      displayName: sp.displayName,
    };
  }
  return null;
}

/** `$expand` of a role listing: roleDefinition or principal (the navigation properties the docs list); else 400. */
function expansion(req: GraphRequest, type: string): 'roleDefinition' | 'principal' | null {
  const expand = req.query.get('$expand');
  if (!expand) return null;
  if (expand === 'roleDefinition' || expand === 'principal') return expand;
  throw new GraphErrorResponse(
    400,
    'BadRequest',
    `Could not find a navigation property named '${expand}' on type 'microsoft.graph.${type}'.`,
  );
}

/** Adds the expanded navigation property to a role listing's item. */
function expanded(ctx: GraphContext, item: Record<string, unknown>, expand: 'roleDefinition' | 'principal' | null) {
  if (expand === 'principal') item.principal = principalView(ctx, String(item.principalId));
  if (expand === 'roleDefinition') {
    const def = ROLE_DEFINITIONS.find((d) => d.id === item.roleDefinitionId);
    item.roleDefinition = def ? definitionView(def) : null;
  }
  return item;
}

/** A schedule instance's common properties (unifiedRoleScheduleInstanceBase): permanent, tenant-wide. */
function instanceBase(item: { id: string; principalId: string; roleDefinitionId: string }) {
  return {
    id: item.id,
    principalId: item.principalId,
    roleDefinitionId: item.roleDefinitionId,
    directoryScopeId: '/',
    appScopeId: null,
    startDateTime: null,
    endDateTime: null,
    memberType: 'Direct',
  };
}

// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleeligibilityscheduleinstances
// (resource: https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleeligibilityscheduleinstance)
function listEligibilityInstances(req: GraphRequest, ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_ELIGIBILITIES);
  const filter = roleFilter(req);
  const expand = expansion(req, 'unifiedRoleEligibilityScheduleInstance');
  const items = ctx.tenant.roleEligibilities.filter(
    (e) => !filter || evaluateFilter(filter, (p) => e[p as keyof typeof e]),
  );
  return ok({
    '@odata.context': contextUrl(ctx, 'roleManagement/directory/roleEligibilityScheduleInstances', null),
    value: items.map((e) => expanded(ctx, { ...instanceBase(e), roleEligibilityScheduleId: e.id }, expand)),
  });
}

// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignmentscheduleinstances
// (resource: https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleassignmentscheduleinstance): every
// active assignment, permanent ("Assigned") or an activated eligibility ("Activated").
function listAssignmentInstances(req: GraphRequest, ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_ACTIVE_SCHEDULES);
  const filter = roleFilter(req);
  const expand = expansion(req, 'unifiedRoleAssignmentScheduleInstance');
  const activated = new Set(
    ctx.tenant.roleEligibilities.filter((e) => e.activated).map((e) => `${e.roleDefinitionId}/${e.principalId}`),
  );
  const items = ctx.tenant.roleAssignments.filter(
    (a) => !filter || evaluateFilter(filter, (p) => a[p as keyof RoleAssignment]),
  );
  return ok({
    '@odata.context': contextUrl(ctx, 'roleManagement/directory/roleAssignmentScheduleInstances', null),
    value: items.map((a) =>
      expanded(
        ctx,
        {
          ...instanceBase(a),
          assignmentType: activated.has(`${a.roleDefinitionId}/${a.principalId}`) ? 'Activated' : 'Assigned',
          roleAssignmentOriginId: a.id,
          roleAssignmentScheduleId: a.id,
        },
        expand,
      ),
    ),
  });
}

// https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roledefinitions
function listDefinitions(ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_ROLES);
  return ok({
    '@odata.context': contextUrl(ctx, 'roleManagement/directory/roleDefinitions', null),
    value: ROLE_DEFINITIONS.map(definitionView),
  });
}

// https://learn.microsoft.com/en-us/graph/api/unifiedroledefinition-get
function getDefinition(ctx: GraphContext, id: string): GraphResponse {
  requireAny(ctx, READ_ROLES);
  const def = ROLE_DEFINITIONS.find((d) => d.id === id);
  if (!def) throw notFound(id);
  return ok({
    '@odata.context': contextUrl(ctx, 'roleManagement/directory/roleDefinitions', null, true),
    ...definitionView(def),
  });
}
