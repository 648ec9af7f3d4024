// What the bot server is built from (passed in by the composition root) and what it hands back.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { OpsRoutes } from './http-server.js';
import type { Stores } from '../store/index.js';
import type { OpsObserver } from '../sync/observer.js';
import type { RunNotifier } from '../sync/ports.js';
import type { SyncService } from '../sync/service.js';

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
