// Access Control over SCIM 2.0 (RFC 7643/7644): lists a domain's users with a bearer token and maps them to source users.
import type { SourceUser } from '../sync/model.js';
import type { SourceDirectory } from '../sync/ports.js';
import { deriveImmutableId } from '../sync/immutable-id.js';
import type { SourceIdentityMemory } from './identity-memory.js';
import { normaliseDomain } from '../sync/domain-name.js';

export const SCIM_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimDirectoryOptions {
  /** The SCIM base URL, e.g. https://access-control.example/scim/v2 (without /Users). */
  readonly baseUrl: string;
  readonly token: string;
  /** Users asked for per page (the server may return fewer). */
  readonly pageSize?: number;
  /** Use `filter=userName ew "@domain"`: 'auto' asks /ServiceProviderConfig once. */
  readonly filter?: 'auto' | boolean;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** Most pages one listing reads (default 5,000: a million users at 200 a page). */
  readonly maxPages?: number;
  /** Most time one listing takes, all pages together (default 15 minutes). */
  readonly maxListMs?: number;
  readonly tenantSalt?: string;
  readonly fetch?: typeof fetch;
  /**
   * Remembers the first Immutable ID of every SCIM user (by SCIM id), so that it survives any later change of the
   * record, an externalId set afterwards included. Without it the ID is derived on every read (stable as long as
   * externalId does not change).
   */
  readonly identities?: SourceIdentityMemory;
}

/** The parts of a SCIM User resource this client reads. */
export interface ScimUser {
  readonly id: string;
  readonly externalId?: string;
  readonly userName: string;
  readonly displayName?: string;
  readonly title?: string;
  readonly active?: boolean;
  readonly name?: { readonly givenName?: string; readonly familyName?: string; readonly formatted?: string };
  readonly emails?: readonly { readonly value: string; readonly type?: string; readonly primary?: boolean }[];
  readonly phoneNumbers?: readonly { readonly value: string; readonly type?: string; readonly primary?: boolean }[];
  readonly [SCIM_ENTERPRISE_USER]?: { readonly employeeNumber?: string; readonly department?: string };
}

interface ListResponse {
  readonly totalResults: number;
  readonly startIndex?: number;
  readonly itemsPerPage?: number;
  readonly Resources?: readonly ScimUser[];
}

export class ScimError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly scimType: string | null,
  ) {
    super(message);
    this.name = 'ScimError';
  }
}

const pick = <T extends { type?: string; primary?: boolean }>(items: readonly T[] | undefined, type: string) =>
  items?.find((i) => i.type === type && i.primary) ??
  items?.find((i) => i.type === type) ??
  items?.find((i) => i.primary);

/**
 * The Immutable ID a SCIM user gets when none is remembered for it: its externalId when set, else one derived from
 * its SCIM `id`, which RFC 7643 §3.1 makes stable and never reassigned. Never from userName or employeeNumber: an
 * administrator may add, change or remove those, and the user's Entra identity must not change with them.
 */
export function scimImmutableId(user: Pick<ScimUser, 'id' | 'externalId'>, tenantSalt?: string): string {
  return user.externalId?.trim() || deriveImmutableId(`scim:${user.id}`, tenantSalt);
}

