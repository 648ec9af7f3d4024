// Conformance: directory roles through groups and service principals, PIM schedule instances, role-assignable groups,
// app-only writes to privileged users, and the Immutable ID of federated users (each test cites the page it follows).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { SeedError } from '../../src/emulator/seed.js';
import { msalApp, rawFetch, tokenFor } from './helpers.js';

const GA = '62e90394-69f5-4237-9190-012177145e10';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const WRITER = { clientId: '5f0c8a4e-1b2c-4d3e-8f90-a1b2c3d4e5f6', clientSecret: 'writer-secret-value' };
const READER = { clientId: '6a1d9b5f-2c3d-4e4f-9a01-b2c3d4e5f6a7', clientSecret: 'reader-secret-value' };
const GROUPS_ONLY = { clientId: '7b2eac60-3d4e-4f50-8b12-c3d4e5f6a7b8', clientSecret: 'groups-secret-value' };

const user = (id: string, upn: string, extra: Record<string, unknown> = {}) => ({
  id,
  userPrincipalName: upn,
  displayName: id,
  mailNickname: id,
  ...extra,
});

function seed(): EmulatorSeed {
  return {
    domains: [
      { id: 'contoso.onmicrosoft.com', authenticationType: 'Managed', isVerified: true, isInitial: true },
      { id: 'fed.example', authenticationType: 'Federated', isVerified: true, isDefault: true },
      { id: 'managed.example', authenticationType: 'Managed', isVerified: true },
    ],
    users: [
      user('alice', 'alice@managed.example'),
      user('bob', 'bob@managed.example'),
      user('carol', 'carol@managed.example'),
      user('dave', 'dave@managed.example'),
      user('frank', 'frank@managed.example'),
      user('erin', 'erin@fed.example', { onPremisesImmutableId: 'ZXJpbi1vbGQ' }),
    ],
    groups: [
      { id: 'grp-admins', displayName: 'Tier-0 admins', isAssignableToRole: true, members: ['bob', WRITER.clientId] },
      { id: 'grp-all', displayName: 'Everyone', members: ['grp-admins', 'frank'] },
    ],
    directoryRoles: [
      { roleName: 'Global Administrator', principalIds: ['alice'] },
      { roleName: 'User Administrator', principalIds: ['grp-admins'] },
      { roleName: 'Privileged Authentication Administrator', principalIds: [WRITER.clientId] },
    ],
    roleEligibilities: [{ roleName: 'Global Administrator', principalIds: ['carol', 'dave'], activatedIds: ['dave'] }],
    apps: [
      { ...WRITER, permissions: ['User.ReadWrite.All'] },
      { ...READER, permissions: ['User.Read.All'] },
      { ...GROUPS_ONLY, permissions: ['GroupMember.Read.All'] },
    ],
  };
}

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 'empty' });
  f = rawFetch(emu);
});
beforeEach(async () => {
  await emu.reset(seed());
  token = await tokenFor(emu);
});
afterAll(() => emu.close());

const tokenOf = (app: { clientId: string; clientSecret: string }) => tokenFor(emu, msalApp(emu, app));
const ids = (body: { value: { id?: string; principalId?: string }[] }) =>
  body.value.map((v) => v.principalId ?? v.id).sort();

describe('role assignments to users, groups and service principals', () => {
  // https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignments
  // https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleassignment (principalId: user, group or SP)
  it('lists each principal with its type when the principal is expanded', async () => {
    const r = await f('/v1.0/roleManagement/directory/roleAssignments?$expand=principal', { token });
    expect(r.status).toBe(200);
    const types = Object.fromEntries(
      r.json.value.map((a: { principalId: string; principal: { '@odata.type': string } }) => [
        a.principalId,
        a.principal['@odata.type'],
      ]),
    );
    expect(types.alice).toBe('#microsoft.graph.user');
    expect(types['grp-admins']).toBe('#microsoft.graph.group');
    expect(Object.values(types)).toContain('#microsoft.graph.servicePrincipal');
    // An activated PIM eligibility is an active assignment too.
    expect(types.dave).toBe('#microsoft.graph.user');
    const direct = await f(
      `/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent("principalId eq 'bob'")}`,
      { token },
    );
    expect(direct.json.value).toEqual([]); // Bob holds his role only through the group.
  });
});

