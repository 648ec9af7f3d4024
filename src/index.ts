// Composition root of the bot server: config → engine (store, directory, Entra) → bot HTTP server → scheduler (+ Playground in the demo).
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type BotServer, startBotServer } from './bot/index.js';
import { createEngine, type Engine, engineConnection } from './compose.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { checkReadiness, type ReadinessProbe, type ReadinessReport, storeProbe } from './bot/health.js';
import { demoPlaygroundContext, startBanner, startPlayground } from './demo-playground.js';
import { checkGraphAccess } from './entra/index.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics, metricsHandler, startMetricsServer } from './metrics.js';
import { createScheduler, type Scheduler } from './schedule/index.js';
import type { SyncService } from './sync/service-interface.js';
import { type SyncWorker, startSyncWorker } from './worker/sync-worker-client.js';

export interface AppOptions {
  readonly logger?: Logger;
  /** Start the Microsoft 365 Agents Playground on this port (the demo does, on 56150). */
  readonly playgroundPort?: number | null;
  /** Start the hourly scheduler (default true). */
  readonly scheduler?: boolean;
  /** The sync worker's logs are human-readable lines too (the demo in a terminal). */
  readonly prettyLogs?: boolean;
}

export interface RunningApp {
  readonly engine: Engine;
  /** The use cases as the bot calls them: dry runs, applies, resumes and hourly runs in the sync worker process. */
  readonly service: SyncService;
  /** The sync worker process (null with SYNC_WORKER=inline or a memory:// store). */
  readonly syncWorker: SyncWorker | null;
  readonly bot: BotServer;
  readonly playgroundUrl: string | null;
  /** The Prometheus registry when metrics are on (METRICS_TOKEN / METRICS_PORT), with its own listener's URL. */
  readonly metrics: { readonly registry: Metrics; readonly url: string } | null;
  /** What /readyz answers. */
  readiness(): Promise<ReadinessReport>;
  /**
   * Clean stop: no new activity or timer pass, runs stop after their in-flight writes and end `interrupted`
   * (journal kept, leases released), then the store closes.
   */
  close(): Promise<void>;
}

/** How often a running bot looks for runs left interrupted by another replica (or by a crash) and resumes them. */
const RESUME_EVERY_MS = 60_000;

