// Composition root of the bot server: config → engine (store, directory, Entra) → bot HTTP server → scheduler (+ Playground in the demo).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BotServer, startBotServer, writePlaygroundConfig } from './bot/index.js';
import { createEngine, type Engine } from './compose.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { adminConsentUrl } from './entra/admin-consent.js';
import { createLogger, type Logger } from './logger.js';
import { createScheduler } from './schedule/index.js';

export interface AppOptions {
  readonly logger?: Logger;
  /** Start the Microsoft 365 Agents Playground on this port (the demo does, on 56150). */
  readonly playgroundPort?: number | null;
  /** Start the hourly scheduler (default true). */
  readonly scheduler?: boolean;
}

export interface RunningApp {
  readonly engine: Engine;
  readonly bot: BotServer;
  readonly playgroundUrl: string | null;
  close(): Promise<void>;
}

/**
 * The demo's Playground user is the demo tenant's first Global Administrator (found through Graph, as the bot's
 * own authorization finds it), so approvals work out of the box. Returns the context file's path.
 */
async function demoPlaygroundContext(engine: Engine, config: Config): Promise<string | null> {
  if (!engine.emulator) return null;
  const reader = engine.entra.reader;
  for (const id of await reader.listAdminRoleHolders()) {
    if (!(await reader.isGlobalAdmin(id))) continue;
    const admin = await reader.getUser(id);
    if (!admin) continue;
    const m = /^sqlite:\/\/(.+)$/.exec(config.storeUrl);
    const dir = join(m?.[1] ? dirname(resolve(m[1])) : resolve('.data'), 'playground');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '.m365agentsplayground.yml');
    writePlaygroundConfig(path, {
      tenantId: engine.emulator.tenantId,
      currentUser: {
        aadObjectId: admin.id,
        name: admin.displayName ?? admin.userPrincipalName,
        userPrincipalName: admin.userPrincipalName,
      },
    });
    return path;
  }
  return null;
}

function startPlayground(port: number, botUrl: string, contextFile: string | null, logger: Logger): ChildProcess {
  const bin = resolve('node_modules/.bin/agentsplayground');
  if (!existsSync(bin)) throw new Error('The Agents Playground is not installed: run npm install first.');
  const child = spawn(bin, ['-p', String(port), '--disable-telemetry'], {
    ...(contextFile ? { cwd: dirname(contextFile) } : {}),
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none',
      BOT_ENDPOINT: `${botUrl}/api/messages`,
      ...(contextFile ? { M365_AGENTS_PLAYGROUND_CONFIG_PATH: contextFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => logger.debug({ playground: b.toString().trim() }, 'playground'));
  child.stderr?.on('data', (b: Buffer) => logger.debug({ playground: b.toString().trim() }, 'playground'));
  child.on('exit', (code) => logger.info({ code }, 'Agents Playground stopped'));
  return child;
}

export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const engine = await createEngine(config, logger);
  const connectionKv = engine.stores.kv<{ tenantId: string; at: string }>('connection');
  const entraCfg = engine.entraSettings;
  const bot = await startBotServer({
    config,
    logger,
    service: engine.service,
    stores: engine.stores,
    connection: {
      async status() {
        const check = await engine.entra.credential.check();
        return check.ok ? { connected: true } : { connected: false, reason: check.message };
      },
      consentUrl: (state, redirectUri) =>
        adminConsentUrl({
          authorityHost: entraCfg.authorityHost,
          tenantId: entraCfg.tenantId ?? 'organizations',
          clientId: entraCfg.clientId ?? '',
          redirectUri,
          state,
        }),
      saved: {
        tenantId: entraCfg.tenantId ?? null,
        clientId: entraCfg.clientId ?? null,
        authorityHost: entraCfg.authorityHost,
        graphBaseUrl: entraCfg.graphBaseUrl,
      },
      async onConsentGranted(tenantId) {
        await connectionKv.set('consent', { tenantId, at: new Date().toISOString() });
      },
    },
    isGlobalAdmin: (id) => engine.entra.reader.isGlobalAdmin(id),
  });
  const scheduler =
    options.scheduler === false
      ? null
      : createScheduler({
          config,
          service: engine.service,
          stores: engine.stores,
          notifier: bot.notifier,
          logger,
          intervalSeconds: config.syncIntervalSeconds,
        });
  await scheduler?.start();
  engine.service.resumeInterrupted().then(
    (runs) => {
      if (runs.length > 0) logger.info({ runs: runs.map((r) => r.id) }, 'resumed interrupted sync runs');
    },
    (err: unknown) => logger.error({ err: String(err) }, 'could not resume interrupted runs'),
  );
  let playground: ChildProcess | null = null;
  let playgroundUrl: string | null = null;
  if (options.playgroundPort) {
    playground = startPlayground(options.playgroundPort, bot.url, await demoPlaygroundContext(engine, config), logger);
    playgroundUrl = `http://127.0.0.1:${options.playgroundPort}`;
  }
  return {
    engine,
    bot,
    playgroundUrl,
    async close() {
      playground?.kill('SIGTERM');
      await scheduler?.stop();
      await bot.close();
      await engine.close();
    },
  };
}

/** What the server prints on stdout once it listens; in the demo, what to type and what to click, step by step. */
export function startBanner(input: { demo: boolean; botUrl: string; playgroundUrl: string | null }): string {
  if (!input.demo || !input.playgroundUrl) return `\nentra-sync-bot is listening on ${input.botUrl}/api/messages\n`;
  return [
    '',
    'entra-sync-bot demo is running: a local Entra ID emulator (tenant "Contoso Japan"), a demo Access Control',
    'directory and the bot in local mode. Nothing leaves this machine.',
    '',
    `  1. Open the Microsoft 365 Agents Playground: ${input.playgroundUrl}`,
    '  2. Type   domains                 then click  Set up sync  on fabrikam.jp; check the form and click  Save',
    '  3. Click  Run pre-check           then  Start dry run; click  Download results (CSV)  to check every user',
    '  4. Click  Sync now                the card shows progress, then the result',
    '  5. Click  Enable hourly sync      then  Sync log  for the runs and their chart',
    '',
    '  Also type:  preview all (a dry run of every set-up domain) · connect · status · help (buttons for each step)',
    '  The bot answers in Japanese when Teams sends a Japanese locale (ja-JP), in English otherwise.',
    '',
    'Logs follow on stderr. Stop with Ctrl+C.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // A person watching the demo in a terminal reads lines; anything else (a file, a log collector) gets JSON.
  const logger = createLogger(config.logLevel, process.stderr, {
    pretty: config.demo && process.stderr.isTTY === true,
  });
  const app = await startApp(config, { logger, playgroundPort: config.demo ? 56150 : null });
  process.stdout.write(startBanner({ demo: config.demo, botUrl: app.bot.url, playgroundUrl: app.playgroundUrl }));
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`entra-sync-bot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  });
}
