// App registrations known to the emulator tenant, their credentials, and the application permissions consented to them.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SeedApp, SeedAppCertificate } from './seed.js';
import { stableId } from './tenant-objects.js';

/** Application permissions the emulator's Graph surface understands. */
export const KNOWN_PERMISSIONS = [
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Domain.Read.All',
  'Organization.Read.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.Read.All',
  'RoleEligibilitySchedule.Read.Directory',
  'RoleAssignmentSchedule.Read.Directory',
  'GroupMember.Read.All',
  'Group.Read.All',
] as const;

/** What the emulator's own app (the bot) asks an administrator to consent to. */
export const OWN_APP_PERMISSIONS = [
  'User.ReadWrite.All',
  'Domain.Read.All',
  'Organization.Read.All',
  'RoleManagement.Read.Directory',
  'GroupMember.Read.All',
];

/** The object id of an app's service principal in the tenant (stable, so role assignments to it survive a reload). */
export function servicePrincipalIdFor(clientId: string): string {
  return stableId(`servicePrincipal/${clientId}`);
}

export interface AppRegistration {
  clientId: string;
  clientSecret: string | null;
  displayName: string;
  certificates: SeedAppCertificate[];
  /** Permissions the app requests (shown on the consent page). */
  requested: string[];
  servicePrincipalId: string;
  own: boolean;
  /** Registered redirect URIs (Web platform): admin consent compares redirect_uri with them exactly. */
  redirectUris: string[];
}

export class AppRegistry {
  private apps = new Map<string, AppRegistration>();
  private consents = new Map<string, string[]>();

  /** Registers the emulator's own app; its consent is granted when `consented`. */
  registerOwn(input: {
    clientId?: string;
    clientSecret?: string;
    consented: boolean;
    redirectUris?: string[];
  }): AppRegistration {
    const clientId = input.clientId ?? randomUUID();
    const app: AppRegistration = {
      clientId,
      clientSecret: input.clientSecret ?? randomBytes(30).toString('base64url'),
      displayName: 'entra-sync-bot (emulator)',
      certificates: [],
      requested: [...OWN_APP_PERMISSIONS],
      servicePrincipalId: servicePrincipalIdFor(clientId),
      own: true,
      redirectUris: [...(input.redirectUris ?? [])],
    };
    this.apps.set(app.clientId, app);
    if (input.consented) this.consents.set(app.clientId, [...app.requested]);
    return app;
  }

  /** Drops every app but the own one, then registers the seed's apps with consent granted. */
  replaceSeedApps(apps: SeedApp[]): void {
    for (const [id, app] of this.apps) {
      if (!app.own) {
        this.apps.delete(id);
        this.consents.delete(id);
      }
    }
    for (const a of apps) {
      const requested = a.permissions ?? [...KNOWN_PERMISSIONS];
      this.apps.set(a.clientId, {
        clientId: a.clientId,
        clientSecret: a.clientSecret ?? null,
        displayName: a.displayName ?? a.clientId,
        certificates: a.certificates ?? [],
        requested,
        servicePrincipalId: servicePrincipalIdFor(a.clientId),
        own: false,
        redirectUris: [...(a.redirectUris ?? [])],
      });
      this.consents.set(a.clientId, [...requested]);
    }
  }

  get(clientId: string): AppRegistration | undefined {
    return this.apps.get(clientId);
  }

  own(): AppRegistration {
    for (const a of this.apps.values()) if (a.own) return a;
    throw new Error('the emulator has no own app registration');
  }

  /** Seed-form of the non-own apps (for persistence). */
  seedApps(): SeedApp[] {
    return [...this.apps.values()]
      .filter((a) => !a.own)
      .map((a) => ({
        clientId: a.clientId,
        ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}),
        displayName: a.displayName,
        certificates: a.certificates,
        permissions: this.consents.get(a.clientId) ?? [],
        redirectUris: [...a.redirectUris],
      }));
  }

  granted(clientId: string): string[] {
    return this.consents.get(clientId) ?? [];
  }

  isConsented(clientId: string): boolean {
    return this.consents.has(clientId);
  }

  grant(clientId: string): void {
    const app = this.apps.get(clientId);
    if (app) this.consents.set(clientId, [...app.requested]);
  }

  /** Replaces an app's registered redirect URIs (the portal's Authentication blade). */
  setRedirectUris(clientId: string, uris: readonly string[]): void {
    const app = this.apps.get(clientId);
    if (app) app.redirectUris = [...uris];
  }

  revoke(clientId: string): void {
    this.consents.delete(clientId);
  }
}
