// Graph's identity-and-access throttling as token buckets: resource units per app+tenant, writes per app+tenant and per tenant.
import type { TenantSize } from './seed.js';

/** Resource units per 10 s per app+tenant, by tenant size (Graph throttling limits, identity and access). */
export const RU_PER_10S: Record<TenantSize, number> = { small: 3500, medium: 5000, large: 8000 };
export const APP_WRITES_PER_150S = 3000;
export const TENANT_WRITES_PER_300S = 18000;

class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly capacity: number,
    /** Tokens per real millisecond (already multiplied by the time scale). */
    private readonly ratePerMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }
  refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
  }
  /** Milliseconds until `cost` tokens are available (0 = now). */
  waitFor(cost: number): number {
    return this.tokens >= cost ? 0 : (cost - this.tokens) / this.ratePerMs;
  }
  take(cost: number): void {
    this.tokens -= cost;
  }
  /** Share of the capacity in use (0–1). */
  used(): number {
    return 1 - this.tokens / this.capacity;
  }
}

export interface RequestCost {
  resourceUnits: number;
  writes: number;
}

/** Cost of one request (GET on users 2 RU, −1 with $select, +1 with $expand; writes 1 RU + 1 write). */
export function requestCost(method: string, segments: string[], query: URLSearchParams): RequestCost {
  if (method === 'GET') {
    const usersLike = segments[0] === 'users' || (segments[0] === 'directory' && segments[1] === 'deletedItems');
    let ru = usersLike ? 2 : 1;
    if (query.has('$select')) ru -= 1;
    if (query.has('$expand')) ru += 1;
    return { resourceUnits: Math.max(1, ru), writes: 0 };
  }
  return { resourceUnits: 1, writes: 1 };
}

export type ThrottleVerdict =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterSeconds: number; headers: Record<string, string> };

/** Overrides of the documented budgets (e.g. to model a tenant whose budget other apps already use). */
export interface ThrottleLimits {
  resourceUnitsPer10s?: number;
  appWritesPer150s?: number;
  tenantWritesPer300s?: number;
}

export interface ThrottleOptions {
  enabled: boolean;
  limits?: ThrottleLimits;
  timeScale: number;
  tenantSize: () => TenantSize;
  now: () => number;
}

export class Throttler {
  private buckets = new Map<string, TokenBucket>();
  throttled = 0;

  constructor(private readonly opts: ThrottleOptions) {}

  /** Forgets every bucket (after a reset, or when the tenant size changes). */
  clear(): void {
    this.buckets.clear();
  }

  private bucket(key: string, capacity: number, windowMs: number): TokenBucket {
    let b = this.buckets.get(key);
    if (!b || b.capacity !== capacity) {
      b = new TokenBucket(capacity, (capacity / windowMs) * this.opts.timeScale, this.opts.now());
      this.buckets.set(key, b);
    }
    b.refill(this.opts.now());
    return b;
  }

  /** Charges a request to its buckets, or refuses it (nothing charged) with the wait before a retry can pass. */
  charge(tenantId: string, appId: string, cost: RequestCost): ThrottleVerdict {
    if (!this.opts.enabled) return { ok: true, headers: {} };
    const limits = this.opts.limits ?? {};
    const ru = this.bucket(
      `ru/${tenantId}/${appId}`,
      limits.resourceUnitsPer10s ?? RU_PER_10S[this.opts.tenantSize()],
      10_000,
    );
    const checks: { bucket: TokenBucket; cost: number; scope: string; info: string }[] = [
      {
        bucket: ru,
        cost: cost.resourceUnits,
        scope: `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
        info: 'ResourceUnitLimitExceeded',
      },
    ];
    if (cost.writes > 0) {
      checks.push({
        bucket: this.bucket(`w/${tenantId}/${appId}`, limits.appWritesPer150s ?? APP_WRITES_PER_150S, 150_000),
        cost: cost.writes,
        scope: `Tenant_Application/Write/${appId}/${tenantId}`,
        info: 'WriteLimitExceeded',
      });
      checks.push({
        bucket: this.bucket(`wt/${tenantId}`, limits.tenantWritesPer300s ?? TENANT_WRITES_PER_300S, 300_000),
        cost: cost.writes,
        scope: `Tenant/Write/${appId}/${tenantId}`,
        info: 'WriteLimitExceeded',
      });
    }
    let worst: (typeof checks)[number] | undefined;
    let waitMs = 0;
    for (const c of checks) {
      const w = c.bucket.waitFor(c.cost);
      if (w > waitMs) {
        waitMs = w;
        worst = c;
      }
    }
    if (worst) {
      this.throttled++;
      // Graph counts budgets in windows: once throttled, Retry-After points at the time the budget has recovered
      // a tenth of itself (the next window's share), so a client that honours it resumes with a useful burst.
      const recoverMs = worst.bucket.waitFor(Math.max(worst.cost, worst.bucket.capacity / 10));
      const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(waitMs, recoverMs) / 1000));
      return {
        ok: false,
        retryAfterSeconds,
        headers: {
          'retry-after': String(retryAfterSeconds),
          'x-ms-throttle-limit-percentage': (1 + Math.min(0.8, worst.cost / worst.bucket.capacity)).toFixed(1),
          'x-ms-throttle-scope': worst.scope,
          'x-ms-throttle-information': worst.info,
        },
      };
    }
    for (const c of checks) c.bucket.take(c.cost);
    const busiest = checks.reduce((a, b) => (b.bucket.used() > a.bucket.used() ? b : a));
    const used = busiest.bucket.used();
    if (used > 0.8) {
      return {
        ok: true,
        headers: {
          'x-ms-throttle-limit-percentage': used.toFixed(1),
          'x-ms-throttle-scope': busiest.scope,
        },
      };
    }
    return { ok: true, headers: {} };
  }
}
