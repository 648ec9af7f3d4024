// What the bot server is built from (passed in by the composition root) and what it hands back.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { OpsRoutes } from './http-server.js';
import type { Stores } from '../store/index.js';
import type { OpsObserver } from '../sync/observer.js';
import type { RunNotifier } from '../sync/ports.js';
import type { SyncService } from '../sync/service-interface.js';
import type { SavedConnection } from './render-cards.js';

export type ConnectionStatus =
  | { readonly connected: true }
  | { readonly connected: false; readonly reason: string; readonly missing?: readonly string[] };

export interface BotDeps {
  config: Config;
  logger: Logger;
  service: SyncService;
  stores: Stores;
  /** Graph connection state + consent. */
  connection: {
    /**
     * Fetches a fresh token and reads its `roles` claim: connected only when every required permission is there;
     * `missing` names the permissions an administrator still has to grant.
     */
    status(): Promise<ConnectionStatus>;
    consentUrl(state: string, redirectUri: string): string;
    onConsentGranted(tenantId: string): Promise<void>;
    /** The tenant the bot syncs: the consent callback is accepted for it only (default: ENTRA_TENANT_ID). */
    readonly tenantId?: string | null;
    /** The saved connection shown by `connect` (tenant, app, endpoints); never a secret. */
    saved?: SavedConnection;
  };
  /** Live Global Administrator check through Graph (the bot caches it briefly). */
  isGlobalAdmin(aadObjectId: string): Promise<boolean>;
  now?: () => Date;
  /** `/readyz` and `/metrics` on the bot's port (issue 14); absent in tests that do not need them. */
  ops?: OpsRoutes | null;
  /** Told of each command and card action with its outcome (metrics). */
  observer?: OpsObserver;
}

export interface BotServer {
  url: string;
  notifier: RunNotifier;
  close(): Promise<void>;
}