/** Maps a SCIM user (core + enterprise extension) to a source user; `immutableId` defaults to scimImmutableId. */
export function scimToSourceUser(user: ScimUser, tenantSalt?: string, immutableId?: string): SourceUser {
  const enterprise = user[SCIM_ENTERPRISE_USER];
  const givenName = user.name?.givenName ?? null;
  const surname = user.name?.familyName ?? null;
  const employeeId = enterprise?.employeeNumber ?? null;
  const displayName =
    user.displayName ?? user.name?.formatted ?? ([surname, givenName].filter(Boolean).join(' ') || user.userName);
  return {
    userPrincipalName: user.userName,
    immutableId: immutableId ?? scimImmutableId(user, tenantSalt),
    displayName,
    givenName,
    surname,
    mail: pick(user.emails, 'work')?.value ?? null,
    jobTitle: user.title ?? null,
    department: enterprise?.department ?? null,
    employeeId,
    mobilePhone: pick(user.phoneNumbers, 'mobile')?.value ?? null,
    accountEnabled: user.active ?? true,
  };
}

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class ScimDirectory implements SourceDirectory {
  private readonly base: string;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly maxPages: number;
  private readonly maxListMs: number;
  private readonly fetchImpl: typeof fetch;
  private filterSupported: Promise<boolean> | null = null;
  /** Whether `userName ew` answers can be trusted (null: not checked yet). */
  private filterTrusted: boolean | null = null;

  constructor(private readonly options: ScimDirectoryOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.pageSize = options.pageSize ?? 200;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxPages = options.maxPages ?? 5000;
    this.maxListMs = options.maxListMs ?? 15 * 60_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async listUsers(domain: string): Promise<SourceUser[]> {
    const users: SourceUser[] = [];
    await this.eachUser(domain, (part) => {
      for (const u of part) users.push(u);
    });
    return users;
  }

  /**
   * The domain's users a SCIM page's worth at a time. The SCIM users themselves are gathered first (whether the
   * filtered answer can be trusted is known only once it is complete), but each is turned into a source user only
   * when its part is handed over. A SCIM listing is never started again, so `restart` is never called.
   */
  async eachUser(domain: string, onUsers: (users: readonly SourceUser[]) => void): Promise<void> {
    const d = normaliseDomain(domain);
    const suffix = `@${d}`;
    const users = ((await this.useFilter()) ? await this.filteredUsers(suffix) : null) ?? (await this.listAll(null));
    // userName is case-insensitive (RFC 7643 §4.1.1, caseExact false): `@Contoso.co.jp` is in contoso.co.jp.
    const inDomain = users.filter((u) => typeof u.userName === 'string' && u.userName.toLowerCase().endsWith(suffix));
    const remembered = await this.immutableIds(inDomain);
    for (let start = 0; start < inDomain.length; start += this.pageSize) {
      const part = inDomain.slice(start, start + this.pageSize);
      onUsers(part.map((u) => scimToSourceUser(u, this.options.tenantSalt, remembered.get(u.id))));
    }
  }

  /**
   * The domain's users through `userName ew "@domain"`, or null when that answer cannot be trusted and the caller
   * must list everything: the server refused the filter, found nobody (an empty answer would plan every Entra user
   * as a Delete), or compares case-sensitively although userName is case-insensitive (RFC 7643 §4.1.1) — checked
   * once by asking the same filter in upper case, which a conforming server answers with the same users.
   */
  private async filteredUsers(suffix: string): Promise<ScimUser[] | null> {
    if (this.filterTrusted === false) return null;
    let users: ScimUser[];
    try {
      users = await this.listAll(`userName ew ${quote(suffix)}`);
    } catch (err) {
      // A server that says it filters but refuses this filter: list everything instead.
      if (!(err instanceof ScimError) || !(err.status === 400 || err.status === 501 || err.status === 403)) throw err;
      return null;
    }
    if (users.length === 0) return null;
    if (this.filterTrusted === null) {
      const params = new URLSearchParams({
        filter: `userName ew ${quote(suffix.toUpperCase())}`,
        startIndex: '1',
        count: '1',
      });
      const probe = await this.get<ListResponse>(`/Users?${params.toString()}`).then(
        (page) => page.totalResults,
        () => null,
      );
      this.filterTrusted = probe === users.length;
      if (!this.filterTrusted) return null;
    }
    return users;
  }

  private useFilter(): Promise<boolean> {
    const setting = this.options.filter ?? 'auto';
    if (setting !== 'auto') return Promise.resolve(setting);
    // A failing /ServiceProviderConfig (a 401 included) fails the run: it is not a server that cannot filter.
    this.filterSupported ??= this.get<{ filter?: { supported?: boolean } }>('/ServiceProviderConfig').then(
      (config) => config.filter?.supported === true,
      (err: unknown) => {
        this.filterSupported = null;
        const reason = err instanceof Error ? err.message : String(err);
        const status = err instanceof ScimError ? err.status : 0;
        const next =
          status === 401 || status === 403
            ? 'check ACCESS_CONTROL_SCIM_TOKEN'
            : 'check ACCESS_CONTROL_SCIM_URL and that the SCIM service is up';
        throw new ScimError(
          `${reason}; ${next}, then run again`,
          status,
          err instanceof ScimError ? err.scimType : null,
        );
      },
    );
    return this.filterSupported;
  }

  /** The Immutable ID of each user (by SCIM id): the remembered one, else scimImmutableId, remembered from now on. */
  private async immutableIds(users: readonly ScimUser[]): Promise<Map<string, string>> {
    const memory = this.options.identities;
    if (!memory || users.length === 0) return new Map();
    const known = await memory.recall(users.map((u) => u.id));
    const fresh = new Map<string, string>();
    for (const u of users) if (!known.has(u.id)) fresh.set(u.id, scimImmutableId(u, this.options.tenantSalt));
    if (fresh.size > 0) await memory.remember(fresh);
    return new Map([...known, ...fresh]);
  }

  /**
   * Reads every page, bounded: a server that announces a billion users, or answers one user per page, stops the
   * listing with an error (and so the run, before anything is written) instead of paging forever.
   */
  private async listAll(filter: string | null): Promise<ScimUser[]> {
    const out: ScimUser[] = [];
    let startIndex = 1;
    const started = Date.now();
    for (let pages = 0; ; pages++) {
      if (pages >= this.maxPages)
        throw new ScimError(
          `SCIM: the listing stopped after ${pages} pages (${out.length} users read): the server keeps announcing more. Nothing was changed; check the Access Control SCIM endpoint.`,
          0,
          null,
        );
      if (Date.now() - started > this.maxListMs)
        throw new ScimError(
          `SCIM: the listing stopped after ${Math.round(this.maxListMs / 1000)} s (${pages} pages, ${out.length} users read). Nothing was changed; check the Access Control SCIM endpoint.`,
          0,
          null,
        );
      const params = new URLSearchParams({ startIndex: String(startIndex), count: String(this.pageSize) });
      if (filter) params.set('filter', filter);
      const page = await this.get<ListResponse>(`/Users?${params.toString()}`);
      const resources = page.Resources ?? [];
      for (const r of resources) out.push(r);
      startIndex += resources.length;
      if (resources.length === 0 || startIndex > page.totalResults) return out;
    }
  }

  private async get<T>(path: string): Promise<T> {
    const url = `${this.base}${path}`;
    let response: Response;
    let text: string;
    try {
      // One deadline for the whole request, answer body included.
      response = await this.fetchImpl(url, {
        headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/scim+json, application/json' },
        signal: AbortSignal.timeout(Math.max(1, this.timeoutMs)),
      });
      text = await response.text();
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new ScimError(
          `SCIM: ${this.base} timed out after ${Math.round(this.timeoutMs / 1000)} s (SCIM_TIMEOUT_SECONDS) on GET ${path.split('?')[0]}; check that Access Control answers, or raise the limit`,
          0,
          null,
        );
      throw new ScimError(`SCIM: cannot reach ${this.base}: ${(err as Error).message}`, 0, null);
    }
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported below
    }
    if (!response.ok) {
      const detail = (body as { detail?: string; scimType?: string } | null) ?? null;
      throw new ScimError(
        `SCIM: GET ${path.split('?')[0]} answered ${response.status}${detail?.detail ? `: ${detail.detail}` : ''}`,
        response.status,
        detail?.scimType ?? null,
      );
    }
    if (body === null || typeof body !== 'object')
      throw new ScimError(`SCIM: GET ${path.split('?')[0]} did not answer JSON`, response.status, null);
    return body as T;
  }
}
