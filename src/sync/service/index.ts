// Composes the SyncService (src/sync/service-interface.ts) from one module per use case over the same ports.
import type { SyncService } from '../service-interface.js';
import { applyUseCases } from './apply.js';
import { createServiceContext } from './context.js';
import type { SyncServiceDeps } from './deps.js';
import { domainUseCases } from './domains.js';
import { precheckUseCases } from './precheck.js';
import { previewUseCases } from './preview.js';
import { resumeUseCases } from './resume.js';
import { createRunWriter } from './run-writer.js';
import { runUseCases } from './runs.js';
import { scheduledUseCases } from './scheduled.js';

export type { SyncServiceDeps } from './deps.js';

export function createSyncService(deps: SyncServiceDeps): SyncService {
  const ctx = createServiceContext(deps);
  const runs = createRunWriter(ctx);
  return {
    ...domainUseCases(ctx),
    ...previewUseCases(ctx),
    ...applyUseCases(ctx, runs),
    ...scheduledUseCases(ctx, runs),
    ...resumeUseCases(ctx, runs),
    ...precheckUseCases(ctx),
    ...runUseCases(deps),
  };
}
