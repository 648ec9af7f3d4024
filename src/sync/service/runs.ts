// The sync log use cases (one run, a domain's runs) and the Access Control import.
import type { SyncService } from '../service-interface.js';
import type { SyncServiceDeps } from './deps.js';

export function runUseCases(
  deps: SyncServiceDeps,
): Pick<SyncService, 'getRun' | 'runOutcomes' | 'listRuns' | 'importDirectory'> {
  return {
    getRun: (runId, options) => deps.runs.get(runId, options),
    runOutcomes: (runId) => deps.runs.outcomes(runId),
    listRuns: (filter) => deps.runs.list(filter),
    importDirectory: (bytes, options) => deps.importer(bytes, options),
  };
}
