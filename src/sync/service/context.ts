// The steps several use cases share: the domain in the tenant, its settings, the domain lease, a snapshot, a plan.
import { message, say } from '../core-messages.js';
import type { DomainSettings, DomainSnapshot, EntraDomain, Plan, PlanWriteSettings } from '../model.js';
import { ignoreEvents, type OpsEvent } from '../observer.js';
import { buildPlan } from '../plan.js';
import { writeSettingsOf } from '../plan-freshness.js';
import type { LeaseHandle } from '../ports.js';
import { readSnapshot } from '../read-snapshot.js';
import { isRefusal, type ProgressListener, type Refusal, syncLeaseName } from '../service-interface.js';
import { refuse, type SyncServiceDeps } from './deps.js';
import { keepRenewing } from './lease-renewal.js';

/** A domain lease held for a use case, renewed until `stop` releases it. */
export interface HeldLease {
  readonly lease: LeaseHandle;
  readonly stop: () => Promise<void>;
}

/** A domain of the tenant, with the tenant's domain list it was found in (read once per use case). */
export interface TenantDomain {
  readonly domain: EntraDomain;
  readonly domains: readonly EntraDomain[];
}

/** A synced domain: its settings and where it is in the tenant. */
export interface Configured extends TenantDomain {
  readonly settings: DomainSettings;
}

export type ServiceContext = ReturnType<typeof createServiceContext>;

/** The tenant's domain of that (normalised) name in the tenant's domain list, or why it cannot be synced. */
function findDomain(name: string, domains: readonly EntraDomain[]): EntraDomain | Refusal {
  const found = domains.find((d) => d.id.toLowerCase() === name);
  if (!found) {
    const known = domains.map((d) => d.id).join(', ');
    return refuse('unknown-domain', say('refusal.unknownDomain', { domain: name, known: known || message('none') }));
  }
  if (!found.isVerified) return refuse('unverified-domain', say('refusal.unverifiedDomain', { domain: name }));
  return found;
}

export function createServiceContext(deps: SyncServiceDeps) {
  const leaseTtlMs = deps.leaseTtlMs ?? 120_000;
  const iso = () => deps.now().toISOString();
  const observe: (event: OpsEvent) => void = deps.observer ?? ignoreEvents;

  /**
   * The tenant's domain of that (normalised) name, with the tenant's domain list it was found in (read here unless
   * `known`, the list a use case already read, is given).
   */
  async function tenantDomain(name: string, known?: readonly EntraDomain[]): Promise<TenantDomain | Refusal> {
    const domains = known ?? (await deps.reader.listDomains());
    const domain = findDomain(name, domains);
    return isRefusal(domain) ? domain : { domain, domains };
  }

  /**
   * The domain's settings (read here unless `known` are given) when it is synced, and its tenant domain (in
   * `knownDomains` when the caller read the tenant's list already).
   */
  async function configured(
    name: string,
    known?: DomainSettings | null,
    knownDomains?: readonly EntraDomain[],
  ): Promise<Configured | Refusal> {
    const settings = known === undefined ? await deps.settings.get(name) : known;
    if (!settings?.synced) return refuse('not-configured', say('refusal.notConfigured', { domain: name }));
    const found = await tenantDomain(name, knownDomains);
    if (isRefusal(found)) return found;
    return { settings, ...found };
  }

  /** Takes the domain's lease `sync:<domain>` (one writer per domain across processes) and renews it until stopped. */
  async function holdLease(domain: string): Promise<HeldLease | Refusal> {
    const answer = await deps.leases.acquire(syncLeaseName(domain), deps.holder, leaseTtlMs);
    if (!answer.acquired)
      return refuse('lease-held', say('refusal.leaseHeld', { domain, holder: answer.heldBy }), answer.heldBy);
    const lease = answer.lease;
    const stopRenewing = keepRenewing(lease, leaseTtlMs, deps.logger, { domain });
    return {
      lease,
      stop: async () => {
        stopRenewing();
        await lease.release();
      },
    };
  }

  /** Both sides of the domain now; `found.domains` is the tenant's domain list already read for this use case. */
  function snapshotFor(found: TenantDomain, onProgress?: ProgressListener): Promise<DomainSnapshot> {
    const ports = { source: deps.source, reader: deps.reader, runs: deps.runs };
    return readSnapshot(ports, found.domain, onProgress, found.domains);
  }

  /** The organization's country, read only when the domain has no usage location of its own. */
  async function organizationCountryFor(settings: DomainSettings): Promise<string | null> {
    return settings.usageLocation ? null : await deps.reader.organizationCountry();
  }

  /** The settings that decide the domain's writes today, for a freshness check (the plan records its own). */
  async function currentWriteSettings(settings: DomainSettings, domain: EntraDomain): Promise<PlanWriteSettings> {
    return writeSettingsOf(settings, domain.authenticationType, await organizationCountryFor(settings));
  }

  /** The plan of a snapshot and the domain's stored settings; buildPlan decides its write settings. */
  async function makePlan(snapshot: DomainSnapshot, settings: DomainSettings, createdBy: string | null): Promise<Plan> {
    const country = await organizationCountryFor(settings);
    return buildPlan(snapshot, settings, { id: deps.newId(), now: iso(), createdBy }, country);
  }

  return { deps, iso, observe, tenantDomain, configured, holdLease, snapshotFor, currentWriteSettings, makePlan };
}
