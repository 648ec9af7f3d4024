// The Teams bot server: builds the bot, its Messenger and the HTTP routes; the only public entry of src/bot.
//
// The bot SDK seam. Only these files import botbuilder, teams-ai or botframework-* (test/bot/sdk-seam.test.ts
// fails otherwise); swapping the SDK for the Teams SDK (@microsoft/teams.apps) rewrites them and their three
// constructor calls below, nothing else:
//   src/bot/bot-adapter.ts    authentication of incoming activities and their processing, outcome as a value
//   src/bot/bot-app.ts        activities in: handler input built, registry looked up, authorization, replies sent
//   src/bot/bot-messenger.ts  the Messenger port (src/bot/messenger.ts): sends and updates, with the one retry loop
// Every other file speaks ConversationAddress, handler input and replies (src/bot/handlers.ts) and plain
// Adaptive Card JSON.
import { botAuthProblem } from '../config.js';
import { scrubSecrets } from '../logger.js';
import { createAuthorizer } from './authorization.js';
import { createBackgroundTasks } from './background-tasks.js';
import { createBotAdapter } from './bot-adapter.js';
import { createBotApplication } from './bot-app.js';
import { createBotMessenger } from './bot-messenger.js';
import { type ConsentConfirmOptions, createConsentCallback } from './consent.js';
import type { BotDeps, BotServer } from './deps.js';
import { createDownloadHandler } from './downloads.js';
import { sendInvokeResponse, startHttpServer } from './http-server.js';
import { createNotifier } from './notifier.js';
import { ignoreEvents } from '../sync/observer.js';
import { type BotRuntime, type LinkAudience, SHARED_LINK_TTL_SECONDS } from './runtime.js';

import { createLinkSigner, resolveSigningSecret } from './signed-links.js';
import type { Lang } from './i18n.js';

/** A link's lifetime in the reader's words: whole hours, else minutes. */
const formatTtl = (lang: Lang, seconds: number) =>
  seconds % 3600 === 0
    ? lang.t('linkNote.hours', { count: seconds / 3600 })
    : lang.t('linkNote.minutes', { count: Math.round(seconds / 60) });

export type { BotDeps, BotServer } from './deps.js';
export { parse } from './command-parser.js';
export { escapeCardText, plainCardText } from './escape.js';
export { type PlaygroundConfigOptions, playgroundConfigYaml, writePlaygroundConfig } from './playground-config.js';

export interface BotServerOptions {
  /** Minimum time between two in-place updates of one card (default 2000 ms). */
  readonly updateIntervalMs?: number;
  /** How long the Global Administrator answer is reused (default 5 minutes). */
  readonly adminCacheMs?: number;
  /** How long close() waits for background work (default 10 s). */
  readonly closeGraceMs?: number;
  /** How often a consent answer is checked against a fresh token (default 6 times, 5 s apart). */
  readonly consentConfirm?: ConsentConfirmOptions;
  /**
   * Offer the dry run CSV as a File Consent card in personal chat (default: not in local mode, whose clients,
   * the Agents Playground among them, do not support File Consent cards; the download button works everywhere).
   */
  readonly fileConsent?: boolean;
}

