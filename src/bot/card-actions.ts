// Adaptive Card Action.Execute verbs, one route each: apply, enable-hourly, cancel, preview, move, logs, command,
// set-up form and Save, show-plan.
import { isRefusal } from '../sync/service-interface.js';
import type { ApplyFlow } from './apply-flow.js';
import type { AdaptiveCardJson } from './card-template.js';
import { logsCard } from './command-handlers.js';
import { parseDomainName } from '../sync/domain-name.js';
import { escapeCardText as esc } from './escape.js';
import type { Reply, Route, VerbInput, VerbReply } from './handlers.js';
import type { Lang } from './i18n.js';
import { runningCard, startPreview } from './preview-flow.js';
import { refusalCard } from './refusal-cards.js';
import { fmtTime } from './card-format.js';
import { renderMessageCard, renderRefusalCard } from './render-cards.js';
import { renderDryRunCard, renderMoveResultCard } from './render-plan-cards.js';
import type { BotRuntime } from './runtime.js';
import { scheduleFacts } from './settings-facts.js';
import { saveSetup, setupFormCard } from './setup-flow.js';

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
export type VerbRoutes = { readonly [V in CardVerb]: Route<VerbInput, VerbReply> };

const str = (v: unknown, max = 200): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;

const domainOf = (input: VerbInput) => parseDomainName(str(input.data.domain) ?? undefined);

const badData = (lang: Lang, what: 'plan' | 'planId' | 'domain' | 'command'): Reply => ({
  card: renderRefusalCard(lang, { title: lang.t('button.invalid'), reason: lang.t(`button.missing.${what}`) }),
});

/** Everyone sees the new card, not only the person who clicked: the card message is updated in the background. */
function forEveryone(rt: BotRuntime, input: VerbInput, card: AdaptiveCardJson): Reply {
  const id = input.messageId;
  if (id) rt.tasks.run('card-update', () => rt.messenger.update(input.address, id, card));
  return { card };
}

/**
 * The card verbs. `command` (a button standing for a typed command) is routed by the caller through the same
 * registry as typed commands, with the same authorization (help excepted: from a button it needs read access); its
 * route here only refuses what no button may stand for.
 */
