// The Prometheus metrics of the bot (prom-client): an observer of the engine's events, and the /metrics endpoint.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { listenForUrl } from './http-listen.js';
import type { OpsEvent, OpsObserver } from './sync/observer.js';

export interface Metrics {
  readonly registry: Registry;
  /** Feed engine and bot events here. */
  readonly observe: OpsObserver;
  /** Where the scheduler's next run per domain is read at each scrape (set once the scheduler exists). */
  setNextRuns(source: (() => readonly { domain: string; at: number }[]) | null): void;
  /** The Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Run durations go from seconds (no change) to hours (100,000 users under throttling). */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
const DRY_RUN_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
const RETRY_AFTER_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300];

export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'entra_sync_' });
  const registers = [registry];

  const runsStarted = new Counter({
    name: 'entra_sync_runs_started_total',
    help: 'Sync runs that began writing (a resumed run counts again), by domain and trigger.',
    labelNames: ['domain', 'trigger'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'entra_sync_runs_total',
    help: 'Sync runs that ended, by domain, trigger (manual, hourly, cli) and status.',
    labelNames: ['domain', 'trigger', 'status'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: 'entra_sync_run_duration_seconds',
    help: 'How long a sync run took in this process (from its start or resumption to its end), by trigger.',
    labelNames: ['trigger'] as const,
    buckets: RUN_BUCKETS,
    registers,
  });
  const dryRunDuration = new Histogram({
    name: 'entra_sync_dry_run_duration_seconds',
    help: 'How long a dry run (preview) took, by outcome (planned, refused, failed).',
    labelNames: ['outcome'] as const,
    buckets: DRY_RUN_BUCKETS,
    registers,
  });
  const writes = new Counter({
    name: 'entra_sync_graph_writes_total',
    help: 'Graph writes by kind (create, update, delete, restore) and final outcome (done or the error kind).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const throttled = new Counter({
    name: 'entra_sync_graph_throttled_total',
    help: 'HTTP 429 answers from Graph, for a whole request or one $batch item.',
    labelNames: ['scope'] as const,
    registers,
  });
  const retryAfter = new Histogram({
    name: 'entra_sync_graph_retry_after_seconds',
    help: 'The Retry-After that Graph sent with a 429, in seconds.',
    buckets: RETRY_AFTER_BUCKETS,
    registers,
  });
  const budget = new Gauge({
    name: 'entra_sync_graph_budget_used_ratio',
    help: "Share of Graph's throttling budget in use as last reported (x-ms-throttle-limit-percentage), 0 to 1.",
    registers,
  });
  let nextRuns: (() => readonly { domain: string; at: number }[]) | null = null;
  new Gauge({
    name: 'entra_sync_scheduler_next_run_timestamp_seconds',
    help: 'When the periodic sync of each enabled domain runs next (Unix time).',
    labelNames: ['domain'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of nextRuns?.() ?? []) this.set({ domain: r.domain }, Math.round(r.at / 1000));
    },
  });
  const commands = new Counter({
    name: 'entra_sync_bot_commands_total',
    help: 'Bot chat commands by command and outcome (ok, unauthorized, error, unknown).',
    labelNames: ['command', 'outcome'] as const,
    registers,
  });
  const cardActions = new Counter({
    name: 'entra_sync_card_actions_total',
    help: 'Adaptive card actions by action and outcome (ok, unauthorized, error).',
    labelNames: ['action', 'outcome'] as const,
    registers,
  });

  const observe = (e: OpsEvent): void => {
    switch (e.type) {
      case 'run-started':
        runsStarted.inc({ domain: e.domain, trigger: e.trigger });
        return;
      case 'run-finished':
        runs.inc({ domain: e.domain, trigger: e.trigger, status: e.status });
        runDuration.observe({ trigger: e.trigger }, e.seconds);
        return;
      case 'preview-finished':
        dryRunDuration.observe({ outcome: e.outcome }, e.seconds);
        return;
      case 'write':
        writes.inc({ kind: e.kind, outcome: e.outcome });
        return;
      case 'throttled':
        throttled.inc({ scope: e.scope });
        if (e.retryAfterSeconds !== null) retryAfter.observe(e.retryAfterSeconds);
        return;
      case 'budget':
        budget.set(e.share);
        return;
      case 'bot-command':
        commands.inc({ command: e.command, outcome: e.outcome });
        return;
      case 'card-action':
        cardActions.inc({ action: e.action, outcome: e.outcome });
        return;
    }
  };

  return {
    registry,
    observe,
    setNextRuns(source) {
      nextRuns = source;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
function bearerMatches(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The `/metrics` handler: GET only; with a token, 401 without the right bearer. */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('GET only\n');
      return;
    }
    if (token !== undefined && !bearerMatches(req, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Send Authorization: Bearer <METRICS_TOKEN>.\n');
      return;
    }
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** A listener of its own for `/metrics` only (METRICS_PORT), e.g. bound to a private interface. */
export async function startMetricsServer(
  metrics: Metrics,
  options: { host: string; port: number; token: string | undefined },
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const handle = metricsHandler(metrics, options.token);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Only /metrics is served here.\n');
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const url = await listenForUrl(server, options.port, options.host);
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
