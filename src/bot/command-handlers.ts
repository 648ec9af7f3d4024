// Text commands: one route per parsed command, each calling one use case and answering with a card.
import type { DomainSettings, RunRecord } from '../sync/model.js';
import { isRefusal, type Refusal } from '../sync/service-interface.js';
import { downloadImportFile, findImportFile, ImportDownloadError } from './attachments.js';
import type { AdaptiveCardJson } from './card-template.js';
import { connectCard } from './consent.js';
import { escapeCardText as esc } from './escape.js';
import { type CommandInput, type CommandRoutes, cardReply, hereAddress, inBackground, type Reply } from './handlers.js';
import type { Lang } from './i18n.js';
import { runningCard, startPreview, startPreviewAll } from './preview-flow.js';
import { refusalCard } from './refusal-cards.js';
import { fmtTime } from './card-format.js';
import { renderDomainsCard, renderMessageCard, renderStatusCard } from './render-cards.js';
import { renderPrecheckCard } from './render-plan-cards.js';
import { renderImportReportCard, renderProgressCard } from './render-run-cards.js';
import { renderLogsCard } from './render-logs.js';
import type { BotRuntime } from './runtime.js';
import { scheduleFacts, settingsFacts } from './settings-facts.js';

function settingsAnswer(
  lang: Lang,
  result: DomainSettings | Refusal,
  title: (s: DomainSettings) => string,
  text = '',
): Reply {
  if (isRefusal(result)) return cardReply(refusalCard(lang, result, null));
  return cardReply(
    renderMessageCard({ title: title(result), color: 'Good', text, facts: settingsFacts(lang, result) }),
  );
}

/** The sync log card of one domain or all, with CSV links for the audience of this conversation. */
export async function logsCard(rt: BotRuntime, lang: Lang, domain: string | null, personal: boolean) {
  const audience = personal ? 'personal' : 'shared';
  const runs = await rt.service.listRuns({ ...(domain ? { domain } : {}), limit: 24 });
  return renderLogsCard(lang, runs, {
    ...(domain ? { domain } : {}),
    linkFor: (kind: 'run', id: string) => rt.linkFor(kind, id, audience),
    linkNote: rt.linkNote(lang, audience),
    now: rt.now(),
  }) as AdaptiveCardJson;
}

async function importFile(rt: BotRuntime, input: CommandInput<Extract<CommandInput['command'], { kind: 'import' }>>) {
  const { lang, command: cmd } = input;
  const by = input.actor.label;
  const file = findImportFile(input.attachments, {
    serviceUrl: input.address.serviceUrl || undefined,
    localMode: rt.config.bot.localMode,
  });
  if (file && 'refused' in file) {
    rt.logger.warn({ by }, 'import refused: the attachment is not served by Teams');
    return cardReply(
      renderMessageCard({
        title: lang.t('import.refused'),
        color: 'Attention',
        text: lang.t('import.refusedText', { sources: lang.t('import.acceptedSources') }),
      }),
    );
  }
  if (!file)
    return cardReply(renderMessageCard({ title: lang.t('import.attachTitle'), text: lang.t('import.attachText') }));
  const placeholder = renderProgressCard(lang, {
    title: lang.t('import.running', { file: esc(file.name, 80) }),
    progress: null,
    waitingText: lang.t('import.waiting'),
  });
  return inBackground(rt, input, placeholder, { key: 'what.import' }, async () => {
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
  });
}

