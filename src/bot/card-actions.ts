// Adaptive Card Action.Execute verbs: apply, enable-hourly, cancel, preview, move, logs, command, set-up form and Save
// (authorization is checked before).
import type { TurnContext } from 'botbuilder';
import { isRefusal } from '../sync/service-interface.js';
import type { ApplyFlow } from './apply-flow.js';
import type { AdaptiveCardJson } from './card-template.js';
import { handleCommand, scheduleFacts } from './command-handlers.js';
import { normaliseDomainArg, parse } from './command-parser.js';
import { escapeCardText as esc } from './escape.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import { runningCard, startPreview } from './preview-flow.js';
import { refusalCard } from './refusal-cards.js';
import {
  fmtTime,
  renderDryRunCard,
  renderHelpCard,
  renderMessageCard,
  renderMoveResultCard,
  renderRefusalCard,
} from './render-cards.js';
import { saveSetup, setupFormCard } from './setup-flow.js';
import { renderLogsCard } from './render-logs.js';
import { toActivity } from './proactive.js';
import type { BotRuntime } from './runtime.js';
import { type Actor, conversationKeyOf, isPersonalChat, replyRefOf } from './turn-info.js';

export const CARD_VERBS = [
  'apply',
  'enable-hourly',
  'cancel',
  'preview',
  'move',
  'logs',
  'command',
  'setup-form',
  'setup-save',
  'show-plan',
] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

const str = (v: unknown, max = 200): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;

const badData = (lang: Lang, what: 'plan' | 'planId' | 'domain' | 'command'): AdaptiveCardJson =>
  renderRefusalCard(lang, {
    title: lang.t('button.invalid'),
    reason: lang.t(`button.missing.${what}`),
  });

/** Everyone sees the new card, not only the person who clicked: update the card message in the background. */
function updateForEveryone(rt: BotRuntime, context: TurnContext, result: AdaptiveCardJson): void {
  const id = context.activity.replyToId;
  if (!id) return;
  const ref = replyRefOf(context.activity);
  rt.tasks.run('card-update', () => rt.proactive.update(ref, id, result));
}

export async function handleCardAction(
  rt: BotRuntime,
  applyFlow: ApplyFlow,
  context: TurnContext,
  verb: CardVerb,
  data: Record<string, unknown>,
  actor: Actor,
): Promise<AdaptiveCardJson | string> {
  const lang = langFor(localeOf(context.activity.locale));
  switch (verb) {
    case 'apply': {
      const planId = str(data.planId);
      const planHash = str(data.planHash);
      if (!planId || !planHash) return badData(lang, 'plan');
      return applyFlow.approve({
        lang,
        planId,
        planHash,
        actor,
        invokeId: context.activity.id ?? null,
        ref: replyRefOf(context.activity),
        messageId: context.activity.replyToId ?? null,
      });
    }
    case 'enable-hourly': {
      const planId = str(data.planId);
      const plan = planId ? await rt.service.getPlan(planId) : null;
      const domain = plan?.domain ?? normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData(lang, 'domain');
      const r = await rt.service.setDomain(domain, { periodic: true }, actor.label);
      if (isRefusal(r)) return refusalCard(lang, r, domain);
      const result = renderMessageCard({
        title: lang.t('schedule.on', { domain: esc(domain) }),
        color: 'Good',
        text: lang.t('schedule.turnedOn', {
          name: esc(actor.label, 80),
          time: fmtTime(rt.now().toISOString()),
          pct: r.maxDeletionPercent,
        }),
        facts: await scheduleFacts(rt, lang, domain, conversationKeyOf(context.activity)),
        actions: [
          ...(planId && plan
            ? [{ title: lang.t('buttons.syncNowAsWell'), verb: 'apply', data: { planId, planHash: plan.hash } }]
            : []),
          { title: lang.t('buttons.syncLog'), verb: 'logs', data: { domain } },
        ],
      });
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'cancel': {
      const planId = str(data.planId);
      if (!planId) return badData(lang, 'planId');
      if (applyFlow.isActive(planId))
        return renderRefusalCard(lang, {
          title: lang.t('cancel.runningTitle'),
          reason: lang.t('cancel.runningReason'),
        });
      const plan = await rt.service.getPlan(planId);
      if (plan) await rt.service.discardPlan(planId);
      const result = renderMessageCard({
        title: plan ? lang.t('cancel.title', { domain: esc(plan.domain) }) : lang.t('cancel.gone'),
        text: plan
          ? lang.t('cancel.text', { name: esc(actor.label, 80), time: fmtTime(rt.now().toISOString()) })
          : lang.t('cancel.nothingChanged'),
      });
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'preview': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData(lang, 'domain');
      // A new message, so the card that was clicked (a refusal, a notification) stays as it was.
      const sent = await context.sendActivity(toActivity(runningCard(lang, domain)));
      if (sent?.id)
        startPreview(rt, {
          lang,
          domain,
          actor,
          ref: replyRefOf(context.activity),
          activityId: sent.id,
          personal: isPersonalChat(context.activity),
        });
      return lang.t('dryRun.started', { domain });
    }
    case 'move': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData(lang, 'domain');
      const selected = (str(data.selected, 100_000) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (selected.length === 0)
        return renderRefusalCard(lang, {
          title: lang.t('move.nothingTitle'),
          reason: lang.t('move.nothingReason'),
        });
      const r = await rt.service.moveToInitialDomain(domain, selected, actor.label);
      const result = isRefusal(r) ? refusalCard(lang, r, null) : renderMoveResultCard(lang, domain, r, actor.label);
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'command': {
      // A button that stands for a typed command: the same parser, the same handler, the same authorization.
      const parsed = parse(str(data.command, 300) ?? '');
      if (parsed.kind === 'unknown' || parsed.kind === 'import') return badData(lang, 'command');
      if (parsed.kind === 'help') await context.sendActivity(toActivity(renderHelpCard(lang)));
      else await handleCommand(rt, context, parsed, actor);
      return lang.t('button.done');
    }
    case 'setup-form': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData(lang, 'domain');
      await context.sendActivity(toActivity(await setupFormCard(rt, lang, domain)));
      return lang.t('setup.formPosted', { domain });
    }
    case 'setup-save': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData(lang, 'domain');
      const result = await saveSetup(rt, lang, domain, data, actor.label);
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'show-plan': {
      // From the `preview all` summary: that domain's own dry-run card, as a new message (Sync now updates it).
      const planId = str(data.planId);
      if (!planId) return badData(lang, 'planId');
      const plan = await rt.service.getPlan(planId);
      if (!plan)
        return refusalCard(lang, { refused: true, code: 'plan-not-found', reason: lang.t('apply.planGone') }, null);
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      await context.sendActivity(
        toActivity(
          renderDryRunCard(lang, plan, {
            downloadUrl: rt.linkFor('plan', plan.id, audience),
            requestedByName: plan.createdBy,
            linkNote: rt.linkNote(lang, audience),
          }),
        ),
      );
      return lang.t('previewAll.posted', { domain: plan.domain });
    }
    case 'logs': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      const runs = await rt.service.listRuns({ ...(domain ? { domain } : {}), limit: 24 });
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      const logs = renderLogsCard(lang, runs, {
        ...(domain ? { domain } : {}),
        linkFor: (kind: 'run', id: string) => rt.linkFor(kind, id, audience),
        linkNote: rt.linkNote(lang, audience),
        now: rt.now(),
      }) as AdaptiveCardJson;
      await context.sendActivity(toActivity(logs));
      return lang.t('logs.posted');
    }
  }
}
