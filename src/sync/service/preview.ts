// The dry run use case: read both sides of a domain, build the plan, store it; and looking up or discarding a plan.
import { movedNotBack, strandedAdoptions } from '../apply-outcomes.js';
import { list, message, say } from '../core-messages.js';
import type { DomainSettings, EntraDomain, Plan } from '../model.js';
import {
  isRefusal,
  type PortableError,
  type DomainPreview,
  type PreviewAllOptions,
  type PreviewOptions,
  type Refusal,
  type SyncService,
  toPortableError,
} from '../service-interface.js';
import type { ServiceContext } from './context.js';
import { normaliseDomain } from '../domain-name.js';
import { planCsvByteSize } from '../plan-csv.js';
import { refuse } from './deps.js';

/**
 * A refusal while an interrupted run of the domain has federated users at their temporary onmicrosoft.com UPN: a new
 * dry run would not see them in the domain and would plan them as new users. Finishing that run comes first.
 * The run's journal says whether any user is stranded (usually none: nothing of the plan is read); only then are the
 * plan's chunks walked, one at a time, until every stranded user's change is found.
 */
async function interruptedAdoptions({ deps }: ServiceContext, domain: string): Promise<Refusal | null> {
  for (const runId of await deps.journal.unfinished()) {
    const run = await deps.runs.get(runId, { outcomes: false });
    if (run?.domain !== domain || !run.planId) continue;
    const moved = movedNotBack(await deps.journal.read(runId));
    if (moved.size === 0) continue;
    const plan = await deps.plans.summary(run.planId);
    if (!plan) continue;
    const named: { upn: string; via: string }[] = [];
    let count = 0;
    for await (const part of deps.plans.changes(plan.id)) {
      const stranded = strandedAdoptions(part, moved);
      count += stranded.length;
      named.push(...stranded.slice(0, 3 - named.length));
      if (count === moved.size) break;
    }
    if (count === 0) continue;
    const users = list(
      named.map((s) => message('refusal.strandedUser', { upn: s.upn, via: s.via })),
      'comma',
    );
    const said =
      count > 3
        ? say('refusal.strandedAdoptionsMore', { runId, users, more: count - 3, planId: plan.id })
        : say('refusal.strandedAdoptions', { runId, users, planId: plan.id });
    return refuse('lease-held', said, runId);
  }
  return null;
}

/** What a dry run was handed already read: the domain's settings and the tenant's domain list. */
interface AlreadyRead {
  readonly settings: DomainSettings;
  readonly domains: readonly EntraDomain[];
}

export function previewUseCases(
  ctx: ServiceContext,
): Pick<SyncService, 'preview' | 'previewAll' | 'getPlan' | 'getPlanSummary' | 'planChanges' | 'discardPlan'> {
  const { deps, observe, configured, snapshotFor, makePlan } = ctx;

  async function preview(rawDomain: string, options: PreviewOptions = {}, known?: AlreadyRead): Promise<Plan | Refusal> {
    const domain = normaliseDomain(rawDomain);
    const started = deps.now().getTime();
    const finished = (outcome: 'planned' | 'refused' | 'failed') =>
      observe({ type: 'preview-finished', domain, outcome, seconds: (deps.now().getTime() - started) / 1000 });
    try {
      const found = await configured(domain, known?.settings, known?.domains);
      if (isRefusal(found)) {
        finished('refused');
        return found;
      }
      const halfDone = await interruptedAdoptions(ctx, found.domain.id);
      if (halfDone) {
        finished('refused');
        return halfDone;
      }
      const snapshot = await snapshotFor(found, options.onProgress);
      const plan = await makePlan(snapshot, found.settings, options.requestedBy ?? null);
      // The CSV's size, when it will be offered as a file, is counted here, once, off the bot's event loop: the offer
      // and its upload read it from the summary.
      await deps.plans.put(plan, options.countCsvBytes ? { csvBytes: planCsvByteSize(plan) } : {});
      finished('planned');
      options.onProgress?.({ phase: 'done', done: plan.changes.length, total: plan.changes.length });
      return plan;
    } catch (err) {
      finished('failed');
      throw err;
    }
  }

  return {
    preview: (domain, options) => preview(domain, options),

    async previewAll(settings, options: PreviewAllOptions = {}) {
      // The tenant's domain list once for every domain; when it cannot be read, each domain's entry says why.
      let domains: readonly EntraDomain[] = [];
      let unread: PortableError | null = null;
      try {
        domains = await deps.reader.listDomains();
      } catch (err) {
        unread = toPortableError(err);
      }
      const entries: DomainPreview[] = [];
      for (const [index, s] of settings.entries()) {
        options.onDomain?.(index, s.domain);
        let entry: DomainPreview;
        if (unread) entry = { domain: s.domain, error: unread };
        else
          try {
            const result = await preview(s.domain, { requestedBy: options.requestedBy ?? null }, { settings: s, domains });
            entry = { domain: s.domain, result };
          } catch (err) {
            entry = { domain: s.domain, error: toPortableError(err) };
          }
        entries.push(entry);
        options.onPreviewed?.(index, entry);
      }
      return entries;
    },

    getPlan: (planId) => deps.plans.get(planId),
    getPlanSummary: (planId) => deps.plans.summary(planId),
    planChanges: (planId) => deps.plans.changes(planId),
    discardPlan: (planId) => deps.plans.discard(planId),
  };
}
