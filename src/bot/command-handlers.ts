// Text commands: each parsed command calls one use case and answers with a card (authorization is checked before).
import type { TurnContext } from 'botbuilder';
import { domainOffsetMs, slotAt, slotTime } from '../schedule/index.js';
import type { DomainSettings, RunRecord } from '../sync/model.js';
import { isRefusal, type Refusal } from '../sync/service.js';
import { downloadImportFile, findImportFile } from './attachments.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { Command } from './command-parser.js';
import { connectCard } from './consent.js';
import { escapeCardText as esc } from './escape.js';
import { runningCard, startPreview } from './preview-flow.js';
import { failureCard, refusalCard } from './refusal-cards.js';
import {
  fmtTime,
  renderDomainsCard,
  renderImportReportCard,
  renderMessageCard,
  renderPrecheckCard,
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
  domain: string,
  conversationKey: string | null,
): Promise<{ title: string; value: string }[]> {
  const intervalMs = rt.config.syncIntervalSeconds * 1000;
  const offset = domainOffsetMs(domain, intervalMs);
  const next = slotTime(slotAt(rt.now().getTime(), intervalMs, offset) + 1, intervalMs, offset);
  const dest = await rt.stores.conversations.destinationFor(domain);
  const where =
    dest === null
      ? 'nowhere yet: type "notify here" in the channel that should get them'
      : dest === conversationKey
        ? 'this conversation'
        : 'the conversation chosen with "notify here"';
  return [
    { title: 'First run', value: fmtTime(new Date(next).toISOString()) },
    { title: 'Notifications', value: where },
  ];
}

function settingsFacts(s: DomainSettings): { title: string; value: string }[] {
  return [
    { title: 'Max allowed deletions', value: `${s.maxDeletionPercent}%` },
    { title: 'On delete', value: s.onDelete === 'disable' ? 'disable the account' : 'delete (restorable 30 days)' },
    { title: 'Hourly sync', value: s.periodic ? 'on' : 'off' },
    { title: 'Notifications', value: s.notify },
  ];
}

function settingsAnswer(
  result: DomainSettings | Refusal,
  title: (s: DomainSettings) => string,
  text = '',
): AdaptiveCardJson {
  if (isRefusal(result)) return refusalCard(result, null);
  return renderMessageCard({ title: title(result), color: 'Good', text, facts: settingsFacts(result) });
}

/** Sends a "running" card now and replaces it from a background task with what `work` returns. */
async function inBackground(
  rt: BotRuntime,
  context: TurnContext,
  placeholder: AdaptiveCardJson,
  what: string,
  work: () => Promise<AdaptiveCardJson>,
): Promise<void> {
  const sent = await context.sendActivity(card(placeholder));
  const ref = replyRefOf(context.activity);
  const id = sent?.id;
  rt.tasks.run(what, async () => {
    let result: AdaptiveCardJson;
    try {
      result = await work();
    } catch (err) {
      result = failureCard(rt.logger, what, err);
    }
    if (id) await rt.proactive.update(ref, id, result);
    else await rt.proactive.send(ref, result);
  });
}

