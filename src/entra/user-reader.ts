// Reads Entra ID through Graph (the EntraReader): users, deleted users, domains, the country and admin-role holders.
import type { Logger } from '../logger.js';
import type { DeletedEntraUser, EntraDomain, EntraUser } from '../sync/model.js';
import type { EntraReader, ReadProgress } from '../sync/ports.js';
import { GraphRequestError } from './errors.js';
import { type GraphClient, type GraphResponse, odataString as q } from './graph-client.js';
import { GraphPages, nextLinkOf, rowsOf } from './graph-pages.js';
import { LISTING_CONCURRENCY, LISTING_PARTITIONS, settleEach } from './listing-partitions.js';
import { type Clock, DEFAULT_RETRY_LIMITS, type RandomSource } from './retry.js';
import { requireDomainName } from '../sync/domain-name.js';
import { RoleHolderReader } from './role-holders.js';
import { DELETED_SELECT, ENTRA_USER_SELECT, type Json, str, toDeletedUser, toEntraUser } from './user-rows.js';

export interface GraphEntraReaderOptions {
  readonly graph: GraphClient;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random?: RandomSource;
  /** Attempts per page/request for throttled or transient failures. Default 6. */
  readonly maxAttempts?: number;
  /** How long the admin-role holder set is reused. Default 60 s. */
  readonly adminCacheMs?: number;
  /** Page size ($top, 1–999). Default 999. */
  readonly pageSize?: number;
  /**
   * Domains with more users than this are listed in parallel, one listing per group of UPN first characters
   * (LISTING_PARTITIONS: one character each). Default 9,990 (ten pages).
   */
  readonly partitionAbove?: number;
  /** Groups of first characters of UPN local parts, one parallel listing each. Default LISTING_PARTITIONS. */
  readonly partitions?: readonly (readonly string[])[];
  /** Partition listings in flight at once (1 or more). Default LISTING_CONCURRENCY. */
  readonly listingConcurrency?: number;
}

const enc = encodeURIComponent;

export class GraphEntraReader implements EntraReader {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pages: GraphPages;
  private readonly adminCacheMs: number;
  private readonly pageSize: number;
  private readonly partitionAbove: number;
  private readonly partitions: readonly (readonly string[])[];
  private readonly listingConcurrency: number;
  private readonly roles: RoleHolderReader;
  /** The organization's country, kept as long as the admin list (a run reads it for its dry run and its re-check). */
  private countryCache: { at: number; code: string | null } | null = null;
  /** Set once Graph refused the partitioned listing's filter (400): later listings go straight to endsWith. */
  private partitionsRefused = false;

