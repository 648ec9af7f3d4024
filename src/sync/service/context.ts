// The steps several use cases share: finding the domain in the tenant, its settings, the domain lease, a snapshot.
import { message, say } from '../core-messages.js';
import type { DomainSettings, DomainSnapshot, EntraDomain, Plan, PlanWriteSettings } from '../model.js';
import { ignoreEvents, type OpsEvent } from '../observer.js';
import { buildPlan } from '../plan.js';
import { writeSettingsOf } from '../plan-freshness.js';
import type { LeaseHandle } from '../ports.js';
import { readSnapshot } from '../read-snapshot.js';
import { isRefusal, type ProgressListener, type Refusal } from '../service-interface.js';
import { refuse, type SyncServiceDeps } from './deps.js';

/** A domain lease held for a use case, renewed until `stop` releases it. */
export interface HeldLease {
  readonly lease: LeaseHandle;
  readonly stop: () => Promise<void>;
}

export type ServiceContext = ReturnType<typeof createServiceContext>;

export function createServiceContext(deps: SyncServiceDeps) {
  const leaseTtlMs = deps.leaseTtlMs ?? 120_000;
  const iso = () => deps.now().toISOString();
  const observe: (event: OpsEvent) => void = deps.observer ?? ignoreEvents;

  /** The tenant's domain of that (normalised) name, or why it cannot be synced. */
  async function tenantDomain(name: string): Promise<EntraDomain | Refusal> {
    const domains = await deps.reader.listDomains();
    const found = domains.find((d) => d.id.toLowerCase() === name);
    if (!found) {
      const names = domains.map((d) => d.id).join(', ');
      return refuse('unknown-domain', say('refusal.unknownDomain', { domain: name, known: names || message('none') }));
    }
    if (!found.isVerified) return refuse('unverified-domain', say('refusal.unverifiedDomain', { domain: name }));
    return found;
  }

  async function configured(name: string): Promise<{ settings: DomainSettings; domain: EntraDomain } | Refusal> {
    const settings = await deps.settings.get(name);
    if (!settings?.synced) return refuse('not-configured', say('refusal.notConfigured', { domain: name }));
    const domain = await tenantDomain(name);
    if (isRefusal(domain)) return domain;
    return { settings, domain };
  }

  /** Takes the domain's lease `sync:<domain>` (one writer per domain across processes) and renews it until stopped. */
  async function holdLease(domain: string): Promise<HeldLease | Refusal> {
    const answer = await deps.leases.acquire(`sync:${domain}`, deps.holder, leaseTtlMs);
    if (!answer.acquired)
      return refuse('lease-held', say('refusal.leaseHeld', { domain, holder: answer.heldBy }), answer.heldBy);
    const lease = answer.lease;
    const timer = setInterval(
      () => {
        lease.renew().then(
          (ok) => {
            if (!ok) deps.logger.warn({ domain }, 'lost the sync lease while running');
          },
          (err: unknown) => deps.logger.warn({ domain, err: String(err) }, 'could not renew the sync lease'),
        );
      },
      Math.max(200, Math.floor(leaseTtlMs / 3)),
    );
    timer.unref();
    return {
      lease,
      stop: async () => {
        clearInterval(timer);
        await lease.release();
      },
    };
  }

  function snapshotFor(domain: EntraDomain, onProgress?: ProgressListener): Promise<DomainSnapshot> {
    return readSnapshot({ source: deps.source, reader: deps.reader, runs: deps.runs }, domain, onProgress);
  }

  /** The settings that decide the domain's writes today (the organization's country only when the domain has none). */
  async function currentWriteSettings(settings: DomainSettings, domain: EntraDomain): Promise<PlanWriteSettings> {
    const country = settings.usageLocation ? null : await deps.reader.organizationCountry();
    return writeSettingsOf(settings, domain.authenticationType, country);
  }

  function makePlan(
    snapshot: DomainSnapshot,
    settings: DomainSettings,
    writeSettings: PlanWriteSettings,
    createdBy: string | null,
  ): Plan {
    return buildPlan(
      snapshot,
      { ...settings, usageLocation: writeSettings.usageLocation },
      { id: deps.newId(), now: iso(), createdBy },
    );
  }

  return { deps, iso, observe, tenantDomain, configured, holdLease, snapshotFor, currentWriteSettings, makePlan };
}
