// Graph v1.0 users: list/get/create/update/delete, $count, and the deleted items (restore, purge) of soft delete.
// One file because the user and deleted-user routes share their write checks (conflicts, proxy addresses, privileged
// targets); the listing query options are in users-query.ts.
import { randomUUID } from 'node:crypto';
import { advancedQuery, contextUrl, type GraphContext, READ_USERS, requireAny, WRITE_USERS } from './graph-context.js';
import {
  badRequest,
  forbidden,
  GraphErrorResponse,
  type GraphRequest,
  type GraphResponse,
  notFound,
  ok,
  unsupportedQuery,
} from './graph-types.js';
import {
  checkUserProperties,
  completeUser,
  invalidValue,
  projectUser,
  proxyAddressesAfterMail,
  SYNCED_USER_PROPS,
  type UserData,
} from './user-schema.js';
import {
  deletedView,
  listPage,
  rejectUndocumentedForm,
  rejectUnsupportedOptions,
  selection,
  userFilter,
  withCountTrue,
} from './users-query.js';

/** Routes /users… and /directory/deletedItems…; returns null when the path is not one of them. */
export async function handleUsers(req: GraphRequest, ctx: GraphContext): Promise<GraphResponse | null> {
  const s = req.segments;
  const m = req.method;
  if (s[0] === 'users') {
    if (s.length === 1 && m === 'GET') return listUsers(req, ctx);
    if (s.length === 1 && m === 'POST') return createUser(req, ctx);
    if (s.length === 2 && s[1] === '$count' && m === 'GET') return countUsers(req, ctx);
    if (s.length === 2 && m === 'GET') return getUser(req, ctx, s[1]!);
    if (s.length === 2 && m === 'PATCH') return updateUser(req, ctx, s[1]!);
    if (s.length === 2 && m === 'DELETE') return deleteUser(ctx, s[1]!);
    if (s.length <= 2) throw methodNotAllowed();
    return null;
  }
  if (s[0] === 'directory' && s[1] === 'deletedItems') {
    if (s.length === 3 && s[2] === 'microsoft.graph.user' && m === 'GET') return listDeleted(req, ctx);
    if (s.length === 3 && m === 'GET') return getDeleted(req, ctx, s[2]!);
    if (s.length === 3 && m === 'DELETE') return purgeDeleted(ctx, s[2]!);
    if (s.length === 4 && s[3] === 'restore' && m === 'POST') return restoreDeleted(req, ctx, s[2]!);
    if (s.length <= 4) throw methodNotAllowed();
  }
  return null;
}

function methodNotAllowed(): GraphErrorResponse {
  return new GraphErrorResponse(
    405,
    'Request_BadRequest',
    'The specified HTTP method is not allowed for the request target.',
  );
}

function noContent(): GraphResponse {
  return { status: 204, headers: {} };
}

// https://learn.microsoft.com/en-us/graph/api/user-list
function listUsers(req: GraphRequest, ctx: GraphContext): GraphResponse {
  return listPage(req, ctx, 'users', (u, select) => projectUser(u, select));
}

// https://learn.microsoft.com/en-us/graph/query-parameters#count-parameter
function countUsers(req: GraphRequest, ctx: GraphContext): GraphResponse {
  requireAny(ctx, READ_USERS);
  if (!advancedQuery(req).eventual)
    throw unsupportedQuery(
      "Count is not currently supported without the 'ConsistencyLevel:eventual' header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
    );
  const filter = userFilter({ ...req, query: withCountTrue(req.query) });
  rejectUndocumentedForm(ctx, filter);
  const count = ctx.tenant.users.countMatching(filter);
  return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, text: String(count) };
}

function findUser(ctx: GraphContext, idOrUpn: string): UserData {
  const u = ctx.tenant.users.get(idOrUpn);
  if (!u) throw notFound(idOrUpn);
  return u;
}

// https://learn.microsoft.com/en-us/graph/api/user-get
function getUser(req: GraphRequest, ctx: GraphContext, idOrUpn: string): GraphResponse {
  requireAny(ctx, READ_USERS);
  rejectUnsupportedOptions(req);
  const select = selection(req);
  const u = findUser(ctx, idOrUpn);
  return ok({ '@odata.context': contextUrl(ctx, 'users', select, true), ...projectUser(u, select) });
}

function requireObjectBody(req: GraphRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
    throw badRequest('Empty Payload. JSON content expected.');
  return req.body as Record<string, unknown>;
}

function conflict(prop: string): GraphErrorResponse {
  return badRequest(`Another object with the same value for property ${prop} already exists.`, [
    { code: 'ObjectConflict', target: prop },
  ]);
}

