// Text commands: each parsed command calls one use case and answers with a card (authorization is checked before).
import type { TurnContext } from 'botbuilder';
import { domainOffsetMs, slotAt, slotTime } from '../schedule/index.js';
import type { DomainSettings, RunRecord } from '../sync/model.js';
import { isRefusal, type Refusal } from '../sync/service-interface.js';
import { downloadImportFile, findImportFile, ImportDownloadError } from './attachments.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { Command } from './command-parser.js';
import { createCardUpdater } from './card-updater.js';
import { connectCard } from './consent.js';
import { escapeCardText as esc } from './escape.js';
import { ENGLISH, type Lang, langFor, localeOf } from './i18n.js';
import { runningCard, startPreview } from './preview-flow.js';
import { type FailedStep, failureCard, failureSentence, refusalCard } from './refusal-cards.js';
import {
  fmtTime,
  renderDomainsCard,
  renderImportReportCard,
  renderMessageCard,
  type PreviewAllEntry,
  renderPrecheckCard,
  renderPreviewAllCard,
  renderProgressCard,
  renderStatusCard,
} from './render-cards.js';
import { renderLogsCard } from './render-logs.js';
import type { BotRuntime } from './runtime.js';
import { type Actor, conversationKeyOf, conversationRefOf, isPersonalChat, replyRefOf } from './turn-info.js';
import { toActivity } from './proactive.js';

const card = (c: AdaptiveCardJson) => toActivity(c);

/** When the next periodic run of the domain will start, and where its notification goes. */
export async function scheduleFacts(
  rt: BotRuntime,
  lang: Lang,
  domain: string,
  conversationKey: string | null,
): Promise<{ title: string; value: string }[]> {
  const intervalMs = rt.config.syncIntervalSeconds * 1000;
  const offset = domainOffsetMs(domain, intervalMs);
  const next = slotTime(slotAt(rt.now().getTime(), intervalMs, offset) + 1, intervalMs, offset);
  const dest = await rt.stores.conversations.destinationFor(domain);
  const where = lang.t(
    dest === null ? 'schedule.whereNowhere' : dest === conversationKey ? 'schedule.whereHere' : 'schedule.whereChosen',
  );
  return [
    { title: lang.t('schedule.firstRun'), value: fmtTime(new Date(next).toISOString()) },
    { title: lang.t('settings.notifications'), value: where },
  ];
}

/** A domain's usage location for new users: its country code, or the organization's default. */
export function usageLocationText(lang: Lang, s: Pick<DomainSettings, 'usageLocation'>): string {
  return s.usageLocation ? esc(s.usageLocation, 8) : lang.t('settings.usageLocationDefault');
}

export function settingsFacts(lang: Lang, s: DomainSettings): { title: string; value: string }[] {
  return [
    { title: lang.t('settings.maxDeletions'), value: `${s.maxDeletionPercent}%` },
    { title: lang.t('settings.onDelete'), value: lang.t(`settings.onDeleteValue.${s.onDelete}`) },
    { title: lang.t('settings.hourly'), value: lang.t(s.periodic ? 'common.on' : 'common.off') },
    { title: lang.t('settings.notifications'), value: lang.t(`notifyMode.${s.notify}`) },
    { title: lang.t('settings.usageLocation'), value: usageLocationText(lang, s) },
  ];
}

function settingsAnswer(
  lang: Lang,
  result: DomainSettings | Refusal,
  title: (s: DomainSettings) => string,
  text = '',
): AdaptiveCardJson {
  if (isRefusal(result)) return refusalCard(lang, result, null);
  return renderMessageCard({ title: title(result), color: 'Good', text, facts: settingsFacts(lang, result) });
}

/** Sends a "running" card now and replaces it from a background task with what `work` returns. */
async function inBackground(
  rt: BotRuntime,
  lang: Lang,
  context: TurnContext,
  placeholder: AdaptiveCardJson,
  what: FailedStep,
  work: () => Promise<AdaptiveCardJson>,
): Promise<void> {
  const sent = await context.sendActivity(card(placeholder));
  const ref = replyRefOf(context.activity);
  const id = sent?.id;
  rt.tasks.run(ENGLISH.t(what.key, what.values), async () => {
    let result: AdaptiveCardJson;
    try {
      result = await work();
    } catch (err) {
      result = failureCard(rt.logger, lang, what, err);
    }
    if (id) await rt.proactive.update(ref, id, result);
    else await rt.proactive.send(ref, result);
  });
}

