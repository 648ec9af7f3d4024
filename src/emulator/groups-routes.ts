// Graph v1.0 groups as the sync reads them: a group, its direct members and its transitive members (role-assignable groups).
import { principalView } from './directory-routes.js';
import {
  contextUrl,
  decodeSkipToken,
  type GraphContext,
  nextLink,
  pageSize,
  READ_USERS,
  requireAny,
} from './graph-context.js';
import { GraphErrorResponse, type GraphRequest, type GraphResponse, notFound, ok } from './graph-types.js';
import { parseSelect } from './odata.js';

// https://learn.microsoft.com/en-us/graph/api/group-list-members#permissions
const READ_MEMBERS = [
  'GroupMember.Read.All',
  'Group.Read.All',
  'GroupMember.ReadWrite.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
// https://learn.microsoft.com/en-us/graph/api/group-get#permissions
const READ_GROUPS = [
  'GroupMember.Read.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/** Routes /groups/{id}, /groups/{id}/members and /groups/{id}/transitiveMembers; null for any other path. */
export async function handleGroups(req: GraphRequest, ctx: GraphContext): Promise<GraphResponse | null> {
  const s = req.segments;
  if (s[0] !== 'groups' || s.length < 2 || s.length > 3) return null;
  if (req.method !== 'GET')
    throw new GraphErrorResponse(
      405,
      'Request_BadRequest',
      'The specified HTTP method is not allowed for the request target.',
    );
  const group = ctx.tenant.groups.get(s[1]!);
  if (s.length === 2) {
    requireAny(ctx, READ_GROUPS);
    if (!group) throw notFound(s[1]!);
    return ok({ '@odata.context': contextUrl(ctx, 'groups', null, true), ...principalView(ctx, group.id) });
  }
  if (s[2] !== 'members' && s[2] !== 'transitiveMembers') return null;
  requireAny(ctx, READ_MEMBERS);
  if (!group) throw notFound(s[1]!);
  const ids = s[2] === 'members' ? group.members : ctx.tenant.transitiveMembers(group.id);
  return listMembers(req, ctx, ids);
}

// https://learn.microsoft.com/en-us/graph/api/group-list-members
// https://learn.microsoft.com/en-us/graph/api/group-list-transitivemembers
function listMembers(req: GraphRequest, ctx: GraphContext, ids: readonly string[]): GraphResponse {
  const rawSelect = req.query.get('$select');
  const select = rawSelect === null ? null : parseSelect(rawSelect);
  // Without a permission to read users, user members come back with their type and id only ("limited information",
  // https://learn.microsoft.com/en-us/graph/permissions-overview#limited-information-returned-for-inaccessible-member-objects).
  const readsUsers = READ_USERS.some((p) => ctx.roles.includes(p));
  const views = ids
    .map((id) => principalView(ctx, id))
    .filter((v): v is Record<string, unknown> => v !== null)
    .map((v) => {
      if (v['@odata.type'] === '#microsoft.graph.user' && !readsUsers)
        return { '@odata.type': v['@odata.type'], id: v.id };
      if (!select) return v;
      const out: Record<string, unknown> = { '@odata.type': v['@odata.type'] };
      for (const p of select) if (p in v) out[p] = v[p];
      return out;
    });
  const top = pageSize(req);
  const after = decodeSkipToken(req.query.get('$skiptoken'));
  const start = after === undefined ? 0 : Number(after);
  const page = views.slice(start, start + top);
  const body: Record<string, unknown> = { '@odata.context': contextUrl(ctx, 'directoryObjects', select) };
  if (start + top < views.length) body['@odata.nextLink'] = nextLink(ctx, req, String(start + top));
  body.value = page;
  return ok(body);
}
