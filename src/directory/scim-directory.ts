// Access Control over SCIM 2.0 (RFC 7643/7644): lists a domain's users with a bearer token and maps them to source users.
import type { SourceUser } from '../sync/model.js';
import type { SourceDirectory } from '../sync/ports.js';
import { deriveImmutableId } from '../sync/immutable-id.js';
import { stableKeyOf } from './csv-import.js';

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
  readonly timeoutMs?: number;
  readonly tenantSalt?: string;
  readonly fetch?: typeof fetch;
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

/** Maps a SCIM user (core + enterprise extension) to a source user; externalId becomes the Immutable ID. */
export function scimToSourceUser(user: ScimUser, tenantSalt?: string): SourceUser {
  const enterprise = user[SCIM_ENTERPRISE_USER];
  const givenName = user.name?.givenName ?? null;
  const surname = user.name?.familyName ?? null;
  const employeeId = enterprise?.employeeNumber ?? null;
  const displayName =
    user.displayName ?? user.name?.formatted ?? ([surname, givenName].filter(Boolean).join(' ') || user.userName);
  // Without an externalId the SCIM id is the stable key (it survives renames); an employee number wins over it.
  const stableKey = employeeId ? stableKeyOf({ userPrincipalName: user.userName, employeeId }) : `scim:${user.id}`;
  return {
    userPrincipalName: user.userName,
    immutableId: user.externalId?.trim() || deriveImmutableId(stableKey, tenantSalt),
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
  private readonly fetchImpl: typeof fetch;
  private filterSupported: Promise<boolean> | null = null;

  constructor(private readonly options: ScimDirectoryOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.pageSize = options.pageSize ?? 200;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async listUsers(domain: string): Promise<SourceUser[]> {
    const d = domain.trim().toLowerCase().replace(/^@/, '');
    const suffix = `@${d}`;
    let users: ScimUser[];
    if (await this.useFilter()) {
      try {
        users = await this.listAll(`userName ew ${quote(suffix)}`);
      } catch (err) {
        // A server that says it filters but refuses this filter: list everything instead.
        if (!(err instanceof ScimError) || !(err.status === 400 || err.status === 501 || err.status === 403)) throw err;
        users = await this.listAll(null);
      }
    } else users = await this.listAll(null);
    return users
      .filter((u) => typeof u.userName === 'string' && u.userName.toLowerCase().endsWith(suffix))
      .map((u) => scimToSourceUser(u, this.options.tenantSalt));
  }

  private useFilter(): Promise<boolean> {
    const setting = this.options.filter ?? 'auto';
    if (setting !== 'auto') return Promise.resolve(setting);
    this.filterSupported ??= this.get<{ filter?: { supported?: boolean } }>('/ServiceProviderConfig').then(
      (config) => config.filter?.supported === true,
      () => false,
    );
    return this.filterSupported;
  }

  private async listAll(filter: string | null): Promise<ScimUser[]> {
    const out: ScimUser[] = [];
    let startIndex = 1;
    for (;;) {
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
    try {
      response = await this.fetchImpl(url, {
        headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/scim+json, application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new ScimError(
          `SCIM: ${this.base} timed out after ${this.timeoutMs / 1000} s (SCIM_TIMEOUT_SECONDS); check that Access Control answers, or raise the limit`,
          0,
          null,
        );
      throw new ScimError(`SCIM: cannot reach ${this.base}: ${(err as Error).message}`, 0, null);
    }
    const text = await response.text();
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
