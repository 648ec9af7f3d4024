// Reads both sides of one domain at one moment (source directory + Entra) into a DomainSnapshot for the core.
import type { DomainSnapshot, EntraDomain, RunRecord } from './model.js';
import type { EntraReader, RunLogRepository, SourceDirectory } from './ports.js';
import type { ProgressListener } from './service-interface.js';

export interface SnapshotDeps {
  readonly source: SourceDirectory;
  readonly reader: EntraReader;
  readonly runs: RunLogRepository;
}

/** The source count of the domain's last run that got as far as writing (for the empty-source guard). */
export async function previousSourceCount(runs: RunLogRepository, domain: string): Promise<number | null> {
  const recent: RunRecord[] = await runs.list({ domain, limit: 50, outcomes: false });
  const last = recent.find(
    (r) => (r.status === 'completed' || r.status === 'partial') && typeof r.sourceCount === 'number',
  );
  return last?.sourceCount ?? null;
}

/** `tenantDomains`: the tenant's domain list the caller already read (a federated domain needs it), else read here. */
export async function readSnapshot(
  deps: SnapshotDeps,
  domain: EntraDomain,
  onProgress?: ProgressListener,
  tenantDomains?: readonly EntraDomain[],
): Promise<DomainSnapshot> {
  const name = domain.id.toLowerCase();
  onProgress?.({ phase: 'reading-source', done: 0, total: 0 });
  const federated = domain.authenticationType === 'Federated';
  const [source, entra, deleted, adminIds, previous, domains] = await Promise.all([
    deps.source.listUsers(name),
    deps.reader.listUsers(name, (p) => onProgress?.({ phase: 'reading-entra', done: p.read, total: 0 })),
    deps.reader.listDeletedUsers(name),
    deps.reader.listAdminRoleHolders(),
    previousSourceCount(deps.runs, name),
    federated ? (tenantDomains ?? deps.reader.listDomains()) : [],
  ]);
  const staging = domains.find((d) => d.isInitial && d.id.endsWith('.onmicrosoft.com'))?.id ?? null;
  onProgress?.({ phase: 'diffing', done: 0, total: source.length + entra.length });
  return {
    domain: name,
    authenticationType: domain.authenticationType,
    source,
    entra,
    deleted,
    adminIds,
    previousSourceCount: previous,
    ...(federated ? { stagingDomain: staging } : {}),
  };
}