export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const shutdown = new AbortController();
  const metrics = config.metrics ? createMetrics() : null;
  const engine = await createEngine(config, logger, {
    shutdown: shutdown.signal,
    ...(metrics ? { observer: metrics.observe } : {}),
  });
  // A memory:// store lives in this process's heap: a worker process would open another, empty one.
  const separate = config.syncWorker === 'process' && !config.storeUrl.startsWith('memory:');
  if (config.syncWorker === 'process' && !separate)
    logger.info('STORE_URL is memory://, which another process cannot share: syncs run in the bot process');
  let syncWorker: SyncWorker | null = null;
  try {
    syncWorker = separate
      ? await startSyncWorker({
          config,
          entra: { settings: engine.entraSettings, caPem: engine.entraCaPem },
          local: engine.service,
          logger,
          prettyLogs: options.prettyLogs ?? false,
          ...(metrics ? { observer: metrics.observe } : {}),
        })
      : null;
  } catch (err) {
    await engine.close();
    throw err;
  }
  const service = syncWorker?.service ?? engine.service;
  let scheduler: Scheduler | null = null;
  const probes: ReadinessProbe[] = [
    {
      name: 'process',
      check: async () => {
        if (shutdown.signal.aborted) throw new Error('shutting down');
      },
    },
    storeProbe(engine.stores.kv<string>('health'), `${hostname()}:${process.pid}`),
    { name: 'graph', check: () => checkGraphAccess(engine.entra.credential) },
  ];
  if (options.scheduler !== false) {
    probes.push({
      name: 'scheduler',
      check: async () => {
        if (!scheduler) throw new Error('the scheduler has not started');
        await scheduler.checkHealth();
      },
    });
    if (config.scheduler === 'bullmq') {
      probes.push({
        name: 'redis',
        check: async () => {
          if (!scheduler?.checkQueue) throw new Error('the BullMQ scheduler has not started');
          await scheduler.checkQueue();
        },
      });
    }
  }
  const readiness = () => checkReadiness(probes);
  // On the bot's own port /metrics always needs the bearer token (the config requires one without METRICS_PORT).
  const metricsOnBotPort = metrics && config.metrics && config.metrics.port === null;
  const bot = await startBotServer({
    config,
    logger,
    service,
    stores: engine.stores,
    connection: engineConnection(engine),
    isGlobalAdmin: (id) => engine.entra.reader.isGlobalAdmin(id),
    ops: {
      readiness,
      metrics: metricsOnBotPort ? metricsHandler(metrics, config.metrics?.token) : null,
    },
    ...(metrics ? { observer: metrics.observe } : {}),
  });
  scheduler =
    options.scheduler === false
      ? null
      : createScheduler({
          config,
          service,
          stores: engine.stores,
          notifier: bot.notifier,
          logger,
          intervalSeconds: config.syncIntervalSeconds,
        });
  await scheduler?.start();
  metrics?.setNextRuns(scheduler ? () => scheduler?.status().nextRuns ?? [] : null);
  const metricsServer =
    metrics && config.metrics?.port != null
      ? await startMetricsServer(metrics, {
          host: config.metrics.host,
          port: config.metrics.port,
          token: config.metrics.token,
        })
      : null;
  if (metricsServer) logger.info({ url: `${metricsServer.url}/metrics` }, 'metrics listening');
  // Runs left open by a stop or a crash resume now; later, those another replica left behind.
  let resuming: Promise<unknown> = Promise.resolve();
  const resume = (only?: readonly ('interrupted' | 'running')[]) => {
    resuming = service.resumeInterrupted(only ? { only } : {}).then(
      async (runs) => {
        if (runs.length === 0) return;
        logger.info({ runs: runs.map((r) => r.id) }, 'resumed interrupted sync runs');
        // A resumed run is posted like an hourly one (under the domain's notify setting): nobody watches its card.
        for (const run of runs) await bot.notifier.runFinished(run);
      },
      (err: unknown) => logger.error({ err: String(err) }, 'could not resume interrupted runs'),
    );
  };
  resume();
  const resumeTimer = setInterval(() => resume(['interrupted', 'running']), RESUME_EVERY_MS);
  resumeTimer.unref();
  let playground: ChildProcess | null = null;
  let playgroundUrl: string | null = null;
  if (options.playgroundPort) {
    playground = startPlayground(options.playgroundPort, bot.url, await demoPlaygroundContext(engine, config), logger);
    playgroundUrl = `http://127.0.0.1:${options.playgroundPort}`;
  }
  let closing: Promise<void> | null = null;
  return {
    engine,
    service,
    syncWorker,
    bot,
    playgroundUrl,
    metrics: metrics ? { registry: metrics, url: metricsServer?.url ?? bot.url } : null,
    readiness,
    close() {
      closing ??= (async () => {
        // Stop writing first: each run ends after its in-flight $batch and keeps its journal open.
        shutdown.abort();
        syncWorker?.abort();
        clearInterval(resumeTimer);
        playground?.kill('SIGTERM');
        await Promise.all([scheduler?.stop(), bot.close(), resuming]);
        await metricsServer?.close();
        // The worker's runs have ended (interrupted) by now; it closes its own engine.
        await syncWorker?.close();
        await engine.close();
      })();
      return closing;
    },
  };
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
  const pretty = config.demo && process.stderr.isTTY === true;
  const logger = createLogger(config.logLevel, process.stderr, { pretty });
  const app = await startApp(config, { logger, playgroundPort: config.demo ? 56150 : null, prettyLogs: pretty });
  process.stdout.write(startBanner({ demo: config.demo, botUrl: app.bot.url, playgroundUrl: app.playgroundUrl }));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second stop signal: exiting now; an open run resumes from its journal at next start');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'stopping: finishing in-flight writes');
    const limit = setTimeout(() => {
      logger.error(
        { graceSeconds: config.shutdownGraceSeconds },
        'shutdown took longer than SHUTDOWN_GRACE_SECONDS; exiting (open runs resume from their journal)',
      );
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    limit.unref();
    app.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`entra-sync-bot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  });
}
