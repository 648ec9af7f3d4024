// Everything a bot handler needs, built once by startBotServer and passed to each handler.
import type { CloudAdapter } from 'botbuilder';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Stores } from '../store/index.js';
import type { OpsObserver } from '../sync/observer.js';
import type { SyncService } from '../sync/service-interface.js';
import type { Authorizer } from './authorization.js';
import type { BackgroundTasks } from './background-tasks.js';
import type { BotDeps } from './deps.js';
import type { Lang } from './i18n.js';
import type { Proactive } from './proactive.js';
import type { LinkSigner } from './signed-links.js';

export type LinkAudience = 'personal' | 'shared';

/** Download links posted in a channel or group chat are bearer links for everyone there: they expire quickly. */
export const SHARED_LINK_TTL_SECONDS = 15 * 60;

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
  /**
   * A signed download URL for a plan's or run's CSV, bound to the tenant. A link posted where others read it
   * (`shared`: a channel or group chat, the default) lives at most SHARED_LINK_TTL_SECONDS.
   */
  linkFor(kind: 'plan' | 'run', id: string, audience?: LinkAudience): string;
  /** The sentence a card shows under such a link: how long it works. */
  linkNote(lang: Lang, audience?: LinkAudience): string;
  /** Minimum time between two in-place card updates of one message. */
  readonly updateIntervalMs: number;
  /** Told of each command and card action with its outcome (metrics). */
  readonly observe: OpsObserver;
  /** Whether the client supports File Consent cards (not in local mode). */
  readonly fileConsent: boolean;
}
