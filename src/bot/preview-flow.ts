// The dry run from Teams: answer at once with "Dry run running…", then replace it with the dry-run card.
import type { ConversationReference } from 'botbuilder';
import { isRefusal } from '../sync/service-interface.js';
import type { AdaptiveCardJson } from './card-template.js';
import { createCardUpdater } from './card-updater.js';
import { offerPlanFile } from './file-consent.js';
import { failureCard, refusalCard } from './refusal-cards.js';
import { renderDryRunCard, renderProgressCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';
import { escapeCardText } from './escape.js';
import type { Lang } from './i18n.js';

export function runningCard(lang: Lang, domain: string): AdaptiveCardJson {
  return renderProgressCard(lang, {
    title: lang.t('dryRun.running', { domain: escapeCardText(domain) }),
    progress: null,
    waitingText: lang.t('dryRun.waiting'),
  });
}

/**
 * Runs the preview in the background and replaces message `activityId` with progress, then the dry-run card
 * (or the refusal). In personal chat, where the client supports it, the CSV is also offered as a file.
 */
export function startPreview(
  rt: BotRuntime,
  input: {
    lang: Lang;
    domain: string;
    actor: Actor;
    ref: Partial<ConversationReference>;
    activityId: string;
    personal: boolean;
  },
): void {
  const updater = createCardUpdater({
    proactive: rt.proactive,
    ref: input.ref,
    activityId: input.activityId,
    logger: rt.logger,
    intervalMs: rt.updateIntervalMs,
  });
  const lang = input.lang;
  const title = lang.t('dryRun.running', { domain: escapeCardText(input.domain) });
  rt.tasks.run('preview', async () => {
    let card: AdaptiveCardJson;
    let planForFile: { id: string; domain: string } | null = null;
    try {
      const plan = await rt.service.preview(input.domain, {
        requestedBy: input.actor.label,
        onProgress: (p) => updater.push(renderProgressCard(lang, { title, progress: p })),
      });
      if (isRefusal(plan)) {
        card = refusalCard(lang, plan, null);
      } else {
        const audience = input.personal ? 'personal' : 'shared';
        card = renderDryRunCard(lang, plan, {
          downloadUrl: rt.linkFor('plan', plan.id, audience),
          requestedByName: input.actor.label,
          linkNote: rt.linkNote(lang, audience),
        });
        planForFile = plan;
        rt.logger.info({ planId: plan.id, domain: plan.domain, counts: plan.counts }, 'dry run ready');
      }
    } catch (err) {
      card = failureCard(rt.logger, lang, { key: 'what.dryRun' }, err, { domain: input.domain });
    }
    await updater.final(card);
    if (planForFile && input.personal && rt.fileConsent) await offerPlanFile(rt, lang, input.ref, planForFile.id);
  });
}
