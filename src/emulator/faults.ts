// Seeded fault injection for Graph requests: 429, 5xx, connection reset, hang, and commit-then-fail.

export type FaultKind = 'throttle' | 'serverError' | 'reset' | 'hang' | 'commitThenFail';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'serverError', 'reset', 'hang', 'commitThenFail'];

export interface FaultConfig {
  seed: number;
  rates: Partial<Record<FaultKind, number>>;
}

/** mulberry32: a tiny deterministic PRNG, so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig = { seed: 1, rates: {} };
  private rand = prng(1);
  readonly injected: Record<FaultKind, number> = { throttle: 0, serverError: 0, reset: 0, hang: 0, commitThenFail: 0 };

  /** Validates and installs a configuration; returns problems (nothing changes when there are any). */
  configure(input: unknown): string[] {
    const problems: string[] = [];
    if (typeof input !== 'object' || input === null) return ['(body): must be an object { seed, rates }'];
    const { seed, rates } = input as { seed?: unknown; rates?: unknown };
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed)))
      problems.push('seed: must be an integer');
    const parsed: Partial<Record<FaultKind, number>> = {};
    if (rates !== undefined) {
      if (typeof rates !== 'object' || rates === null) problems.push('rates: must be an object');
      else {
        let total = 0;
        for (const [k, v] of Object.entries(rates)) {
          if (!FAULT_KINDS.includes(k as FaultKind))
            problems.push(`rates.${k}: unknown fault kind (known: ${FAULT_KINDS.join(', ')})`);
          else if (typeof v !== 'number' || v < 0 || v > 1) problems.push(`rates.${k}: must be a number from 0 to 1`);
          else {
            parsed[k as FaultKind] = v;
            total += v;
          }
        }
        if (total > 1) problems.push('rates: the rates add up to more than 1');
      }
    }
    if (problems.length > 0) return problems;
    this.config = { seed: (seed as number | undefined) ?? 1, rates: parsed };
    this.rand = prng(this.config.seed);
    return [];
  }

  current(): FaultConfig {
    return this.config;
  }

  /** Picks the fault for one request among the kinds that apply to it (one draw per request), or null. */
  roll(applicable: readonly FaultKind[]): FaultKind | null {
    const r = this.rand();
    let acc = 0;
    for (const k of FAULT_KINDS) {
      const rate = this.config.rates[k] ?? 0;
      if (rate === 0) continue;
      acc += rate;
      if (r < acc) {
        if (!applicable.includes(k)) return null;
        this.injected[k]++;
        return k;
      }
    }
    return null;
  }

  /** A second draw, e.g. to choose 500/503/504 or 503-vs-reset. */
  pick<T>(options: readonly T[]): T {
    return options[Math.floor(this.rand() * options.length)]!;
  }
}