export function createVerbRoutes(applyFlow: ApplyFlow): VerbRoutes {
  return {
    apply: {
      access: 'write',
      async run(_rt, input) {
        const planId = str(input.data.planId);
        const planHash = str(input.data.planHash);
        if (!planId || !planHash) return badData(input.lang, 'plan');
        const card = await applyFlow.approve({
          lang: input.lang,
          planId,
          planHash,
          actor: input.actor,
          invokeId: input.invokeId,
          address: input.address,
          messageId: input.messageId,
        });
        return { card };
      },
    },
    'enable-hourly': {
      access: 'write',
      async run(rt, input) {
        const { lang, actor } = input;
        const planId = str(input.data.planId);
        const plan = planId ? await rt.service.getPlanSummary(planId) : null;
        const domain = plan?.domain ?? domainOf(input);
        if (!domain) return badData(lang, 'domain');
        const r = await rt.service.setDomain(domain, { periodic: true }, actor.label);
        if (isRefusal(r)) return { card: refusalCard(lang, r, domain) };
        const card = renderMessageCard({
          title: lang.t('schedule.on', { domain: esc(domain) }),
          color: 'Good',
          text: lang.t('schedule.turnedOn', {
            name: esc(actor.label, 80),
            time: fmtTime(rt.now().toISOString()),
            pct: r.maxDeletionPercent,
          }),
          facts: await scheduleFacts(rt, lang, domain, input.conversationKey),
          actions: [
            ...(planId && plan
              ? [{ title: lang.t('buttons.syncNowAsWell'), verb: 'apply', data: { planId, planHash: plan.hash } }]
              : []),
            { title: lang.t('buttons.syncLog'), verb: 'logs', data: { domain } },
          ],
        });
        return forEveryone(rt, input, card);
      },
    },
    cancel: {
      access: 'write',
      async run(rt, input) {
        const { lang } = input;
        const planId = str(input.data.planId);
        if (!planId) return badData(lang, 'planId');
        if (applyFlow.isActive(planId))
          return {
            card: renderRefusalCard(lang, {
              title: lang.t('cancel.runningTitle'),
              reason: lang.t('cancel.runningReason'),
            }),
          };
        const plan = await rt.service.getPlanSummary(planId);
        if (plan) await rt.service.discardPlan(planId);
        const card = renderMessageCard({
          title: plan ? lang.t('cancel.title', { domain: esc(plan.domain) }) : lang.t('cancel.gone'),
          text: plan
            ? lang.t('cancel.text', { name: esc(input.actor.label, 80), time: fmtTime(rt.now().toISOString()) })
            : lang.t('cancel.nothingChanged'),
        });
        return forEveryone(rt, input, card);
      },
    },
    preview: {
      access: 'read',
      async run(rt, input) {
        const { lang, actor, address, personal } = input;
        const domain = domainOf(input);
        if (!domain) return badData(lang, 'domain');
        // A new message, so the card that was clicked (a refusal, a notification) stays as it was.
        const post: Reply = {
          card: runningCard(lang, domain),
          followUp: (activityId) => {
            if (activityId) startPreview(rt, { lang, domain, actor, address, activityId, personal });
          },
        };
        return { text: lang.t('dryRun.started', { domain }), post };
      },
    },
    move: {
      access: 'write',
      async run(rt, input) {
        const { lang, actor } = input;
        const domain = domainOf(input);
        if (!domain) return badData(lang, 'domain');
        const selected = (str(input.data.selected, 100_000) ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (selected.length === 0)
          return {
            card: renderRefusalCard(lang, { title: lang.t('move.nothingTitle'), reason: lang.t('move.nothingReason') }),
          };
        const r = await rt.service.moveToInitialDomain(domain, selected, actor.label);
        const card = isRefusal(r) ? refusalCard(lang, r, null) : renderMoveResultCard(lang, domain, r, actor.label);
        return forEveryone(rt, input, card);
      },
    },
    command: {
      access: 'write',
      run: async (_rt, input) => badData(input.lang, 'command'),
    },
    'setup-form': {
      access: 'read',
      async run(rt, input) {
        const domain = domainOf(input);
        if (!domain) return badData(input.lang, 'domain');
        const post = { card: await setupFormCard(rt, input.lang, domain) };
        return { text: input.lang.t('setup.formPosted', { domain }), post };
      },
    },
    'setup-save': {
      access: 'write',
      async run(rt, input) {
        const domain = domainOf(input);
        if (!domain) return badData(input.lang, 'domain');
        return forEveryone(rt, input, await saveSetup(rt, input.lang, domain, input.data, input.actor.label));
      },
    },
    'show-plan': {
      access: 'read',
      async run(rt, input) {
        // From the `preview all` summary: that domain's own dry-run card, as a new message (Sync now updates it).
        const { lang } = input;
        const planId = str(input.data.planId);
        if (!planId) return badData(lang, 'planId');
        const plan = await rt.service.getPlan(planId);
        if (!plan)
          return {
            card: refusalCard(lang, { refused: true, code: 'plan-not-found', reason: lang.t('apply.planGone') }, null),
          };
        const audience = input.personal ? 'personal' : 'shared';
        const card = renderDryRunCard(lang, plan, {
          downloadUrl: rt.linkFor('plan', plan.id, audience),
          requestedByName: plan.createdBy,
          linkNote: rt.linkNote(lang, audience),
        });
        return { text: lang.t('previewAll.posted', { domain: plan.domain }), post: { card } };
      },
    },
    logs: {
      access: 'read',
      async run(rt, input) {
        const card = await logsCard(rt, input.lang, domainOf(input), input.personal);
        return { text: input.lang.t('logs.posted'), post: { card } };
      },
    },
  };
}
