// Adaptive Card Action.Execute verbs: apply, enable-hourly, cancel, preview, move, logs (authorization is checked before).
import type { TurnContext } from 'botbuilder';
import { isRefusal } from '../sync/service.js';
import type { ApplyFlow } from './apply-flow.js';
import type { AdaptiveCardJson } from './card-template.js';
import { scheduleFacts } from './command-handlers.js';
import { normaliseDomainArg } from './command-parser.js';
import { escapeCardText as esc } from './escape.js';
import { runningCard, startPreview } from './preview-flow.js';
import { refusalCard } from './refusal-cards.js';
import { fmtTime, renderMessageCard, renderMoveResultCard, renderRefusalCard } from './render-cards.js';
import { renderLogsCard } from './render-logs.js';
import { toActivity } from './proactive.js';
import type { BotRuntime } from './runtime.js';
import { type Actor, conversationKeyOf, isPersonalChat, replyRefOf } from './turn-info.js';

export const CARD_VERBS = ['apply', 'enable-hourly', 'cancel', 'preview', 'move', 'logs'] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

const str = (v: unknown, max = 200): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;

const badData = (what: string): AdaptiveCardJson =>
  renderRefusalCard({
    title: 'This button is not valid',
    reason: `The card did not carry ${what}. Nothing was changed.`,
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
  switch (verb) {
    case 'apply': {
      const planId = str(data.planId);
      const planHash = str(data.planHash);
      if (!planId || !planHash) return badData('a dry run id and hash');
      return applyFlow.approve({
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
      if (!domain) return badData('a domain');
      const r = await rt.service.setDomain(domain, { periodic: true }, actor.label);
      if (isRefusal(r)) return refusalCard(r, domain);
      const result = renderMessageCard({
        title: `Hourly sync of ${esc(domain)} is on`,
        color: 'Good',
        text: `Turned on by ${esc(actor.label, 80)} at ${fmtTime(rt.now().toISOString())}. Nothing was synced now; each hourly run previews, checks the max allowed deletions (${r.maxDeletionPercent}%) and applies.`,
        facts: await scheduleFacts(rt, domain, conversationKeyOf(context.activity)),
        actions:
          planId && plan ? [{ title: 'Sync now as well', verb: 'apply', data: { planId, planHash: plan.hash } }] : [],
      });
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'cancel': {
      const planId = str(data.planId);
      if (!planId) return badData('a dry run id');
      if (applyFlow.isActive(planId))
        return renderRefusalCard({
          title: 'Already running',
          reason: 'This dry run is being applied; it cannot be cancelled now.',
        });
      const plan = await rt.service.getPlan(planId);
      if (plan) await rt.service.discardPlan(planId);
      const result = renderMessageCard({
        title: plan ? `Dry run of ${esc(plan.domain)} cancelled` : 'Dry run already gone',
        text: `${plan ? `Cancelled by ${esc(actor.label, 80)} at ${fmtTime(rt.now().toISOString())}. ` : ''}Nothing was changed in Entra ID.`,
      });
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'preview': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData('a domain');
      // A new message, so the card that was clicked (a refusal, a notification) stays as it was.
      const sent = await context.sendActivity(toActivity(runningCard(domain)));
      if (sent?.id)
        startPreview(rt, {
          domain,
          actor,
          ref: replyRefOf(context.activity),
          activityId: sent.id,
          personal: isPersonalChat(context.activity),
        });
      return `Dry run of ${domain} started.`;
    }
    case 'move': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      if (!domain) return badData('a domain');
      const selected = (str(data.selected, 100_000) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (selected.length === 0)
        return renderRefusalCard({
          title: 'Nothing selected',
          reason: 'Select the objects to move first. Nothing was changed.',
        });
      const r = await rt.service.moveToInitialDomain(domain, selected, actor.label);
      const result = isRefusal(r) ? refusalCard(r, null) : renderMoveResultCard(domain, r, actor.label);
      updateForEveryone(rt, context, result);
      return result;
    }
    case 'logs': {
      const domain = normaliseDomainArg(str(data.domain) ?? undefined);
      const runs = await rt.service.listRuns({ ...(domain ? { domain } : {}), limit: 24 });
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      const logs = renderLogsCard(runs, {
        ...(domain ? { domain } : {}),
        linkFor: (kind: 'run', id: string) => rt.linkFor(kind, id, audience),
        linkNote: rt.linkNote(audience),
        now: rt.now(),
      }) as AdaptiveCardJson;
      await context.sendActivity(toActivity(logs));
      return 'Sync log posted.';
    }
  }
}
