// Everything a bot handler needs, built once by startBotServer and passed to each handler.
import type { CloudAdapter } from 'botbuilder';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Stores } from '../store/index.js';
import type { SyncService } from '../sync/service.js';
import type { Authorizer } from './authorization.js';
import type { BackgroundTasks } from './background-tasks.js';
import type { BotDeps } from './deps.js';
import type { Proactive } from './proactive.js';
import type { LinkSigner } from './signed-links.js';

export interface BotRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly service: SyncService;
  readonly stores: Stores;
  readonly connection: BotDeps['connection'];
  readonly now: () => Date;
  readonly adapter: CloudAdapter;
  readonly botAppId: string;
  readonly authorizer: Authorizer;
  readonly signer: LinkSigner;
  readonly proactive: Proactive;
  readonly tasks: BackgroundTasks;
  /** Public base URL (download links, consent redirect), without trailing slash. */
  readonly publicBaseUrl: string;
  /** A signed download URL for a plan's or run's CSV. */
  linkFor(kind: 'plan' | 'run', id: string): string;
  /** Minimum time between two in-place card updates of one message. */
  readonly updateIntervalMs: number;
  /** Whether the client supports File Consent cards (not in local mode). */
  readonly fileConsent: boolean;
}
