// Reads who holds an Entra directory role (directly, through a group, PIM-eligible or PIM-active), cached briefly.
import type { Logger } from '../logger.js';
import { GraphRequestError } from './errors.js';
import { odataString as q } from './graph-client.js';
import type { Clock } from './retry.js';
import { type Json, str } from './user-rows.js';

/** Built-in template id of Global Administrator (the same in every tenant). */
export const GLOBAL_ADMIN_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';

const enc = encodeURIComponent;

/** Every row of a Graph listing, page after page (GraphEntraReader's paging and retry). */
export type ReadAll = (path: string, options: { permission: string }) => Promise<Json[]>;

/** The admin-role reads of GraphEntraReader, on its paging (`getAll`) and clock. */
export class RoleHolderReader {
  private adminCache: { at: number; ids: Set<string> } | null = null;
  private roleDefinitions: {
    at: number;
    byId: Map<string, { displayName: string; templateId: string | null }>;
  } | null = null;

  constructor(
    private readonly getAll: ReadAll,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** How long the admin-role holder set and the role definitions are reused. */
    private readonly adminCacheMs: number,
  ) {}

  /**
   * Every user (and service principal) that holds a directory role in any form: assigned directly, through a
   * role-assignable group, PIM-eligible, or PIM-active. All of them are protected from the sync.
   */
  async listAdminRoleHolders(options: { fresh?: boolean } = {}): Promise<Set<string>> {
    const now = this.clock.now();
    if (!options.fresh && this.adminCache && now - this.adminCache.at < this.adminCacheMs)
      return new Set(this.adminCache.ids);
    const ids = await this.roleHolders(null, { eligible: true });
    this.adminCache = { at: this.clock.now(), ids };
    return new Set(ids);
  }

  /**
   * Whether the object holds Global Administrator now: assigned directly, through a group, or PIM-active (an
   * eligibility that is not activated does not count). Matched by the role's template id, never by its name.
   */
  async isGlobalAdmin(objectId: string): Promise<boolean> {
    const holders = await this.roleHolders(`roleDefinitionId eq ${q(GLOBAL_ADMIN_TEMPLATE_ID)}`, { eligible: false });
    return holders.has(objectId);
  }

  /**
   * Principals of the role assignments (and active PIM instances; with `eligible`, PIM eligibilities) that match
   * `filter`, with role-assignable groups replaced by their transitive members.
   * https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignments
   * https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleassignmentscheduleinstances
   * https://learn.microsoft.com/en-us/graph/api/rbacapplication-list-roleeligibilityscheduleinstances
   */
  private async roleHolders(filter: string | null, options: { eligible: boolean }): Promise<Set<string>> {
    const query = (base: string) =>
      `/roleManagement/directory/${base}?$expand=principal${filter ? `&$filter=${enc(filter)}` : ''}`;
    const permission = 'RoleManagement.Read.Directory';
    let rows: Json[];
    try {
      rows = await this.getAll(query('roleAssignments'), { permission });
    } catch (err) {
      if (filter !== null || !(err instanceof GraphRequestError) || err.kind !== 'bad_request') throw err;
      // The service wants a filter: ask role by role.
      const definitions = await this.listRoleDefinitions();
      rows = [];
      for (const id of definitions.keys()) {
        const byRole = `/roleManagement/directory/roleAssignments?$expand=principal&$filter=${enc(`roleDefinitionId eq ${q(id)}`)}`;
        rows.push(...(await this.getAll(byRole, { permission })));
      }
    }
    rows.push(...(await this.pimRows(query('roleAssignmentScheduleInstances'))));
    if (options.eligible) rows.push(...(await this.pimRows(query('roleEligibilityScheduleInstances'))));
    const holders = new Set<string>();
    const groups = new Set<string>();
    for (const r of rows) {
      if (typeof r.principalId !== 'string') continue;
      const principal = r.principal as Json | null | undefined;
      if (principal && principal['@odata.type'] === '#microsoft.graph.group') groups.add(r.principalId);
      else holders.add(r.principalId);
    }
    for (const group of groups) {
      const members = await this.getAll(`/groups/${enc(group)}/transitiveMembers?$select=id&$top=999`, {
        permission: 'GroupMember.Read.All',
      });
      for (const m of members) if (typeof m.id === 'string') holders.add(m.id);
    }
    return holders;
  }

  /** A PIM listing; a tenant without PIM (no Entra ID P2 / Governance licence) has nothing to list. */
  private async pimRows(path: string): Promise<Json[]> {
    try {
      return await this.getAll(path, { permission: 'RoleManagement.Read.Directory' });
    } catch (err) {
      if (err instanceof GraphRequestError && /licen[cs]e/i.test(`${err.failure.code} ${err.failure.message}`)) {
        this.logger.debug({ path: path.split('?')[0], code: err.failure.code }, 'no PIM in this tenant');
        return [];
      }
      throw err;
    }
  }

  /** Role definitions by id (cached with the admin set). */
  private async listRoleDefinitions(): Promise<Map<string, { displayName: string; templateId: string | null }>> {
    const now = this.clock.now();
    if (this.roleDefinitions && now - this.roleDefinitions.at < this.adminCacheMs) return this.roleDefinitions.byId;
    const rows = await this.getAll('/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId', {
      permission: 'RoleManagement.Read.Directory',
    });
    const byId = new Map<string, { displayName: string; templateId: string | null }>();
    for (const r of rows)
      byId.set(String(r.id), { displayName: String(r.displayName ?? ''), templateId: str(r.templateId) });
    this.roleDefinitions = { at: this.clock.now(), byId };
    return byId;
  }
}