export async function handleCommand(rt: BotRuntime, context: TurnContext, cmd: Command, actor: Actor): Promise<void> {
  const by = actor.label;
  const reply = (c: AdaptiveCardJson) => context.sendActivity(card(c));
  switch (cmd.kind) {
    case 'connect':
      await reply(await connectCard(rt, conversationRefOf(context.activity), actor, isPersonalChat(context.activity)));
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
      await reply(renderStatusCard({ connection, settings, lastRuns, destinations, now: rt.now() }));
      return;
    }
    case 'domains': {
      const views = await rt.service.listDomains();
      await reply(isRefusal(views) ? refusalCard(views, null) : renderDomainsCard(views, { now: rt.now() }));
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
          r,
          (s) => `${esc(s.domain)} is set up for sync`,
          `Next: precheck ${esc(cmd.domain)}, then preview ${esc(cmd.domain)}.`,
        ),
      );
      return;
    }
    case 'domain-set': {
      const r = await rt.service.setDomain(cmd.domain, { maxDeletionPercent: cmd.maxDeletions }, by);
      await reply(settingsAnswer(r, (s) => `${esc(s.domain)}: max allowed deletions is now ${s.maxDeletionPercent}%`));
      return;
    }
    case 'domain-on-delete': {
      const r = await rt.service.setDomain(cmd.domain, { onDelete: cmd.onDelete }, by);
      await reply(settingsAnswer(r, (s) => `${esc(s.domain)}: on delete, ${s.onDelete} the account`));
      return;
    }
    case 'domain-remove': {
      const r = await rt.service.removeDomain(cmd.domain, by);
      await reply(
        settingsAnswer(r, (s) => `${esc(s.domain)} is no longer synced`, 'Its users in Entra ID are left as they are.'),
      );
      return;
    }
    case 'precheck':
      await inBackground(
        rt,
        context,
        renderProgressCard({
          title: `Pre-check running… ${esc(cmd.domain)}`,
          progress: null,
          waitingText: 'Reading both sides.',
        }),
        'The pre-check',
        async () => {
          const r = await rt.service.precheck(cmd.domain);
          return isRefusal(r) ? refusalCard(r, null) : renderPrecheckCard(r);
        },
      );
      return;
    case 'preview': {
      const sent = await context.sendActivity(card(runningCard(cmd.domain)));
      if (!sent?.id) return;
      startPreview(rt, {
        domain: cmd.domain,
        actor,
        ref: replyRefOf(context.activity),
        activityId: sent.id,
        personal: isPersonalChat(context.activity),
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
            title: 'Import refused',
            color: 'Attention',
            text: esc(`Nothing was downloaded or changed: ${file.refused}.`, 600),
          }),
        );
        return;
      }
      if (!file) {
        await reply(
          renderMessageCard({
            title: 'Attach the Access Control export',
            text: 'In this personal chat, attach the user export (CSV, UTF-8 or Shift_JIS) to a message that says import. Add "partial" to import the good rows when some are rejected, "merge" to only add and update.',
          }),
        );
        return;
      }
      await inBackground(
        rt,
        context,
        renderProgressCard({
          title: `Importing ${esc(file.name, 80)}…`,
          progress: null,
          waitingText: 'Checking every row.',
        }),
        'The import',
        async () => {
          let bytes: Uint8Array;
          try {
            bytes = await downloadImportFile(file);
          } catch (err) {
            // The download's own sentences name only the file and the HTTP status: safe to show as they are.
            rt.logger.warn({ by, err: String(err) }, 'import download failed');
            return renderMessageCard({
              title: 'Import failed',
              color: 'Attention',
              text: esc(err instanceof Error ? err.message : 'the file could not be downloaded', 400),
            });
          }
          const report = await rt.service.importDirectory(bytes, { partial: cmd.partial, merge: cmd.merge });
          rt.logger.info(
            { applied: report.applied, rows: report.totalRows, errors: report.errors.length, by },
            'directory import',
          );
          return renderImportReportCard(report);
        },
      );
      return;
    }
    case 'schedule': {
      const r = await rt.service.setDomain(cmd.domain, { periodic: cmd.enabled }, by);
      if (isRefusal(r) || !cmd.enabled) {
        await reply(settingsAnswer(r, (s) => `Hourly sync of ${esc(s.domain)} is off`));
        return;
      }
      await reply(
        renderMessageCard({
          title: `Hourly sync of ${esc(r.domain)} is on`,
          color: 'Good',
          text: 'Nothing runs now. Each run previews, checks the max allowed deletions and applies.',
          facts: await scheduleFacts(rt, r.domain, conversationKeyOf(context.activity)),
        }),
      );
      return;
    }
    case 'pause': {
      const until = new Date(rt.now().getTime() + cmd.hours * 3600_000).toISOString();
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: until }, by);
      await reply(settingsAnswer(r, (s) => `Hourly sync of ${esc(s.domain)} is paused until ${fmtTime(until)}`));
      return;
    }
    case 'resume': {
      const r = await rt.service.setDomain(cmd.domain, { pausedUntil: null }, by);
      await reply(settingsAnswer(r, (s) => `Hourly sync of ${esc(s.domain)} is no longer paused`));
      return;
    }
    case 'notify-here': {
      const key = conversationKeyOf(context.activity);
      await rt.stores.conversations.put(key, conversationRefOf(context.activity));
      await rt.stores.conversations.setDestination(cmd.target, key);
      await reply(
        renderMessageCard({
          title: 'Notifications will be posted here',
          color: 'Good',
          text:
            cmd.target === '*'
              ? 'Run results of every domain without a destination of its own go to this conversation.'
              : `Run results of ${esc(cmd.target)} go to this conversation.`,
        }),
      );
      return;
    }
    case 'notify-mode': {
      const r = await rt.service.setDomain(cmd.domain, { notify: cmd.mode }, by);
      await reply(
        settingsAnswer(r, (s) => `${esc(s.domain)}: notifications ${s.notify}`, 'Failed runs are always reported.'),
      );
      return;
    }
    case 'logs': {
      const audience = isPersonalChat(context.activity) ? 'personal' : 'shared';
      const runs = await rt.service.listRuns({ ...(cmd.domain ? { domain: cmd.domain } : {}), limit: 24 });
      await reply(
        renderLogsCard(runs, {
          ...(cmd.domain ? { domain: cmd.domain } : {}),
          linkFor: (kind: 'run', id: string) => rt.linkFor(kind, id, audience),
          linkNote: rt.linkNote(audience),
          now: rt.now(),
        }) as AdaptiveCardJson,
      );
      return;
    }
  }
}
