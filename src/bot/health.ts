// Liveness and readiness: named probes run side by side, each bounded, into the JSON /readyz answers with.
import type Keyv from 'keyv';

/** One part the bot needs to work; `check` throws (or rejects) with a readable reason when that part fails. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<unknown>;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Why the part fails, for the operator (never a secret). */
  readonly reason?: string;
  readonly ms: number;
}

export interface ReadinessReport {
  readonly status: 'ready' | 'not ready';
  readonly checks: Record<string, ProbeResult>;
  /** The names of the failing parts, in probe order. */
  readonly failing: readonly string[];
}

/** Runs every probe at once; a probe that does not answer within `timeoutMs` fails with "timed out after N s". */
export async function checkReadiness(probes: readonly ReadinessProbe[], timeoutMs = 5000): Promise<ReadinessReport> {
  const results = await Promise.all(
    probes.map(async (p): Promise<[string, ProbeResult]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(timeoutMs / 100) / 10} s`)), timeoutMs);
      });
      try {
        await Promise.race([p.check(), timeout]);
        return [p.name, { ok: true, ms: Math.round(performance.now() - started) }];
      } catch (err) {
        const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
        return [p.name, { ok: false, reason, ms: Math.round(performance.now() - started) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = results.filter(([, r]) => !r.ok).map(([name]) => name);
  return { status: failing.length === 0 ? 'ready' : 'not ready', checks: Object.fromEntries(results), failing };
}

/** The state store answers: a short-lived value written and read back through the same keyv as the repositories. */
export function storeProbe(kv: Keyv<string>, holder: string): ReadinessProbe {
  return {
    name: 'store',
    async check() {
      const key = `probe:${holder}`;
      const value = new Date().toISOString();
      await kv.set(key, value, 60_000);
      const back = await kv.get(key);
      if (back !== value) throw new Error('the state store did not return the value just written');
    },
  };
}