export async function handleCommand(rt: BotRuntime, context: TurnContext, cmd: Command, actor: Actor): Promise<void> {
  const by = actor.label;
  const lang = langFor(localeOf(context.activity.locale));
  const reply = (c: AdaptiveCardJson) => context.sendActivity(card(c));
  switch (cmd.kind) {
    case 'connect':
      await reply(
        await connectCard(rt, lang, conversationRefOf(context.activity), actor, isPersonalChat(context.activity)),
      );
      return;
    case 'status': {
      const [connection, settings] = await Promise.all([rt.connection.status(), rt.stores.settings.list()]);
      const lastRuns = new Map<string, RunRecord | null>();
      const destinations = new Map<string, boolean>();
      for (const s of settings.filter((x) => x.synced)) {
        const [last] = await rt.service.listRuns({ domain: s.domain, limit: 1 });
        lastRuns.set(s.domain, last ?? null);
        destinations.set(s.domain, (await rt.stores.conversations.destinationFor(s.domain)) !== null);
      }
      await reply(renderStatusCard(lang, { connection, settings, lastRuns, destinations, now: rt.now() }));
      return;
    }
    case 'domains': {
      const views = await rt.service.listDomains();
      await reply(
        isRefusal(views) ? refusalCard(lang, views, null) : renderDomainsCard(lang, views, { now: rt.now() }),
      );
      return;
    }
    case 'domain-add': {
      const r = await rt.service.addDomain(
        cmd.domain,
        cmd.maxDeletions !== null ? { maxDeletionPercent: cmd.maxDeletions } : {},
        by,
      );
      await reply(
        settingsAnswer(
          lang,
          r,
          (s) => lang.t('settings.setUp', { domain: esc(s.domain) }),
          lang.t('settings.nextSteps', { domain: esc(cmd.domain) }),
        ),
      );
      return;
    }
    case 'domain-set': {
      const r = await rt.service.setDomain(cmd.domain, { maxDeletionPercent: cmd.maxDeletions }, by);
      await reply(
        settingsAnswer(lang, r, (s) =>
          lang.t('settings.maxDeletionsNow', { domain: esc(s.domain), pct: s.maxDeletionPercent }),
        ),
      );
      return;
    }
    case 'domain-on-delete': {
      const r = await rt.service.setDomain(cmd.domain, { onDelete: cmd.onDelete }, by);
      await reply(
        settingsAnswer(lang, r, (s) =>
          lang.t('settings.onDeleteNow', {
            domain: esc(s.domain),
            mode: lang.t(`settings.onDeleteValue.${s.onDelete}`),
          }),
        ),
      );
      return;
    }
    case 'domain-remove': {
      const r = await rt.service.removeDomain(cmd.domain, by);
      await reply(
        settingsAnswer(
          lang,
          r,
          (s) => lang.t('settings.removed', { domain: esc(s.domain) }),
          lang.t('settings.removedText'),
        ),
      );
      return;
    }
    case 'precheck':
      await inBackground(
        rt,
        lang,
        context,
        renderProgressCard(lang, {
          title: lang.t('precheck.running', { domain: esc(cmd.domain) }),
          progress: null,
          waitingText: lang.t('precheck.waiting'),
        }),
        { key: 'what.precheck' },
        async () => {
          const r = await rt.service.precheck(cmd.domain);
          return isRefusal(r) ? refusalCard(lang, r, null) : renderPrecheckCard(lang, r);
        },
      );
      return;
    case 'preview': {
      const sent = await context.sendActivity(card(runningCard(lang, cmd.domain)));
      if (!sent?.id) return;
      startPreview(rt, {
        lang,
        domain: cmd.domain,
        actor,
        ref: replyRefOf(context.activity),
        activityId: sent.id,
        personal: isPersonalChat(context.activity),
      });
      return;
    }
    case 'preview-all': {
      const title = lang.t('previewAll.running');
      const sent = await context.sendActivity(
        card(renderProgressCard(lang, { title, progress: null, waitingText: lang.t('previewAll.waiting') })),
      );
      if (!sent?.id) return;
      const updater = createCardUpdater({
        proactive: rt.proactive,
        ref: replyRefOf(context.activity),
        activityId: sent.id,
        logger: rt.logger,
        intervalMs: rt.updateIntervalMs,
      });
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      rt.tasks.run('preview-all', async () => {
        const domains = (await rt.stores.settings.list()).filter((s) => s.synced).map((s) => s.domain);
        const entries: PreviewAllEntry[] = [];
        for (const [i, domain] of domains.entries()) {
          updater.push(
            renderProgressCard(lang, {
              title,
              progress: null,
              waitingText: lang.t('previewAll.progress', { n: i + 1, total: domains.length, domain: esc(domain) }),
            }),
          );
          try {
            const plan = await rt.service.preview(domain, { requestedBy: by });
            entries.push(
              isRefusal(plan)
                ? { domain, refusal: lang.core(plan.message, plan.reason) }
                : { domain, plan, downloadUrl: rt.linkFor('plan', plan.id, audience) },
            );
          } catch (err) {
            entries.push({
              domain,
              refusal: failureSentence(rt.logger, lang, { key: 'what.dryRun' }, err, { domain, via: 'preview all' }),
            });
          }
        }
        await updater.final(
          renderPreviewAllCard(lang, entries, { now: rt.now(), linkNote: rt.linkNote(lang, audience) }),
        );
      });
      return;
    }
    case 'import': {
      const file = findImportFile(context.activity.attachments, {
        serviceUrl: context.activity.serviceUrl,
        localMode: rt.config.bot.localMode,
      });
      if (file && 'refused' in file) {
        rt.logger.warn({ by }, 'import refused: the attachment is not served by Teams');
        await reply(
          renderMessageCard({
            title: lang.t('import.refused'),
            color: 'Attention',
            text: lang.t('import.refusedText', { sources: lang.t('import.acceptedSources') }),
          }),
        );
        return;
      }
      if (!file) {
        await reply(renderMessageCard({ title: lang.t('import.attachTitle'), text: lang.t('import.attachText') }));
        return;
      }
      await inBackground(
        rt,
        lang,
        context,
        renderProgressCard(lang, {
          title: lang.t('import.running', { file: esc(file.name, 80) }),
          progress: null,
          waitingText: lang.t('import.waiting'),
        }),
        { key: 'what.import' },
        async () => {
          let bytes: Uint8Array;
          try {
            bytes = await downloadImportFile(file);
          } catch (err) {
            // Only a download failure a person can act on is told here (it names the file and the HTTP status only).
            if (!(err instanceof ImportDownloadError)) throw err;
            rt.logger.warn({ by, err: String(err) }, 'import download failed');
            const values = Object.fromEntries(
              Object.entries(err.values).map(([k, v]) => [k, typeof v === 'string' ? esc(v, 120) : v]),
            );
            return renderMessageCard({
              title: lang.t('import.failed'),
              color: 'Attention',
              text: lang.t(`import.download.${err.code}`, { ...values, sources: lang.t('import.acceptedSources') }),
            });
          }
          const report = await rt.service.importDirectory(bytes, { partial: cmd.partial, merge: cmd.merge });
          rt.logger.info(
            { applied: report.applied, rows: report.totalRows, errors: report.errors.length, by },
            'directory import',
          );
          return renderImportReportCard(lang, report);
        },
      );
      return;
    }
    case 'schedule': {
      const r = await rt.service.setDomain(cmd.domain, { periodic: cmd.enabled }, by);
      if (isRefusal(r) || !cmd.enabled) {
        await reply(settingsAnswer(lang, r, (s) => lang.t('schedule.off', { domain: esc(s.domain) })));
        return;
      }
      await reply(
        renderMessageCard({
          title: lang.t('schedule.on', { domain: esc(r.domain) }),
          color: 'Good',
          text: lang.t('schedule.onText'),
          facts: await scheduleFacts(rt, lang, r.domain, conversationKeyOf(context.activity)),
          actions: [{ title: lang.t('buttons.syncLog'), verb: 'logs', data: { domain: r.domain } }],
        }),
      );
      return;
    }
    case 'pause': {
      const until = new Date(rt.now().getTime() + cmd.hours * 3600_000).toISOString();
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: until }, by);
      await reply(
        settingsAnswer(lang, r, (s) => lang.t('schedule.paused', { domain: esc(s.domain), time: fmtTime(until) })),
      );
      return;
    }
    case 'resume': {
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: null }, by);
      await reply(settingsAnswer(lang, r, (s) => lang.t('schedule.resumed', { domain: esc(s.domain) })));
      return;
    }
    case 'notify-here': {
      const key = conversationKeyOf(context.activity);
      await rt.stores.conversations.put(key, conversationRefOf(context.activity));
      await rt.stores.conversations.setDestination(cmd.target, key);
      await reply(
        renderMessageCard({
          title: lang.t('notify.hereTitle'),
          color: 'Good',
          text:
            cmd.target === '*' ? lang.t('notify.hereAll') : lang.t('notify.hereDomain', { domain: esc(cmd.target) }),
        }),
      );
      return;
    }
    case 'notify-mode': {
      const r = await rt.service.setDomain(cmd.domain, { notify: cmd.mode }, by);
      await reply(
        settingsAnswer(
          lang,
          r,
          (s) => lang.t('notify.modeNow', { domain: esc(s.domain), mode: lang.t(`notifyMode.${s.notify}`) }),
          lang.t('notify.failuresAlways'),
        ),
      );
      return;
    }
    case 'logs': {
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      const runs = await rt.service.listRuns({ ...(cmd.domain ? { domain: cmd.domain } : {}), limit: 24 });
      await reply(
        renderLogsCard(lang, runs, {
          ...(cmd.domain ? { domain: cmd.domain } : {}),
          linkFor: (kind: 'run', id: string) => rt.linkFor(kind, id, audience),
          linkNote: rt.linkNote(lang, audience),
          now: rt.now(),
        }) as AdaptiveCardJson,
      );
      return;
    }
  }
}