describe('role-assignable groups', () => {
  // https://learn.microsoft.com/en-us/graph/api/group-list-members
  // https://learn.microsoft.com/en-us/graph/api/group-list-transitivemembers
  it('lists direct and transitive members, typed, paged by $top', async () => {
    const members = await f('/v1.0/groups/grp-all/members', { token });
    expect(members.status).toBe(200);
    expect(ids(members.json)).toEqual(['frank', 'grp-admins']);
    const transitive = await f('/v1.0/groups/grp-all/transitiveMembers?$select=id', { token });
    const all = transitive.json.value.map((v: { '@odata.type': string; id: string }) => `${v['@odata.type']}:${v.id}`);
    expect(all).toEqual(
      expect.arrayContaining([
        '#microsoft.graph.group:grp-admins',
        '#microsoft.graph.user:bob',
        '#microsoft.graph.user:frank',
      ]),
    );
    expect(all.some((x: string) => x.startsWith('#microsoft.graph.servicePrincipal:'))).toBe(true);
    const first = await f('/v1.0/groups/grp-all/transitiveMembers?$top=2', { token });
    expect(first.json.value).toHaveLength(2);
    const next = await f(first.json['@odata.nextLink'].replace(emu.graphBaseUrl, ''), { token });
    expect(first.json.value.length + next.json.value.length).toBe(4);
    expect((await f('/v1.0/groups/nope/members', { token })).json.error.code).toBe('Request_ResourceNotFound');
  });

  // https://learn.microsoft.com/en-us/graph/api/group-list-members#permissions and
  // https://learn.microsoft.com/en-us/graph/permissions-overview#limited-information-returned-for-inaccessible-member-objects
  it('needs GroupMember.Read.All, and gives only type and id of users to an app that cannot read users', async () => {
    const denied = await f('/v1.0/groups/grp-admins/members', { token: await tokenOf(READER) });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe('Authorization_RequestDenied');
    const limited = await f('/v1.0/groups/grp-admins/members', { token: await tokenOf(GROUPS_ONLY) });
    expect(limited.json.value).toContainEqual({ '@odata.type': '#microsoft.graph.user', id: 'bob' });
  });
});

describe('PIM schedule instances', () => {
  // https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleeligibilityscheduleinstances
  it('lists eligibilities, filterable by principal and role', async () => {
    const r = await f('/v1.0/roleManagement/directory/roleEligibilityScheduleInstances', { token });
    expect(r.status).toBe(200);
    expect(ids(r.json)).toEqual(['carol', 'dave']);
    expect(r.json.value[0]).toMatchObject({ roleDefinitionId: GA, directoryScopeId: '/', memberType: 'Direct' });
    // The principal navigation property can be expanded (it tells a group from a user).
    const expanded = await f('/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal', {
      token,
    });
    expect(expanded.json.value[0].principal['@odata.type']).toBe('#microsoft.graph.user');
    const bad = await f('/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$expand=nope', { token });
    expect(bad.status).toBe(400);
    const one = await f(
      `/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent("principalId eq 'carol'")}`,
      { token },
    );
    expect(ids(one.json)).toEqual(['carol']);
  });

  // https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignmentscheduleinstances
  it('lists active instances: permanent ones as Assigned, activated eligibilities as Activated', async () => {
    const r = await f(
      `/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${GA}'`)}`,
      { token },
    );
    expect(r.status).toBe(200);
    const byPrincipal = Object.fromEntries(
      r.json.value.map((i: { principalId: string; assignmentType: string }) => [i.principalId, i.assignmentType]),
    );
    expect(byPrincipal).toEqual({ alice: 'Assigned', dave: 'Activated' });
    const userAdmin = await f(
      `/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${USER_ADMIN}'`)}`,
      { token },
    );
    expect(ids(userAdmin.json)).toEqual(['grp-admins']);
  });

  // Permissions tables of both pages: User.Read.All is not among them.
  it('refuses an app without a role-management permission', async () => {
    const t = await tokenOf(READER);
    for (const path of ['roleEligibilityScheduleInstances', 'roleAssignmentScheduleInstances']) {
      const r = await f(`/v1.0/roleManagement/directory/${path}`, { token: t });
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('Authorization_RequestDenied');
    }
  });
});