/** Every text command, by its parsed kind. Reading commands need an admin; writing ones a live role check first. */
export const COMMAND_ROUTES: CommandRoutes = {
  connect: {
    access: 'read',
    run: async (rt, i) => cardReply(await connectCard(rt, i.lang, hereAddress(i), i.actor, i.personal)),
  },
  status: {
    access: 'read',
    async run(rt, { lang }) {
      const [connection, settings] = await Promise.all([rt.connection.status(), rt.stores.settings.list()]);
      const lastRuns = new Map<string, RunRecord | null>();
      const destinations = new Map<string, boolean>();
      for (const s of settings.filter((x) => x.synced)) {
        const [last] = await rt.service.listRuns({ domain: s.domain, limit: 1 });
        lastRuns.set(s.domain, last ?? null);
        destinations.set(s.domain, (await rt.stores.conversations.destinationFor(s.domain)) !== null);
      }
      return cardReply(renderStatusCard(lang, { connection, settings, lastRuns, destinations, now: rt.now() }));
    },
  },
  domains: {
    access: 'read',
    async run(rt, { lang }) {
      const views = await rt.service.listDomains();
      return cardReply(
        isRefusal(views) ? refusalCard(lang, views, null) : renderDomainsCard(lang, views, { now: rt.now() }),
      );
    },
  },
  'domain-add': {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const patch = cmd.maxDeletions !== null ? { maxDeletionPercent: cmd.maxDeletions } : {};
      const r = await rt.service.addDomain(cmd.domain, patch, actor.label);
      return settingsAnswer(
        lang,
        r,
        (s) => lang.t('settings.setUp', { domain: esc(s.domain) }),
        lang.t('settings.nextSteps', { domain: esc(cmd.domain) }),
      );
    },
  },
  'domain-set': {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const r = await rt.service.setDomain(cmd.domain, { maxDeletionPercent: cmd.maxDeletions }, actor.label);
      return settingsAnswer(lang, r, (s) =>
        lang.t('settings.maxDeletionsNow', { domain: esc(s.domain), pct: s.maxDeletionPercent }),
      );
    },
  },
  'domain-on-delete': {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const r = await rt.service.setDomain(cmd.domain, { onDelete: cmd.onDelete }, actor.label);
      return settingsAnswer(lang, r, (s) =>
        lang.t('settings.onDeleteNow', { domain: esc(s.domain), mode: lang.t(`settings.onDeleteValue.${s.onDelete}`) }),
      );
    },
  },
  'domain-remove': {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const r = await rt.service.removeDomain(cmd.domain, actor.label);
      return settingsAnswer(
        lang,
        r,
        (s) => lang.t('settings.removed', { domain: esc(s.domain) }),
        lang.t('settings.removedText'),
      );
    },
  },
  precheck: {
    access: 'read',
    async run(rt, input) {
      const { lang, command: cmd } = input;
      const placeholder = renderProgressCard(lang, {
        title: lang.t('precheck.running', { domain: esc(cmd.domain) }),
        progress: null,
        waitingText: lang.t('precheck.waiting'),
      });
      return inBackground(rt, input, placeholder, { key: 'what.precheck' }, async () => {
        const r = await rt.service.precheck(cmd.domain);
        return isRefusal(r) ? refusalCard(lang, r, null) : renderPrecheckCard(lang, r);
      });
    },
  },
  preview: {
    access: 'read',
    async run(rt, { lang, command: cmd, actor, address, personal }) {
      return {
        card: runningCard(lang, cmd.domain),
        followUp: (activityId) => {
          if (activityId) startPreview(rt, { lang, domain: cmd.domain, actor, address, activityId, personal });
        },
      };
    },
  },
  'preview-all': {
    access: 'read',
    async run(rt, { lang, actor, address, personal }) {
      const title = lang.t('previewAll.running');
      return {
        card: renderProgressCard(lang, { title, progress: null, waitingText: lang.t('previewAll.waiting') }),
        followUp: (activityId) => {
          if (activityId) startPreviewAll(rt, { lang, actor, address, activityId, personal });
        },
      };
    },
  },
  import: { access: 'write', run: importFile },
  schedule: {
    access: 'write',
    async run(rt, { lang, command: cmd, actor, conversationKey }) {
      const r = await rt.service.setDomain(cmd.domain, { periodic: cmd.enabled }, actor.label);
      if (isRefusal(r) || !cmd.enabled)
        return settingsAnswer(lang, r, (s) => lang.t('schedule.off', { domain: esc(s.domain) }));
      return cardReply(
        renderMessageCard({
          title: lang.t('schedule.on', { domain: esc(r.domain) }),
          color: 'Good',
          text: lang.t('schedule.onText'),
          facts: await scheduleFacts(rt, lang, r.domain, conversationKey),
          actions: [{ title: lang.t('buttons.syncLog'), verb: 'logs', data: { domain: r.domain } }],
        }),
      );
    },
  },
  pause: {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const until = new Date(rt.now().getTime() + cmd.hours * 3600_000).toISOString();
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: until }, actor.label);
      return settingsAnswer(lang, r, (s) => lang.t('schedule.paused', { domain: esc(s.domain), time: fmtTime(until) }));
    },
  },
  resume: {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: null }, actor.label);
      return settingsAnswer(lang, r, (s) => lang.t('schedule.resumed', { domain: esc(s.domain) }));
    },
  },
  'notify-here': {
    access: 'write',
    async run(rt, input) {
      const { lang, command: cmd, conversationKey } = input;
      await rt.stores.conversations.put(conversationKey, hereAddress(input));
      await rt.stores.conversations.setDestination(cmd.target, conversationKey);
      return cardReply(
        renderMessageCard({
          title: lang.t('notify.hereTitle'),
          color: 'Good',
          text:
            cmd.target === '*' ? lang.t('notify.hereAll') : lang.t('notify.hereDomain', { domain: esc(cmd.target) }),
        }),
      );
    },
  },
  'notify-mode': {
    access: 'write',
    async run(rt, { lang, command: cmd, actor }) {
      const r = await rt.service.setDomain(cmd.domain, { notify: cmd.mode }, actor.label);
      return settingsAnswer(
        lang,
        r,
        (s) => lang.t('notify.modeNow', { domain: esc(s.domain), mode: lang.t(`notifyMode.${s.notify}`) }),
        lang.t('notify.failuresAlways'),
      );
    },
  },
  logs: {
    access: 'read',
    run: async (rt, { lang, command: cmd, personal }) => cardReply(await logsCard(rt, lang, cmd.domain, personal)),
  },
};
