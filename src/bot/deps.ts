// What the bot server is built from (passed in by the composition root) and what it hands back.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Stores } from '../store/index.js';
import type { RunNotifier } from '../sync/ports.js';
import type { SyncService } from '../sync/service.js';
import type { SavedConnection } from './render-cards.js';

export interface BotDeps {
  config: Config;
  logger: Logger;
  service: SyncService;
  stores: Stores;
  /** Graph connection state + consent. */
  connection: {
    status(): Promise<{ connected: true } | { connected: false; reason: string }>;
    consentUrl(state: string, redirectUri: string): string;
    onConsentGranted(tenantId: string): Promise<void>;
    /** The saved connection shown by `connect` (tenant, app, endpoints); never a secret. */
    saved?: SavedConnection;
  };
  /** Live Global Administrator check through Graph (the bot caches it briefly). */
  isGlobalAdmin(aadObjectId: string): Promise<boolean>;
  now?: () => Date;
}

export interface BotServer {
  url: string;
  notifier: RunNotifier;
  close(): Promise<void>;
}
