// The dry run from Teams: answer at once with "Dry run running…", then replace it with the dry-run card (one domain or all).
import type { Plan } from '../sync/model.js';
import { fromPortableError, isRefusal } from '../sync/service-interface.js';
import type { AdaptiveCardJson } from './card-template.js';
import { createCardUpdater } from './card-updater.js';
import type { ConversationAddress } from './messenger.js';
import { offerPlanFile } from './file-consent.js';
import { failureCard, failureSentence, refusalCard } from './refusal-cards.js';
import { type PreviewAllEntry, renderDryRunCard, renderPreviewAllCard } from './render-plan-cards.js';
import { renderProgressCard } from './render-run-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';
import { escapeCardText } from './escape.js';
import type { Lang } from './i18n.js';

/** In-place updates of the message that says the dry run is running. */
const updaterOf = (rt: BotRuntime, message: { address: ConversationAddress; activityId: string }) =>
  createCardUpdater({
    messenger: rt.messenger,
    address: message.address,
    activityId: message.activityId,
    logger: rt.logger,
    intervalMs: rt.updateIntervalMs,
  });

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
    address: ConversationAddress;
    activityId: string;
    personal: boolean;
  },
): void {
  const updater = updaterOf(rt, input);
  const lang = input.lang;
  const title = lang.t('dryRun.running', { domain: escapeCardText(input.domain) });
  rt.tasks.run('preview', async () => {
    let card: AdaptiveCardJson;
    let planForFile: Plan | null = null;
    const offersFile = input.personal && rt.fileConsent;
    try {
      const plan = await rt.service.preview(input.domain, {
        requestedBy: input.actor.label,
        countCsvBytes: offersFile,
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
    if (planForFile && offersFile) await offerPlanFile(rt, lang, input.address, planForFile);
  });
}

/** `preview all`: the dry run of every domain set up for sync, one after the other, summarised on message `activityId`. */
export function startPreviewAll(
  rt: BotRuntime,
  input: { lang: Lang; actor: Actor; address: ConversationAddress; activityId: string; personal: boolean },
): void {
  const { lang } = input;
  const title = lang.t('previewAll.running');
  const updater = updaterOf(rt, input);
  const audience = input.personal ? 'personal' : 'shared';
  rt.tasks.run('preview-all', async () => {
    const settings = (await rt.stores.settings.list()).filter((s) => s.synced);
    const progressCard = (i: number, domain: string) =>
      renderProgressCard(lang, {
        title,
        progress: null,
        waitingText: lang.t('previewAll.progress', { n: i + 1, total: settings.length, domain: escapeCardText(domain) }),
      });
    const failed = (domain: string, err: unknown): PreviewAllEntry => ({
      domain,
      refusal: failureSentence(rt.logger, lang, { key: 'what.dryRun' }, err, { domain, via: 'preview all' }),
    });
    // One use case for every domain: the settings listed here and the tenant's domain list are read once for all.
    let entries: PreviewAllEntry[];
    try {
      const previews = await rt.service.previewAll(settings, {
        requestedBy: input.actor.label,
        onDomain: (i, domain) => updater.push(progressCard(i, domain)),
      });
      entries = previews.map(({ domain, ...answer }): PreviewAllEntry => {
        if ('error' in answer) return failed(domain, fromPortableError(answer.error));
        const plan = answer.result;
        return isRefusal(plan)
          ? { domain, refusal: lang.core(plan.message, plan.reason) }
          : { domain, plan, downloadUrl: rt.linkFor('plan', plan.id, audience) };
      });
    } catch (err) {
      // The whole call failed before any domain (the bot is stopping): every domain says so. A sync worker that dies
      // during the call does not end here: the domains it finished keep their result, the one it was previewing
      // says it stopped, and the others are previewed by the new worker (src/worker/sync-worker-client.ts).
      entries = settings.map((s) => failed(s.domain, err));
    }
    await updater.final(renderPreviewAllCard(lang, entries, { now: rt.now(), linkNote: rt.linkNote(lang, audience) }));
  });
}
