// "Sync now": answers the click at once with a progress card, applies in the background, updates the card in place.
import type { RunRecord } from '../sync/model.js';
import type { Progress, Refusal } from '../sync/service-interface.js';
import { isRefusal } from '../sync/service-interface.js';
import type { AdaptiveCardJson } from './card-template.js';
import { type CardUpdater, createCardUpdater } from './card-updater.js';
import { escapeCardText } from './escape.js';
import type { ConversationAddress } from './messenger.js';
import type { Lang } from './i18n.js';
import { failureCard, refusalCard } from './refusal-cards.js';
import { renderMessageCard } from './render-cards.js';
import { estimateMsLeft, type RateOrigin, renderProgressCard, renderResultCard } from './render-run-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';

/** How long the click waits for a quick answer (refusals before any read) before returning the progress card. */
const QUICK_ANSWER_MS = 1200;
/** Invoke ids seen recently (replays, duplicated deliveries). */
const INVOKE_TTL_MS = 24 * 3600_000;

interface ActiveApply {
  readonly lang: Lang;
  readonly domain: string;
  readonly actor: Actor;
  readonly approvedAt: string;
  readonly planHash: string;
  progress: Progress | null;
  /** When the writing phase was first seen, for the time-left estimate. */
  writingFrom: RateOrigin | null;
}

export interface ApplyRequest {
  /** The language of the person who clicked (the card is updated in it). */
  readonly lang: Lang;
  readonly planId: string;
  readonly planHash: string;
  readonly actor: Actor;
  /** The invoke activity's id: a replay of the same invoke is answered without applying. */
  readonly invokeId: string | null;
  readonly address: ConversationAddress;
  /** The card message to update for everyone (the invoke's replyToId). */
  readonly messageId: string | null;
}

export interface ApplyFlow {
  /** Returns the card to answer the click with; the apply (if any) continues in the background. */
  approve(req: ApplyRequest): Promise<AdaptiveCardJson>;
  /** True while this process applies the plan. */
  isActive(planId: string): boolean;
}

export function createApplyFlow(rt: BotRuntime): ApplyFlow {
  const active = new Map<string, ActiveApply>();
  const invokes = rt.stores.kv<string>('bot-invokes');
  const planRuns = rt.stores.kv<string>('bot-plan-runs');

  const progressCard = (a: ActiveApply): AdaptiveCardJson =>
    renderProgressCard(a.lang, {
      title: a.lang.t('apply.running', { domain: escapeCardText(a.domain) }),
      progress: a.progress,
      approvedBy: a.actor.label,
      approvedAt: a.approvedAt,
      planHash: a.planHash,
      waitingText: a.lang.t('apply.checking'),
      msLeft: estimateMsLeft(a.writingFrom, rt.now().getTime(), a.progress),
    });

  const resultCard = (lang: Lang, run: RunRecord, approvedByName: string | null): AdaptiveCardJson =>
    renderResultCard(lang, run, {
      csvUrl: rt.linkFor('run', run.id, 'shared'),
      approvedByName,
      linkNote: rt.linkNote(lang, 'shared'),
    });

  /** The card for a plan some earlier click (here or on another replica) already applied or is applying. */
  async function usedPlanCard(lang: Lang, runId: string | undefined, domain: string | null): Promise<AdaptiveCardJson> {
    const run = runId ? await rt.service.getRun(runId) : null;
    if (!run) {
      return renderMessageCard({
        title: lang.t('apply.alreadyApproved'),
        text: lang.t('apply.alreadyApprovedText'),
        actions: domain ? [{ title: lang.t('buttons.rerun'), verb: 'preview', data: { domain } }] : [],
      });
    }
    if (run.status === 'running')
      return renderProgressCard(lang, {
        title: lang.t('apply.running', { domain: escapeCardText(run.domain) }),
        progress: null,
        approvedBy: run.approvedBy,
        approvedAt: run.startedAt,
        planHash: run.planHash,
        waitingText: lang.t('apply.alreadyRunning'),
      });
    return resultCard(lang, run, null);
  }

  async function finalCard(
    lang: Lang,
    result: RunRecord | Refusal | { error: unknown },
    domain: string,
    actor: Actor,
  ): Promise<AdaptiveCardJson> {
    if ('error' in result) return failureCard(rt.logger, lang, { key: 'what.sync' }, result.error, { domain });
    if (isRefusal(result)) {
      if (result.code === 'plan-used') return usedPlanCard(lang, result.detail, domain);
      return refusalCard(lang, result, domain);
    }
    return resultCard(lang, result, actor.label);
  }

  return {
    isActive: (planId) => active.has(planId),

    async approve(req) {
      const running = active.get(req.planId);
      if (running) return progressCard(running);
      if (req.invokeId) {
        const seen = await invokes.get(req.invokeId);
        if (seen !== undefined) {
          const runId = await planRuns.get(req.planId);
          return usedPlanCard(req.lang, runId, null);
        }
        await invokes.set(req.invokeId, req.planId, INVOKE_TTL_MS);
      }
      const plan = await rt.service.getPlanSummary(req.planId);
      if (!plan) {
        const runId = await planRuns.get(req.planId);
        if (runId) return usedPlanCard(req.lang, runId, null);
        return refusalCard(
          req.lang,
          { refused: true, code: 'plan-not-found', reason: req.lang.t('apply.planGone') },
          null,
        );
      }
      const domain = plan.domain;
      const state: ActiveApply = {
        lang: req.lang,
        domain,
        actor: req.actor,
        approvedAt: rt.now().toISOString(),
        planHash: req.planHash,
        progress: null,
        writingFrom: null,
      };
      active.set(req.planId, state);
      let updater: CardUpdater | null = null;
      if (req.messageId)
        updater = createCardUpdater({
          messenger: rt.messenger,
          address: req.address,
          activityId: req.messageId,
          logger: rt.logger,
          intervalMs: rt.updateIntervalMs,
        });
      rt.logger.info({ planId: req.planId, domain, by: req.actor.aadObjectId }, 'sync approved');
      const applying = rt.service
        .apply(req.planId, req.planHash, {
          trigger: 'manual',
          approvedBy: req.actor.label,
          approvedById: req.actor.aadObjectId,
          onStarted: (runId) => {
            planRuns.set(req.planId, runId, 30 * 24 * 3600_000).catch(() => undefined);
          },
          onProgress: (p) => {
            state.progress = p;
            if (p.phase === 'writing' && state.writingFrom === null)
              state.writingFrom = { atMs: rt.now().getTime(), done: p.done };
            updater?.push(progressCard(state));
          },
        })
        .then(
          (r) => r,
          (error: unknown) => {
            return { error };
          },
        );
      const quick = await Promise.race([
        applying.then((r) => ({ r })),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), QUICK_ANSWER_MS).unref()),
      ]);
      if (quick) {
        active.delete(req.planId);
        const card = await finalCard(req.lang, quick.r, domain, req.actor);
        if (updater) {
          const u = updater;
          rt.tasks.run('card-update', () => u.final(card));
        }
        return card;
      }
      updater?.push(progressCard(state));
      rt.tasks.run('apply', async () => {
        const r = await applying;
        const card = await finalCard(req.lang, r, domain, req.actor);
        active.delete(req.planId);
        if (updater) await updater.final(card);
        else await rt.messenger.send(req.address, { card });
      });
      return progressCard(state);
    },
  };
}