/** UPN domain verified; federated domains need an Immutable ID. */
function checkUpnDomain(ctx: GraphContext, upn: string, immutableId: string | null): void {
  const domain = ctx.tenant.domain(upn.slice(upn.lastIndexOf('@') + 1));
  if (!domain?.isVerified)
    throw badRequest(
      'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      [{ code: 'InvalidValue', target: 'userPrincipalName' }],
    );
  if (domain.authenticationType === 'Federated' && !immutableId)
    throw badRequest(
      `Property 'onPremisesImmutableId' is required when the userPrincipalName domain '${domain.id}' is federated.`,
      [{ code: 'MissingValue', target: 'onPremisesImmutableId' }],
    );
}

/**
 * proxyAddresses are unique across users and groups ("Another object with the same value for property
 * proxyAddresses already exists"); `mail` feeds them
 * (https://learn.microsoft.com/en-us/graph/api/resources/user, properties mail and proxyAddresses).
 */
function checkProxyAddresses(ctx: GraphContext, addresses: readonly string[], selfId: string | null): void {
  for (const a of addresses) {
    const owner = ctx.tenant.users.idForProxyAddress(a);
    if (owner && owner !== selfId) throw conflict('proxyAddresses');
  }
}

function failOn(problem: { prop: string; message: string } | null): void {
  if (problem) throw badRequest(problem.message, [{ code: 'InvalidValue', target: problem.prop }]);
}

// https://learn.microsoft.com/en-us/graph/api/user-post-users
function createUser(req: GraphRequest, ctx: GraphContext): GraphResponse {
  requireAny(ctx, WRITE_USERS);
  const body = requireObjectBody(req);
  failOn(checkUserProperties(body));
  for (const p of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
    if (body[p] === undefined || body[p] === null || body[p] === '') failOn(invalidValue(p));
  }
  const pw = body.passwordProfile as { password?: unknown };
  if (typeof pw.password !== 'string') failOn(invalidValue('passwordProfile'));
  const upn = body.userPrincipalName as string;
  const immutableId = (body.onPremisesImmutableId as string | null | undefined) ?? null;
  checkUpnDomain(ctx, upn, immutableId);
  const store = ctx.tenant.users;
  if (store.idForUpn(upn)) throw conflict('userPrincipalName');
  if (immutableId && store.idForImmutableId(immutableId)) throw conflict('onPremisesImmutableId');
  const mail = typeof body.mail === 'string' && body.mail !== '' ? body.mail : null;
  checkProxyAddresses(ctx, mail ? [mail] : [], null);
  const { passwordProfile: _pw, ...props } = body;
  const nowIso = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const user = completeUser(
    { ...(props as Partial<UserData>), id: randomUUID(), userPrincipalName: upn, createdDateTime: nowIso },
    nowIso,
  );
  user.onPremisesSyncEnabled = null;
  user.proxyAddresses = proxyAddressesAfterMail([], mail);
  store.insert(user);
  ctx.onWrite();
  return ok({ '@odata.context': contextUrl(ctx, 'users', null, true), ...projectUser(user, null) }, 201, {
    location: `${ctx.graphBaseUrl}/v1.0/directoryObjects/${user.id}/Microsoft.DirectoryServices.User`,
  });
}

/**
 * App-only writes to a privileged user: User.ReadWrite.All is not enough, the app itself must hold a higher
 * privileged role ("In app-only scenarios, the User.ReadWrite.All application permission isn't enough privilege to
 * delete users with privileged administrative roles", https://learn.microsoft.com/en-us/graph/api/user-delete#permissions;
 * for updates: https://learn.microsoft.com/en-us/graph/api/user-update#permissions and "Who can perform sensitive
 * actions", https://learn.microsoft.com/en-us/graph/api/resources/users#who-can-perform-sensitive-actions). The
 * docs name "sensitive" properties for updates, but tenants answer 403 to any app-only PATCH of an administrator
 * (https://learn.microsoft.com/en-us/answers/questions/1611025/update-mguser-on-privileged-accounts): the emulator
 * refuses every property. Graph's answer is the plain 403 Authorization_RequestDenied.
 */
function refusePrivilegedTarget(ctx: GraphContext, user: UserData): void {
  if (ctx.tenant.isPrivileged(user.id) && !ctx.tenant.mayWritePrivileged(ctx.callerId)) throw forbidden();
}

/**
 * Entra does not change the Immutable ID of a user whose UPN is in a federated domain: the documented way is to move
 * the UPN to a managed domain, set the ID, and move it back
 * (https://learn.microsoft.com/en-us/education/windows/federated-sign-in, "In a scenario where a user is federated
 * and you want to change the ImmutableId"). Graph answers a plain 400 without naming the property
 * (https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8160).
 */
function refuseFederatedImmutableIdChange(ctx: GraphContext, current: UserData, body: Record<string, unknown>): void {
  if (!('onPremisesImmutableId' in body) || body.onPremisesImmutableId === current.onPremisesImmutableId) return;
  const upn = current.userPrincipalName;
  const domain = ctx.tenant.domain(upn.slice(upn.lastIndexOf('@') + 1));
  if (domain?.authenticationType === 'Federated') throw badRequest('One or more properties contains invalid values.');
}

const SYNCED_REFUSAL =
  'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.';