  constructor(options: GraphEntraReaderOptions) {
    this.logger = options.logger;
    this.clock = options.clock;
    this.pages = new GraphPages({
      graph: options.graph,
      logger: this.logger,
      clock: this.clock,
      random: options.random ?? Math.random,
      limits: {
        ...DEFAULT_RETRY_LIMITS,
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      },
    });
    this.adminCacheMs = options.adminCacheMs ?? 60_000;
    this.roles = new RoleHolderReader(
      (path, o) => this.pages.getAll(path, o),
      this.logger,
      this.clock,
      this.adminCacheMs,
    );
    this.pageSize = options.pageSize ?? 999;
    this.partitionAbove = options.partitionAbove ?? 9990;
    this.partitions = options.partitions ?? LISTING_PARTITIONS;
    this.listingConcurrency = options.listingConcurrency ?? LISTING_CONCURRENCY;
    if (!Number.isInteger(this.listingConcurrency) || this.listingConcurrency < 1) {
      throw new Error(`listingConcurrency: must be a whole number from 1 (got ${this.listingConcurrency})`);
    }
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > 999) {
      throw new Error(`pageSize: must be a whole number from 1 to 999 (got ${this.pageSize})`);
    }
  }

  async listDomains(): Promise<EntraDomain[]> {
    const rows = await this.pages.getAll('/domains?$select=id,authenticationType,isVerified,isDefault,isInitial', {
      permission: 'Domain.Read.All',
    });
    return rows.map((d) => ({
      id: String(d.id).toLowerCase(),
      authenticationType: String(d.authenticationType).toLowerCase() === 'federated' ? 'Federated' : 'Managed',
      isVerified: d.isVerified === true,
      isDefault: d.isDefault === true,
      isInitial: d.isInitial === true,
    }));
  }

  async listUsers(domain: string, onProgress?: (p: ReadProgress) => void): Promise<EntraUser[]> {
    const byId = new Map<string, EntraUser>();
    await this.eachUser(domain, (users) => {
      // A page read during writes may repeat a user: keep one per id.
      for (const user of users) byId.set(user.id, user);
      onProgress?.({ read: byId.size });
    });
    return [...byId.values()];
  }

  async eachUser(
    domain: string,
    onUsers: (users: readonly EntraUser[]) => void,
    listing: { readonly listingsInFlight?: number } = {},
  ): Promise<void> {
    const inFlight = Math.min(listing.listingsInFlight ?? this.listingConcurrency, this.listingConcurrency);
    if (!Number.isInteger(inFlight) || inFlight < 1) {
      throw new Error(`listingsInFlight: must be a whole number from 1 (got ${listing.listingsInFlight})`);
    }
    const d = requireDomainName(domain);
    const inDomain = `endsWith(userPrincipalName,${q(`@${d}`)})`;
    const suffix = `@${d}`;
    const take = (rows: Json[]) => {
      const users: EntraUser[] = [];
      for (const raw of rows) {
        const user = toEntraUser(raw);
        // Graph's filter is authoritative; a user outside the domain is not handed over. A lower-case UPN (nearly
        // all) is matched without building its lower-case copy.
        const upn = user.userPrincipalName;
        if (upn.endsWith(suffix) || upn.toLowerCase().endsWith(suffix)) users.push(user);
      }
      onUsers(users);
    };
    const options = { advanced: true, permission: 'User.Read.All' };
    // The first page also tells how many users the domain has ($count): small domains are read page after page.
    const first = await this.pages.request(this.usersPath(inDomain), options);
    const firstBody = (first?.body ?? {}) as Json;
    const total = typeof firstBody['@odata.count'] === 'number' ? firstBody['@odata.count'] : null;
    const firstNext = nextLinkOf(firstBody);
    take(rowsOf(firstBody));
    if (firstNext === null) return;
    if (total === null || total <= this.partitionAbove || this.partitions.length < 2) {
      await this.pages.follow(firstNext, options, take);
      return;
    }
    if (this.partitionsRefused) {
      await this.pages.follow(firstNext, options, take);
      return;
    }
    // Large domains: one listing per first character, listingConcurrency at a time (a page costs about the same
    // round trip whatever its size, so N/999 sequential pages would cost N/999 round trips). Graph documents `endsWith` on
    // userPrincipalName and `startsWith(…) or startsWith(…)` as advanced queries, but not the two joined by `and`
    // (https://learn.microsoft.com/en-us/graph/aad-advanced-queries): when Graph refuses that form with a 400, the
    // domain is read with the documented `endsWith` listing alone, and this reader does not try the form again.
    const settled = await settleEach(this.partitions, inFlight, async (letters) => {
      const group = letters.map((c) => `startsWith(userPrincipalName,${q(c)})`).join(' or ');
      let count: number | null = null;
      await this.pages.follow(this.usersPath(`(${group}) and ${inDomain}`), options, take, (body) => {
        if (count === null && typeof body['@odata.count'] === 'number') count = body['@odata.count'];
      });
      return count ?? 0;
    });
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const refused = failures.find((e) => e instanceof GraphRequestError && e.kind === 'bad_request');
    const other = failures.find((e) => !(e instanceof GraphRequestError && e.kind === 'bad_request'));
    if (other !== undefined) throw other;
    if (refused !== undefined) {
      this.partitionsRefused = true;
      this.logger.warn(
        { domain: d, code: (refused as GraphRequestError).failure.code },
        'Graph refused the partitioned listing filter; reading the domain with endsWith alone',
      );
      await this.pages.follow(firstNext, options, take);
      return;
    }
    const covered = settled.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
    if (covered < total) {
      // Some UPNs start with a character no group has (or the directory changed meanwhile): read it all in one go.
      this.logger.debug({ domain: d, total, covered }, 'partitioned listing missed users; listing sequentially');
      await this.pages.follow(firstNext, options, take);
    }
  }

  /** `/users` with the EntraUser properties, a page of pageSize and the advanced-query count. */
  private usersPath(filter: string): string {
    return `/users?$filter=${enc(filter)}&$count=true&$select=${ENTRA_USER_SELECT.join(',')}&$top=${this.pageSize}`;
  }

  async listDeletedUsers(domain: string): Promise<DeletedEntraUser[]> {
    const d = requireDomainName(domain);
    const filter = `endsWith(userPrincipalName,${q(`@${d}`)})`;
    const select = DELETED_SELECT.join(',');
    const base = '/directory/deletedItems/microsoft.graph.user';
    let rows: Json[];
    try {
      rows = await this.pages.getAll(
        `${base}?$filter=${enc(filter)}&$count=true&$select=${select}&$top=${this.pageSize}`,
        {
          advanced: true,
          permission: 'User.Read.All',
        },
      );
    } catch (err) {
      if (!(err instanceof GraphRequestError) || err.kind !== 'bad_request') throw err;
      // Some tenants refuse the advanced filter on deleted items: list them all and filter here.
      this.logger.debug({ domain: d }, 'deleted-items filter refused; filtering locally');
      rows = await this.pages.getAll(`${base}?$select=${select}&$top=${this.pageSize}`, {
        permission: 'User.Read.All',
      });
    }
    return rows.map(toDeletedUser).filter((u) => u.userPrincipalName.toLowerCase().endsWith(`@${d}`));
  }

  // https://learn.microsoft.com/en-us/graph/api/organization-list (application permission Organization.Read.All)
  async organizationCountry(): Promise<string | null> {
    const now = this.clock.now();
    if (this.countryCache && now - this.countryCache.at < this.adminCacheMs) return this.countryCache.code;
    const code = await this.readOrganizationCountry();
    this.countryCache = { at: now, code };
    return code;
  }

  private async readOrganizationCountry(): Promise<string | null> {
    let res: GraphResponse | null;
    try {
      res = await this.pages.request('/organization?$select=id,countryLetterCode', {
        permission: 'Organization.Read.All',
      });
    } catch (err) {
      if (!(err instanceof GraphRequestError) || err.kind !== 'forbidden') throw err;
      // Without Organization.Read.All there is no default: a domain then needs its own usage location.
      this.logger.warn(
        { err: err.message },
        "cannot read the organization's country (grant Organization.Read.All); new users get no usage location unless the domain sets one",
      );
      return null;
    }
    const org = rowsOf((res?.body ?? {}) as Json)[0];
    const code = org ? str(org.countryLetterCode) : null;
    return code && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : null;
  }

  /** Every holder of a directory role in any form (RoleHolderReader.listAdminRoleHolders): protected from the sync. */
  listAdminRoleHolders(options: { fresh?: boolean } = {}): Promise<Set<string>> {
    return this.roles.listAdminRoleHolders(options);
  }

  /** Whether the object holds Global Administrator now (RoleHolderReader.isGlobalAdmin). */
  isGlobalAdmin(objectId: string): Promise<boolean> {
    return this.roles.isGlobalAdmin(objectId);
  }

  async findUserByImmutableId(immutableId: string): Promise<EntraUser | null> {
    const filter = `onPremisesImmutableId eq ${q(immutableId)}`;
    const rows = await this.pages.getAll(
      `/users?$filter=${enc(filter)}&$count=true&$select=${ENTRA_USER_SELECT.join(',')}&$top=5`,
      { advanced: true, permission: 'User.Read.All', maxPages: 1 },
    );
    const match = rows.map(toEntraUser).find((u) => u.onPremisesImmutableId === immutableId);
    return match ?? null;
  }

  async getUser(idOrUpn: string): Promise<EntraUser | null> {
    const res = await this.pages.request(`/users/${enc(idOrUpn)}?$select=${ENTRA_USER_SELECT.join(',')}`, {
      permission: 'User.Read.All',
      allowNotFound: true,
    });
    return res === null ? null : toEntraUser(res.body as Json);
  }
}
