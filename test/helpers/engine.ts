// Test helpers that wire the sync engine by hand over an in-process emulator, with a fake or SCIM source in place of `createEngine`'s directory.
import { type Agent, fetch } from 'undici';
import { expect } from 'vitest';
import { servicePortsOf } from '../../src/compose.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createEntraConnector, type EntraConnector } from '../../src/entra/index.js';
import type { Logger } from '../../src/logger.js';
import type { Stores } from '../../src/store/index.js';
import type { UserOutcome } from '../../src/sync/model.js';
import type { SyncService } from '../../src/sync/service-interface.js';
import { createSyncService, type SyncServiceDeps } from '../../src/sync/service/index.js';

/** An Entra connector that signs in to the emulator (its own app unless another registration is named) and trusts its CA. */
export function emulatorEntra(
  emulator: RunningEmulator,
  logger: Logger,
  options: Parameters<typeof createEntraConnector>[2] = {},
  app: { clientId: string; clientSecret: string } = {
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
  },
): EntraConnector {
  return createEntraConnector(
    {
      tenantId: emulator.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      clientCertPath: undefined,
      clientCertThumbprintSha256: undefined,
      authorityHost: emulator.authorityHost,
      graphBaseUrl: emulator.graphBaseUrl,
      caFile: undefined,
      caPem: emulator.caPem!,
    },
    logger,
    options,
  );
}

/** What a test chooses of a sync service; the rest is wired as `createEngine` wires it, with no CSV importer. */
export type TestServiceParts = Pick<SyncServiceDeps, 'source' | 'logger' | 'holder'> &
  Partial<Omit<SyncServiceDeps, 'source' | 'logger' | 'holder' | 'reader' | 'writer'>>;

/** The sync service over this connector and these stores, on the ports `createEngine` maps them to (`servicePortsOf`). */
export function testSyncService(entra: EntraConnector, stores: Stores, parts: TestServiceParts) {
  return createSyncService({
    ...servicePortsOf(entra, stores),
    importer: async () => {
      throw new Error('not used');
    },
    ...parts,
  });
}

/** Calls the emulator's control API (GET without a body, POST with one) and expects a 2xx answer. */
export function emulatorControl(emulator: () => RunningEmulator, dispatcher: () => Agent) {
  return async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${emulator().graphBaseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: dispatcher(),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return res.json() as Promise<Record<string, unknown>>;
  };
}

/** Every per-user outcome of a run, read page by page from the run log (a returned run record carries its failures only). */
export async function runOutcomesOf(service: Pick<SyncService, 'runOutcomes'>, runId: string): Promise<UserOutcome[]> {
  const all: UserOutcome[] = [];
  for await (const page of service.runOutcomes(runId)) all.push(...page);
  return all;
}
