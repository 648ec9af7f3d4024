// The SyncService the bot uses with a sync worker: quick calls answered by the bot's own service, domain-wide use cases sent to the worker.
import type { RunRecord } from '../sync/model.js';
import type { ProgressListener, SyncService } from '../sync/service-interface.js';
import type { WorkerMethod } from './protocol.js';

/** Sends one call to the worker process (waiting for a restart in progress) and resolves with its answer. */
export type WorkerSend = (
  method: WorkerMethod,
  args: readonly unknown[],
  onProgress?: ProgressListener,
  onStarted?: (runId: string) => void,
  onDomain?: (index: number, domain: string) => void,
) => Promise<unknown>;

/** `recovered` resolves once a dead worker's calls are finished: resumeInterrupted waits for it, so it does not race the recovery. */
export function routedSyncService(local: SyncService, send: WorkerSend, recovered: () => Promise<void>): SyncService {
  return {
    listDomains: () => local.listDomains(),
    addDomain: (domain, patch, by) => local.addDomain(domain, patch, by),
    setDomain: (domain, patch, by) => local.setDomain(domain, patch, by),
    removeDomain: (domain, by) => local.removeDomain(domain, by),
    getSettings: (domain) => local.getSettings(domain),
    getPlan: (planId) => local.getPlan(planId),
    getPlanSummary: (planId) => local.getPlanSummary(planId),
    planChanges: (planId) => local.planChanges(planId),
    discardPlan: (planId) => local.discardPlan(planId),
    getRun: (runId, options) => local.getRun(runId, options),
    runOutcomes: (runId) => local.runOutcomes(runId),
    listRuns: (filter) => local.listRuns(filter),
    preview: async (domain, opts = {}) => {
      const { onProgress, ...rest } = opts;
      return send('preview', [domain, { ...rest, progress: onProgress !== undefined }], onProgress) as ReturnType<
        SyncService['preview']
      >;
    },
    previewAll: async (settings, opts = {}) => {
      const { onDomain, ...rest } = opts;
      return send(
        'previewAll',
        [settings, { ...rest, progress: onDomain !== undefined }],
        undefined,
        undefined,
        onDomain,
      ) as ReturnType<SyncService['previewAll']>;
    },
    apply: async (planId, planHash, opts) => {
      const { onProgress, onStarted, ...rest } = opts;
      return send(
        'apply',
        [planId, planHash, { ...rest, progress: onProgress !== undefined }],
        onProgress,
        onStarted,
      ) as ReturnType<SyncService['apply']>;
    },
    runScheduled: async (domain, held) => send('runScheduled', held ? [domain, held] : [domain]) as ReturnType<SyncService['runScheduled']>,
    resumeInterrupted: async (opts) => {
      await recovered();
      return (await send('resumeInterrupted', [opts ?? {}])) as RunRecord[];
    },
    precheck: async (domain) => send('precheck', [domain]) as ReturnType<SyncService['precheck']>,
    moveToInitialDomain: async (domain, ids, by) =>
      send('moveToInitialDomain', [domain, ids, by]) as ReturnType<SyncService['moveToInitialDomain']>,
    importDirectory: async (bytes, opts) =>
      send('importDirectory', [bytes, opts]) as ReturnType<SyncService['importDirectory']>,
  };
}