/** Listens on config.host:config.port; refuses to start without BOT_ID unless local mode on loopback. */
export async function startBotServer(deps: BotDeps, options: BotServerOptions = {}): Promise<BotServer> {
  const { config, logger } = deps;
  const problem = botAuthProblem(config);
  if (problem) throw new Error(`The bot refuses to start: ${problem}`);
  if (config.allowedTenantIds.length === 0 && !config.bot.localMode)
    throw new Error(
      'The bot refuses to start: ALLOWED_TENANT_IDS (or BOT_TENANT_ID / ENTRA_TENANT_ID) must name the tenants it serves',
    );

  const { secret, generated } = await resolveSigningSecret(config.signingSecret, deps.stores.kv<string>('bot-secrets'));
  if (generated && !config.bot.localMode)
    logger.warn(
      'SIGNING_SECRET is not set: download links and consent links end with this process, and other replicas do not accept them; set SIGNING_SECRET (openssl rand -base64 32)',
    );
  const now = deps.now ?? (() => new Date());
  const signer = createLinkSigner({
    secret,
    ttlSeconds: config.downloadLinkTtlSeconds,
    now,
    tenant: config.entra.tenantId ?? 'local',
  });
  const botAppId = config.bot.id ?? '';
  const adapter = createBotAdapter(config);
  const tasks = createBackgroundTasks(logger);
  const messenger = createBotMessenger({ adapter, botAppId, logger });
  const authorizer = createAuthorizer({
    adminIds: config.adminAadObjectIds,
    isGlobalAdmin: deps.isGlobalAdmin,
    ttlMs: options.adminCacheMs,
    onError: (err) => logger.warn({ err: String(err) }, 'Global Administrator check failed'),
  });

  const linkTtl = (audience: LinkAudience) =>
    audience === 'personal'
      ? config.downloadLinkTtlSeconds
      : Math.min(config.downloadLinkTtlSeconds, SHARED_LINK_TTL_SECONDS);
  // The public URL is known before listening unless the port is chosen by the OS (tests): patched below.
  let publicBaseUrl = config.publicBaseUrl;
  const rt: BotRuntime = {
    config,
    logger,
    service: deps.service,
    stores: deps.stores,
    connection: deps.connection,
    now,
    authorizer,
    signer,
    messenger,
    tasks,
    get publicBaseUrl() {
      return publicBaseUrl;
    },
    linkFor: (kind, id, audience = 'shared') =>
      `${publicBaseUrl}/downloads/${signer.sign(kind, id, linkTtl(audience))}`,
    linkNote: (lang, audience = 'shared') =>
      lang.t(audience === 'shared' ? 'linkNote.shared' : 'linkNote.personal', {
        ttl: formatTtl(lang, linkTtl(audience)),
      }),
    updateIntervalMs: options.updateIntervalMs ?? 2000,
    observe: deps.observer ?? ignoreEvents,
    fileConsent: options.fileConsent ?? !config.bot.localMode,
  };
  const app = createBotApplication(rt, adapter, botAppId);
  const download = createDownloadHandler({ signer, service: deps.service, logger });
  const consentCallback = createConsentCallback(rt, options.consentConfirm);

  const { server, url } = await startHttpServer({
    host: config.host,
    port: config.port,
    allowedTenantIds: config.allowedTenantIds,
    localMode: config.bot.localMode,
    logger,
    ops: deps.ops ?? null,
    routes: {
      async messages(body, req, res) {
        const outcome = await app.process(String(req.headers.authorization ?? ''), body);
        if (outcome.ok) return sendInvokeResponse(res, outcome.status, outcome.body);
        const err = outcome.error as { message?: unknown } | null;
        const message = scrubSecrets(String(err?.message ?? outcome.error))
          .split('\n')[0]!
          .slice(0, 300);
        if (outcome.expected)
          logger.warn({ status: outcome.status, reason: message }, 'activity refused: not authenticated');
        else
          logger.error(
            { status: outcome.status, err: scrubSecrets(String((err as { stack?: unknown })?.stack ?? message)) },
            'activity failed',
          );
        res.writeHead(outcome.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(outcome.status === 401 ? 'Unauthorized\n' : 'Internal Server Error\n');
      },
      consentCallback,
      download,
    },
  });
  if (config.port === 0 && new URL(publicBaseUrl).port === '0') publicBaseUrl = url;
  logger.info({ url, localMode: config.bot.localMode, publicBaseUrl }, 'bot server listening');

  const notifier = createNotifier({
    messenger,
    stores: deps.stores,
    logger,
    linkFor: (kind, id) => rt.linkFor(kind, id, 'shared'),
    linkNote: (lang) => rt.linkNote(lang, 'shared'),
  });

  let closed = false;
  return {
    url,
    notifier,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Let running work finish its card updates; an apply left running resumes from its journal at next start.
      await Promise.race([
        tasks.idle(),
        new Promise((resolve) => setTimeout(resolve, options.closeGraceMs ?? 10_000).unref()),
      ]);
    },
  };
}
