// The emulator's state and services wired together (tenant, apps, tokens, throttling, faults, latency, stats, clock).
import { AppRegistry, servicePrincipalIdFor } from './apps.js';
import { BotFrameworkIdentity } from './bot-framework.js';
import { FaultInjector, prng } from './faults.js';
import { GraphService } from './graph.js';
import { Latency, type LatencySetting } from './latency.js';
import { type EmulatorSeed, parseSeed, type TenantSize } from './seed.js';
import { Stats } from './stats.js';
import { Tenant } from './tenant.js';
import { type ThrottleLimits, Throttler } from './throttle.js';
import { createTokenIssuer, type TokenIssuer } from './tokens.js';

export interface CoreOptions {
  timeScale: number;
  latency: LatencySetting;
  replicationDelayMs: number;
  tenantSize: TenantSize;
  throttling: boolean;
  throttleLimits?: ThrottleLimits;
  consent: boolean;
  ownApp?: { clientId?: string; clientSecret?: string; redirectUris?: string[] };
  onWrite: () => void;
}

export class EmulatorCore {
  readonly tenant: Tenant;
  readonly apps = new AppRegistry();
  readonly faults = new FaultInjector();
  readonly latency: Latency;
  readonly stats = new Stats();
  /** Azure Bot Service's side: bot registrations, the channel's signing keys, the botframework.com login. */
  readonly botFramework = new BotFrameworkIdentity(() => this.now());
  readonly throttler: Throttler;
  readonly graph: GraphService;
  /** Added to the wall clock (POST /_emulator/clock), e.g. to expire tokens in a test. */
  clockOffsetMs = 0;
  replicationDelayMs: number;
  baseUrl = '';
  private shuffleRand = prng(7);

  private constructor(
    readonly tokens: TokenIssuer,
    private readonly opts: CoreOptions,
  ) {
    this.replicationDelayMs = opts.replicationDelayMs;
    this.tenant = new Tenant(this.now, () => this.replicationDelayMs);
    this.latency = new Latency(opts.latency);
    this.throttler = new Throttler({
      enabled: opts.throttling,
      ...(opts.throttleLimits ? { limits: opts.throttleLimits } : {}),
      timeScale: opts.timeScale,
      tenantSize: () => this.tenant.size,
      now: this.now,
    });
    this.apps.registerOwn({ ...opts.ownApp, consented: opts.consent });
    this.graph = new GraphService({
      tenant: this.tenant,
      apps: this.apps,
      tokens,
      throttler: this.throttler,
      faults: this.faults,
      stats: this.stats,
      now: this.now,
      graphBaseUrl: () => this.baseUrl,
      onWrite: opts.onWrite,
    });
  }

  static async create(opts: CoreOptions): Promise<EmulatorCore> {
    let core: EmulatorCore | undefined;
    const tokens = await createTokenIssuer(() => (core ? core.now() : Date.now()) / 1000);
    core = new EmulatorCore(tokens, opts);
    return core;
  }

  readonly now = (): number => Date.now() + this.clockOffsetMs;

  /** Validates, then replaces the directory and the seed's apps; keeps the own app and its consent. */
  reset(input: unknown): void {
    const seed: EmulatorSeed = parseSeed(input);
    const own = this.apps.own();
    const servicePrincipals = [
      { id: own.servicePrincipalId, appId: own.clientId, displayName: own.displayName },
      ...(seed.apps ?? []).map((a) => ({
        id: servicePrincipalIdFor(a.clientId),
        appId: a.clientId,
        displayName: a.displayName ?? a.clientId,
      })),
    ];
    this.tenant.load(seed, { tenantSize: this.opts.tenantSize, servicePrincipals });
    this.apps.replaceSeedApps(seed.apps ?? []);
    this.throttler.clear();
  }

  /** Reorders $batch responses (Graph does not keep request order); deterministic per emulator. */
  shuffle<T>(xs: T[]): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.shuffleRand() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /** GET /_emulator/stats */
  statsView(): Record<string, unknown> {
    return {
      requests: this.stats.requests,
      throttled: this.throttler.throttled,
      writes: this.stats.writes,
      batchItems: this.stats.batchItems,
      tokensIssued: this.stats.tokensIssued,
      usersExamined: this.tenant.users.examined,
      faultsInjected: this.faults.injected,
      users: this.tenant.users.size,
      deletedItems: this.tenant.users.deletedUsers().length,
    };
  }

  /** GET /_emulator/state: the directory (users + deleted items) and the apps' consent, no secrets. */
  stateView(): Record<string, unknown> {
    const seed = this.tenant.toSeed();
    return {
      tenantId: seed.tenantId,
      tenantSize: seed.tenantSize,
      displayName: seed.displayName,
      domains: seed.domains,
      users: seed.users,
      deletedItems: seed.deletedUsers,
      directoryRoles: seed.directoryRoles,
      roleAssignments: this.tenant.roleAssignments,
      ...(seed.roleEligibilities ? { roleEligibilities: seed.roleEligibilities } : {}),
      ...(seed.groups ? { groups: seed.groups } : {}),
      apps: [this.apps.own(), ...this.apps.seedApps().map((a) => this.apps.get(a.clientId)!)].map((a) => ({
        clientId: a.clientId,
        displayName: a.displayName,
        own: a.own,
        consented: this.apps.isConsented(a.clientId),
        permissions: this.apps.granted(a.clientId),
      })),
    };
  }
}