describe('app-only writes to privileged users', () => {
  // https://learn.microsoft.com/en-us/graph/api/user-delete#permissions: "In app-only scenarios, the
  // User.ReadWrite.All application permission isn't enough privilege to delete users with privileged administrative
  // roles"; https://learn.microsoft.com/en-us/graph/api/user-update#permissions and
  // https://learn.microsoft.com/en-us/graph/api/resources/users#who-can-perform-sensitive-actions for updates.
  it('refuses PATCH and DELETE of direct, group-based and PIM-eligible holders with 403 Authorization_RequestDenied', async () => {
    for (const id of ['alice', 'bob', 'carol', 'dave']) {
      const patch = await f(`/v1.0/users/${id}`, { method: 'PATCH', token, body: { jobTitle: 'Changed' } });
      expect(patch.status, id).toBe(403);
      expect(patch.json.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
      expect(patch.json.error.innerError['request-id']).toBeTruthy();
      const del = await f(`/v1.0/users/${id}`, { method: 'DELETE', token });
      expect(del.status, id).toBe(403);
      expect(del.json.error.code).toBe('Authorization_RequestDenied');
    }
    const state = (await f('/_emulator/state')).json;
    expect(state.users.find((u: { id: string }) => u.id === 'alice').jobTitle ?? null).toBeNull();
    // A user without a role is written as usual.
    expect((await f('/v1.0/users/frank', { method: 'PATCH', token, body: { jobTitle: 'Changed' } })).status).toBe(204);
    expect((await f('/v1.0/users/frank', { method: 'DELETE', token })).status).toBe(204);
  });

  it('lets an app whose service principal holds Privileged Authentication Administrator write them', async () => {
    const t = await tokenOf(WRITER);
    expect((await f('/v1.0/users/alice', { method: 'PATCH', token: t, body: { jobTitle: 'CEO' } })).status).toBe(204);
    expect((await f('/v1.0/users/bob', { method: 'DELETE', token: t })).status).toBe(204);
    // Bob's memberships went with him: the group no longer lists him.
    expect(ids((await f('/v1.0/groups/grp-admins/members', { token })).json)).not.toContain('bob');
  });
});

describe('the Immutable ID of a user in a federated domain', () => {
  // https://learn.microsoft.com/en-us/education/windows/federated-sign-in ("In a scenario where a user is federated
  // and you want to change the ImmutableId, you must" move the UPN to a non-federated domain, update it, move back);
  // Graph answers a plain 400: https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/8160
  it('is refused in place, and set through the onmicrosoft.com domain', async () => {
    const inPlace = await f('/v1.0/users/erin', {
      method: 'PATCH',
      token,
      body: { onPremisesImmutableId: 'ZXJpbi1uZXc' },
    });
    expect(inPlace.status).toBe(400);
    expect(inPlace.json.error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'One or more properties contains invalid values.',
    });
    const steps = [
      { userPrincipalName: 'erin@contoso.onmicrosoft.com' },
      { onPremisesImmutableId: 'ZXJpbi1uZXc' },
      { userPrincipalName: 'erin@fed.example' },
    ];
    for (const body of steps) expect((await f('/v1.0/users/erin', { method: 'PATCH', token, body })).status).toBe(204);
    const erin = (await f('/v1.0/users/erin?$select=userPrincipalName,onPremisesImmutableId', { token })).json;
    expect(erin).toMatchObject({ userPrincipalName: 'erin@fed.example', onPremisesImmutableId: 'ZXJpbi1uZXc' });
    // Other properties of a federated user still change in place, and so does an unchanged Immutable ID.
    const same = await f('/v1.0/users/erin', {
      method: 'PATCH',
      token,
      body: { onPremisesImmutableId: 'ZXJpbi1uZXc', jobTitle: 'Engineer' },
    });
    expect(same.status).toBe(204);
  });
});

describe('seed rules for groups and roles', () => {
  // https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/groups-concept
  it('names the field of a role given to a non-assignable group, a nested role-assignable group, a stray activation', async () => {
    const bad = seed();
    bad.directoryRoles = [{ roleName: 'Global Administrator', principalIds: ['grp-all', 'nobody'] }];
    bad.groups = [
      ...bad.groups!,
      { id: 'grp-nested', displayName: 'x', isAssignableToRole: true, members: ['grp-all'] },
    ];
    bad.roleEligibilities = [{ roleName: 'Global Administrator', principalIds: ['carol'], activatedIds: ['dave'] }];
    let error: unknown;
    try {
      await emu.reset(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SeedError);
    const problems = (error as SeedError).problems.join('\n');
    expect(problems).toContain('directoryRoles.0.principalIds.0: group grp-all is not role-assignable');
    expect(problems).toContain('directoryRoles.0.principalIds.1: no user, group or service principal nobody');
    expect(problems).toContain('groups.2.members.0: a role-assignable group cannot have groups as members');
    expect(problems).toContain('roleEligibilities.0.activatedIds.0: dave is not one of');
    // Nothing changed.
    expect((await f('/v1.0/users/alice', { token })).status).toBe(200);
  });

  it('round-trips groups and eligibilities through the state', async () => {
    const state = (await f('/_emulator/state')).json;
    expect(state.groups).toHaveLength(2);
    expect(state.roleEligibilities).toEqual([
      { roleName: 'Global Administrator', principalIds: ['carol', 'dave'], activatedIds: ['dave'] },
    ]);
  });
});
