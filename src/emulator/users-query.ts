// The query options of a user listing (GET /users, /users/$count, /directory/deletedItems/microsoft.graph.user):
// $select, $filter against Graph's support table, $count and ConsistencyLevel, paging.
import {
  advancedQuery,
  contextUrl,
  decodeSkipToken,
  type GraphContext,
  nextLink,
  pageSize,
  parseGraphFilter,
  READ_USERS,
  requireAny,
} from './graph-context.js';
import { GraphErrorResponse, type GraphRequest, type GraphResponse, ok, unsupportedQuery } from './graph-types.js';
import { type FilterExpr, filterTerms, parseSelect } from './odata.js';
import { USER_PROPS, type UserData } from './user-schema.js';

/** Which $filter operators each user property supports; `*` marks those that need an advanced query. */
const FILTERABLE: Record<string, string[]> = {
  id: ['eq', 'in'],
  userPrincipalName: ['eq', 'in', 'startsWith', 'endsWith*', 'ne*'],
  mail: ['eq', 'in', 'startsWith', 'endsWith*', 'ne*'],
  onPremisesImmutableId: ['eq', 'in', 'ne*'],
  displayName: ['eq', 'in', 'startsWith', 'ne*'],
  givenName: ['eq', 'in', 'startsWith', 'ne*'],
  surname: ['eq', 'in', 'startsWith', 'ne*'],
  mailNickname: ['eq', 'in', 'startsWith', 'ne*'],
  employeeId: ['eq', 'in', 'startsWith', 'ne*'],
  department: ['eq', 'in', 'startsWith', 'ne*'],
  jobTitle: ['eq', 'in', 'startsWith', 'ne*'],
  accountEnabled: ['eq', 'ne*'],
  userType: ['eq', 'in', 'ne*'],
  onPremisesSyncEnabled: ['eq', 'ne*'],
};

const UNMANAGED_QUERY_OPTIONS = ['$orderby', '$search', '$expand', '$skip'];

export function selection(req: GraphRequest): string[] | null {
  const raw = req.query.get('$select');
  if (raw === null) return null;
  const props = parseSelect(raw);
  for (const p of props) {
    if (!(USER_PROPS as readonly string[]).includes(p) && p !== 'passwordProfile')
      throw new GraphErrorResponse(
        400,
        'BadRequest',
        `Could not find a property named '${p}' on type 'microsoft.graph.user'.`,
      );
  }
  return props.length > 0 ? props : null;
}

export function rejectUnsupportedOptions(req: GraphRequest): void {
  for (const o of UNMANAGED_QUERY_OPTIONS) {
    if (req.query.has(o))
      throw unsupportedQuery(`The query option '${o}' is not supported by this emulator on this resource.`);
  }
}

/** Parses and checks $filter against Graph's support table; endsWith/ne/not need ConsistencyLevel + $count. */
export function userFilter(req: GraphRequest): FilterExpr | null {
  const raw = req.query.get('$filter');
  if (raw === null || raw.trim() === '') return null;
  const expr = parseGraphFilter(raw);
  const adv = advancedQuery(req);
  for (const { op, prop } of filterTerms(expr)) {
    if (op === 'not') {
      if (!adv.eventual || !adv.count) throw advancedRequired('not', adv.eventual);
      continue;
    }
    const allowed = FILTERABLE[prop];
    if (!allowed) {
      if ((USER_PROPS as readonly string[]).includes(prop))
        throw unsupportedQuery(
          `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
        );
      throw new GraphErrorResponse(
        400,
        'BadRequest',
        `Could not find a property named '${prop}' on type 'microsoft.graph.user'.`,
      );
    }
    if (allowed.includes(op)) continue;
    if (allowed.includes(`${op}*`)) {
      if (!adv.eventual || !adv.count) throw advancedRequired(op, adv.eventual);
      continue;
    }
    throw unsupportedQuery(
      `Unsupported or invalid query filter clause specified for property '${prop}' of resource 'User'.`,
    );
  }
  return expr;
}

/**
 * With the tenant's filter forms set to 'documented', refuses a user filter that joins `endsWith` to another
 * string function (`(startsWith(…) or …) and endsWith(…)`). The advanced-query page documents `endsWith` on
 * userPrincipalName/mail alone and `startsWith(…) OR startsWith(…)`, never the two together:
 * https://learn.microsoft.com/en-us/graph/aad-advanced-queries#query-scenarios-that-require-advanced-query-capabilities
 * Graph's answer to a filter clause it does not take is 400 Request_UnsupportedQuery naming the property.
 */
export function rejectUndocumentedForm(ctx: GraphContext, expr: FilterExpr | null): void {
  if (ctx.tenant.filterForms !== 'documented' || expr === null) return;
  const fns = filterTerms(expr).filter((t) => t.op === 'startsWith' || t.op === 'endsWith');
  const ends = fns.find((t) => t.op === 'endsWith');
  if (ends && fns.length > 1)
    throw unsupportedQuery(
      `Unsupported or invalid query filter clause specified for property '${ends.prop}' of resource 'User'.`,
    );
}

function advancedRequired(op: string, hasHeader: boolean): GraphErrorResponse {
  return hasHeader
    ? unsupportedQuery(
        `Operator '${op}' is an advanced query: it needs $count=true together with the 'ConsistencyLevel:eventual' header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
      )
    : unsupportedQuery(
        `Operator '${op}' is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
      );
}

function wantsCount(req: GraphRequest): boolean {
  const raw = req.query.get('$count');
  if (raw === null) return false;
  if (raw !== 'true' && raw !== 'false')
    throw new GraphErrorResponse(400, 'BadRequest', `Invalid value '${raw}' for $count.`);
  if (raw === 'true' && !advancedQuery(req).eventual)
    throw unsupportedQuery(
      "The $count query parameter is an advanced query: it needs the 'ConsistencyLevel:eventual' header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
    );
  return raw === 'true';
}

/** One page of a user listing, as GET /users and GET /directory/deletedItems/microsoft.graph.user both answer it. */
export function listPage(
  req: GraphRequest,
  ctx: GraphContext,
  source: 'users' | 'deleted',
  present: (u: UserData, select: readonly string[] | null) => Record<string, unknown>,
): GraphResponse {
  requireAny(ctx, READ_USERS);
  rejectUnsupportedOptions(req);
  const select = selection(req);
  const filter = userFilter(req);
  if (source === 'users') rejectUndocumentedForm(ctx, filter);
  const query = {
    filter,
    top: pageSize(req),
    after: decodeSkipToken(req.query.get('$skiptoken')),
    count: wantsCount(req),
  };
  const page = source === 'users' ? ctx.tenant.users.list(query) : ctx.tenant.users.listDeleted(query, deletedView);
  const path = source === 'users' ? 'users' : 'directory/deletedItems/microsoft.graph.user';
  const body: Record<string, unknown> = { '@odata.context': contextUrl(ctx, path, select) };
  if (page.count !== undefined) body['@odata.count'] = page.count;
  if (page.next !== undefined) body['@odata.nextLink'] = nextLink(ctx, req, page.next);
  body.value = page.items.map((u) => present(u, select));
  return ok(body);
}

export function withCountTrue(q: URLSearchParams): URLSearchParams {
  const c = new URLSearchParams(q);
  c.set('$count', 'true');
  return c;
}

/** A deleted user as Entra shows it: the UPN prefixed with the object id without dashes. */
export function deletedView(u: UserData): UserData {
  return { ...u, userPrincipalName: `${u.id.replace(/-/g, '')}${u.userPrincipalName}` };
}
