// The Teams bot server: builds the adapter, the teams-ai app and the HTTP routes; the only public entry of src/bot.
import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity } from 'botbuilder';
import { botAuthProblem } from '../config.js';
import { createAuthorizer } from './authorization.js';
import { createBackgroundTasks } from './background-tasks.js';
import { createBotApplication } from './bot-app.js';
import { createConsentCallback } from './consent.js';
import type { BotDeps, BotServer } from './deps.js';
import { createDownloadHandler } from './downloads.js';
import { botbuilderResponse, startHttpServer } from './http-server.js';
import { createNotifier } from './notifier.js';
import { createProactive } from './proactive.js';
import type { BotRuntime } from './runtime.js';
import { createLinkSigner, resolveSigningSecret } from './signed-links.js';

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

  const secret = await resolveSigningSecret(config.signingSecret, deps.stores.kv<string>('bot-secrets'));
  const now = deps.now ?? (() => new Date());
  const signer = createLinkSigner({ secret, ttlSeconds: config.downloadLinkTtlSeconds, now });
  const botAppId = config.bot.id ?? '';
  const adapter = new TeamsAdapter(
    config.bot.id
      ? {
          MicrosoftAppId: config.bot.id,
          MicrosoftAppPassword: config.bot.password,
          MicrosoftAppTenantId: config.bot.tenantId,
          MicrosoftAppType: config.bot.appType ?? 'MultiTenant',
        }
      : {},
  );
  const tasks = createBackgroundTasks(logger);
  const proactive = createProactive({ adapter, botAppId, logger });
  const authorizer = createAuthorizer({
    adminIds: config.adminAadObjectIds,
    isGlobalAdmin: deps.isGlobalAdmin,
    ttlMs: options.adminCacheMs,
    onError: (err) => logger.warn({ err: String(err) }, 'Global Administrator check failed'),
  });

  // The public URL is known before listening unless the port is chosen by the OS (tests): patched below.
  let publicBaseUrl = config.publicBaseUrl;
  const rt: BotRuntime = {
    config,
    logger,
    service: deps.service,
    stores: deps.stores,
    connection: deps.connection,
    now,
    adapter,
    botAppId,
    authorizer,
    signer,
    proactive,
    tasks,
    get publicBaseUrl() {
      return publicBaseUrl;
    },
    linkFor: (kind, id) => `${publicBaseUrl}/downloads/${signer.sign(kind, id)}`,
    updateIntervalMs: options.updateIntervalMs ?? 2000,
    fileConsent: options.fileConsent ?? !config.bot.localMode,
  };
  const app = createBotApplication(rt, adapter);
  const download = createDownloadHandler({ signer, service: deps.service, logger });
  const consentCallback = createConsentCallback(rt);

  const { server, url } = await startHttpServer({
    host: config.host,
    port: config.port,
    allowedTenantIds: config.allowedTenantIds,
    logger,
    routes: {
      async messages(body, req, res) {
        await adapter.process(
          { method: 'POST', headers: req.headers as Record<string, string>, body },
          botbuilderResponse(res),
          async (context) => {
            await app.run(context);
          },
        );
      },
      consentCallback,
      download,
    },
  });
  if (config.port === 0 && new URL(publicBaseUrl).port === '0') publicBaseUrl = url;
  logger.info({ url, localMode: config.bot.localMode, publicBaseUrl }, 'bot server listening');

  const notifier = createNotifier({
    adapter: {
      continueConversationAsync: (appId, ref, logic) =>
        adapter.continueConversationAsync(appId, ref as Partial<Activity>, logic),
    },
    botAppId,
    stores: deps.stores,
    logger,
    linkFor: (kind, id) => rt.linkFor(kind, id),
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
