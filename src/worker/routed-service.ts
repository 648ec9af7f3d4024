// The SyncService the bot uses with a sync worker: quick calls answered by the bot's own service, domain-wide use cases sent to the worker.
import type { RunRecord } from '../sync/model.js';
import type { PreviewAllOptions, ProgressListener, SyncService } from '../sync/service-interface.js';
import type { WorkerMethod } from './protocol.js';

/** The caller's callbacks of one call: they stay in the bot, the worker's messages call them. */
export interface CallListeners {
  readonly onProgress?: ProgressListener | undefined;
  readonly onStarted?: ((runId: string) => void) | undefined;
  readonly onDomain?: PreviewAllOptions['onDomain'];
  readonly onPreviewed?: PreviewAllOptions['onPreviewed'];
}

/** Sends one call to the worker process (waiting for a restart in progress) and resolves with its answer. */
export type WorkerSend = (method: WorkerMethod, args: readonly unknown[], listeners?: CallListeners) => Promise<unknown>;

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
      return send('preview', [domain, { ...rest, progress: onProgress !== undefined }], { onProgress }) as ReturnType<
        SyncService['preview']
      >;
    },
    previewAll: async (settings, opts = {}) => {
      const { onDomain, onPreviewed, ...rest } = opts;
      return send('previewAll', [settings, { ...rest, progress: onDomain !== undefined }], {
        onDomain,
        onPreviewed,
      }) as ReturnType<SyncService['previewAll']>;
    },
    apply: async (planId, planHash, opts) => {
      const { onProgress, onStarted, ...rest } = opts;
      return send('apply', [planId, planHash, { ...rest, progress: onProgress !== undefined }], {
        onProgress,
        onStarted,
      }) as ReturnType<SyncService['apply']>;
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
