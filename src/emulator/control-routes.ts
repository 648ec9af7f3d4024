// The control API beside the Graph surface (the README's emulator section): reset, state, faults, latency, stats, clock.
import type { EmulatorCore } from './emulator-core.js';
import { SeedError } from './seed.js';

export interface ControlResponse {
  status: number;
  body: unknown;
}

const problem = (status: number, code: string, message: string, problems?: string[]): ControlResponse => ({
  status,
  body: { error: { code, message, ...(problems ? { problems } : {}) } },
});

/** Routes /_emulator/…; `after` runs after a state change (persistence). */
export function handleControl(
  core: EmulatorCore,
  method: string,
  path: string,
  body: unknown,
  after: () => void,
): ControlResponse {
  const route = `${method} ${path}`;
  switch (route) {
    case 'POST /_emulator/reset':
      try {
        core.reset(body);
        after();
        return { status: 200, body: { ok: true, tenantId: core.tenant.tenantId, users: core.tenant.users.size } };
      } catch (err) {
        if (err instanceof SeedError)
          return problem(400, 'InvalidSeed', 'The seed was rejected; nothing changed.', err.problems);
        throw err;
      }
    case 'GET /_emulator/state':
      return { status: 200, body: core.stateView() };
    case 'GET /_emulator/stats':
      return { status: 200, body: core.statsView() };
    case 'DELETE /_emulator/stats':
      core.stats.clear();
      core.throttler.throttled = 0;
      core.tenant.users.examined = 0;
      return { status: 200, body: core.statsView() };
    case 'GET /_emulator/faults':
      return { status: 200, body: core.faults.current() };
    case 'POST /_emulator/faults': {
      const problems = core.faults.configure(body);
      if (problems.length > 0)
        return problem(400, 'InvalidFaults', 'The fault configuration was rejected; nothing changed.', problems);
      return { status: 200, body: core.faults.current() };
    }
    case 'GET /_emulator/latency':
      return { status: 200, body: core.latency.current() };
    case 'POST /_emulator/latency': {
      const setting = (body as { latency?: unknown } | null)?.latency ?? body;
      const p = core.latency.set(setting);
      if (p) return problem(400, 'InvalidLatency', p, [p]);
      return { status: 200, body: core.latency.current() };
    }
    case 'POST /_emulator/replication': {
      const ms = (body as { delayMs?: unknown } | null)?.delayMs;
      if (typeof ms !== 'number' || ms < 0)
        return problem(400, 'InvalidReplication', 'delayMs: must be a number ≥ 0', ['delayMs: must be a number ≥ 0']);
      core.replicationDelayMs = ms;
      return { status: 200, body: { delayMs: ms } };
    }
    case 'GET /_emulator/filters':
      return { status: 200, body: { forms: core.tenant.filterForms } };
    case 'POST /_emulator/filters': {
      const forms = (body as { forms?: unknown } | null)?.forms;
      if (forms !== 'lenient' && forms !== 'documented')
        return problem(400, 'InvalidFilters', "forms: must be 'lenient' or 'documented'", [
          "forms: must be 'lenient' or 'documented'",
        ]);
      core.tenant.filterForms = forms;
      return { status: 200, body: { forms } };
    }
    case 'POST /_emulator/clock': {
      const ms = (body as { advanceMs?: unknown } | null)?.advanceMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms))
        return problem(400, 'InvalidClock', 'advanceMs: must be a number', ['advanceMs: must be a number']);
      core.clockOffsetMs += ms;
      return { status: 200, body: { now: new Date(core.now()).toISOString() } };
    }
    case 'POST /_emulator/consent': {
      const b = (body ?? {}) as { clientId?: unknown; granted?: unknown; redirectUris?: unknown };
      if (typeof b.clientId !== 'string' || !core.apps.get(b.clientId))
        return problem(400, 'InvalidConsent', 'clientId: unknown app', ['clientId: unknown app']);
      if (b.redirectUris !== undefined) {
        const uris = Array.isArray(b.redirectUris) ? b.redirectUris : null;
        if (!uris?.every((u) => typeof u === 'string' && URL.canParse(u)))
          return problem(400, 'InvalidConsent', 'redirectUris: must be a list of absolute URLs', [
            'redirectUris: must be a list of absolute URLs',
          ]);
        core.apps.setRedirectUris(b.clientId, uris as string[]);
        if (b.granted === undefined) {
          after();
          return { status: 200, body: { clientId: b.clientId, consented: core.apps.isConsented(b.clientId) } };
        }
      }
      if (b.granted === false) core.apps.revoke(b.clientId);
      else core.apps.grant(b.clientId);
      after();
      return { status: 200, body: { clientId: b.clientId, consented: core.apps.isConsented(b.clientId) } };
    }
    default:
      return problem(404, 'NotFound', `No control endpoint ${route}.`);
  }
}