// https://learn.microsoft.com/en-us/graph/api/user-update
function updateUser(req: GraphRequest, ctx: GraphContext, idOrUpn: string): GraphResponse {
  requireAny(ctx, WRITE_USERS);
  const body = requireObjectBody(req);
  const current = findUser(ctx, idOrUpn);
  refusePrivilegedTarget(ctx, current);
  failOn(checkUserProperties(body));
  if (
    current.onPremisesSyncEnabled &&
    Object.keys(body).some((k) => SYNCED_USER_PROPS.has(k) || k === 'passwordProfile')
  )
    throw badRequest(SYNCED_REFUSAL);
  refuseFederatedImmutableIdChange(ctx, current, body);
  const { passwordProfile: _pw, ...props } = body;
  const next: UserData = { ...current, ...(props as Partial<UserData>) };
  for (const p of ['displayName', 'userPrincipalName', 'mailNickname', 'accountEnabled'] as const) {
    if (p in props && (next[p] === null || next[p] === '')) failOn(invalidValue(p));
  }
  const store = ctx.tenant.users;
  if (
    next.userPrincipalName.toLowerCase() !== current.userPrincipalName.toLowerCase() ||
    'onPremisesImmutableId' in props
  ) {
    checkUpnDomain(ctx, next.userPrincipalName, next.onPremisesImmutableId);
  }
  const upnOwner = store.idForUpn(next.userPrincipalName);
  if (upnOwner && upnOwner !== current.id) throw conflict('userPrincipalName');
  if (next.onPremisesImmutableId) {
    const owner = store.idForImmutableId(next.onPremisesImmutableId);
    if (owner && owner !== current.id) throw conflict('onPremisesImmutableId');
  }
  if ('mail' in props && (next.mail ?? '').toLowerCase() !== (current.mail ?? '').toLowerCase()) {
    next.proxyAddresses = proxyAddressesAfterMail(current.proxyAddresses, next.mail || null);
    checkProxyAddresses(ctx, next.proxyAddresses, current.id);
  }
  store.replace(next);
  ctx.onWrite();
  return noContent();
}

// https://learn.microsoft.com/en-us/graph/api/user-delete
function deleteUser(ctx: GraphContext, idOrUpn: string): GraphResponse {
  requireAny(ctx, WRITE_USERS);
  const u = findUser(ctx, idOrUpn);
  refusePrivilegedTarget(ctx, u);
  if (u.onPremisesSyncEnabled) throw badRequest(SYNCED_REFUSAL);
  ctx.tenant.users.softDelete(u.id, new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  ctx.tenant.forgetPrincipal(u.id);
  ctx.onWrite();
  return noContent();
}

// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list
function listDeleted(req: GraphRequest, ctx: GraphContext): GraphResponse {
  // The page's items are already in deletedView form (the filter is evaluated on it).
  return listPage(req, ctx, 'deleted', (u, select) => projectUser(u, select ?? [...defaultDeletedProps]));
}

const defaultDeletedProps = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'onPremisesImmutableId',
  'deletedDateTime',
];

// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-get
function getDeleted(req: GraphRequest, ctx: GraphContext, id: string): GraphResponse {
  requireAny(ctx, READ_USERS);
  const select = selection(req);
  const u = ctx.tenant.users.getDeleted(id);
  if (!u) throw notFound(id);
  return ok({
    '@odata.context': contextUrl(ctx, 'directoryObjects', null, true),
    '@odata.type': '#microsoft.graph.user',
    ...projectUser(deletedView(u), select ?? defaultDeletedProps),
  });
}

// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-restore
// A user comes back under its original UPN, which must be free; its proxy addresses must not be used by a live
// object unless the body asks `autoReconcileProxyConflict`, which drops the conflicting ones.
function restoreDeleted(req: GraphRequest, ctx: GraphContext, id: string): GraphResponse {
  requireAny(ctx, WRITE_USERS);
  const store = ctx.tenant.users;
  const u = store.getDeleted(id);
  if (!u) throw notFound(id);
  const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  if (store.idForUpn(u.userPrincipalName)) throw conflict('userPrincipalName');
  if (u.onPremisesImmutableId && store.idForImmutableId(u.onPremisesImmutableId))
    throw conflict('onPremisesImmutableId');
  if (body.autoReconcileProxyConflict === true)
    u.proxyAddresses = u.proxyAddresses.filter((a) => store.idForProxyAddress(a) === undefined);
  else checkProxyAddresses(ctx, u.proxyAddresses, null);
  const restored = store.restore(id);
  ctx.onWrite();
  return ok({
    '@odata.context': contextUrl(ctx, 'directoryObjects', null, true),
    '@odata.type': '#microsoft.graph.user',
    ...projectUser(restored, null),
  });
}

// https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-delete
function purgeDeleted(ctx: GraphContext, id: string): GraphResponse {
  requireAny(ctx, WRITE_USERS);
  if (!ctx.tenant.users.purge(id)) throw notFound(id);
  ctx.onWrite();
  return noContent();
}
