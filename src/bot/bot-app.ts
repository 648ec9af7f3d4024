// The teams-ai Application: tenant gate, authorization on every command and card action, routing to handlers.
import { randomUUID } from 'node:crypto';
import { Application, type TeamsAdapter, type TurnState } from '@microsoft/teams-ai';
import { ActivityTypes, type TurnContext } from 'botbuilder';
import { scrubSecrets } from '../logger.js';
import { createApplyFlow } from './apply-flow.js';
import { CARD_VERBS, handleCardAction } from './card-actions.js';
import { handleCommand } from './command-handlers.js';
import { parse } from './command-parser.js';
import { escapeCardText } from './escape.js';
import { langFor, localeOf } from './i18n.js';
import { onFileConsentAccepted } from './file-consent.js';
import { toActivity } from './proactive.js';
import { failureCard } from './refusal-cards.js';
import { renderHelpCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';
import { checkTenant } from './tenant-filter.js';
import { actorOf } from './turn-info.js';

export function createBotApplication(rt: BotRuntime, adapter: TeamsAdapter): Application<TurnState> {
  const app = new Application<TurnState>({
    adapter,
    botAppId: rt.botAppId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const applyFlow = createApplyFlow(rt);

  // Second line of the tenant gate (the HTTP server already refused other tenants before the adapter ran).
  app.turn('beforeTurn', async (context) => {
    const verdict = checkTenant(context.activity, rt.config.allowedTenantIds);
    if (!verdict.allowed)
      rt.logger.warn({ reason: verdict.reason }, 'activity from a tenant that is not allowed dropped');
    return verdict.allowed;
  });

  /** Commands and buttons that change something: the Global Administrator role is checked live before them. */
  const READ_ONLY = new Set([
    'help',
    'status',
    'domains',
    'logs',
    'preview',
    'preview-all',
    'precheck',
    'connect',
    'card:preview',
    'card:logs',
    'card:setup-form',
    'card:show-plan',
  ]);
  const authorize = async (context: TurnContext, what: string) => {
    const actor = actorOf(context.activity);
    const answer = await rt.authorizer.check(actor.aadObjectId, { live: !READ_ONLY.has(what) });
    if (!answer.allowed) rt.logger.info({ what, user: actor.aadObjectId }, 'not authorized');
    return { actor, answer };
  };

  for (const verb of CARD_VERBS) {
    app.adaptiveCards.actionExecute<Record<string, unknown>>(verb, async (context, _state, data) => {
      const lang = langFor(localeOf(context.activity.locale));
      // A `command` button is checked as the typed command it stands for (a write asks Graph live).
      const what =
        verb === 'command' ? parse(typeof data?.command === 'string' ? data.command : '').kind : `card:${verb}`;
      const { actor, answer } = await authorize(context, what);
      if (!answer.allowed) {
        rt.observe({ type: 'card-action', action: verb, outcome: 'unauthorized' });
        return lang.t('auth.notDone', { reason: lang.t(`auth.reason.${answer.code}`) });
      }
      try {
        const reply = await handleCardAction(rt, applyFlow, context, verb, data ?? {}, actor);
        rt.observe({ type: 'card-action', action: verb, outcome: 'ok' });
        return reply;
      } catch (err) {
        rt.observe({ type: 'card-action', action: verb, outcome: 'error' });
        return failureCard(rt.logger, lang, { key: 'what.action' }, err, { verb });
      }
    });
  }

  app.message(
    async (context) => context.activity.type === ActivityTypes.Message,
    async (context) => {
      const lang = langFor(localeOf(context.activity.locale));
      const parsed = parse(context.activity.text ?? '');
      if (parsed.kind === 'help') {
        rt.observe({ type: 'bot-command', command: 'help', outcome: 'ok' });
        await context.sendActivity(toActivity(renderHelpCard(lang)));
        return;
      }
      if (parsed.kind === 'unknown') {
        rt.observe({ type: 'bot-command', command: 'unknown', outcome: 'unknown' });
        const reason = escapeCardText(parsed.reason, 300);
        const notice = parsed.suggestion
          ? lang.t('help.didYouMean', { reason, suggestion: escapeCardText(parsed.suggestion, 120) })
          : reason;
        await context.sendActivity(toActivity(renderHelpCard(lang, { notice })));
        return;
      }
      const { actor, answer } = await authorize(context, parsed.kind);
      if (!answer.allowed) {
        rt.observe({ type: 'bot-command', command: parsed.kind, outcome: 'unauthorized' });
        await context.sendActivity(
          toActivity(renderHelpCard(lang, { notice: escapeCardText(lang.t(`auth.reason.${answer.code}`), 400) })),
        );
        return;
      }
      try {
        await handleCommand(rt, context, parsed, actor);
        rt.observe({ type: 'bot-command', command: parsed.kind, outcome: 'ok' });
      } catch (err) {
        rt.observe({ type: 'bot-command', command: parsed.kind, outcome: 'error' });
        await context.sendActivity(
          toActivity(
            failureCard(rt.logger, lang, { key: 'what.command', values: { command: parsed.kind } }, err, {
              command: parsed.kind,
            }),
          ),
        );
      }
    },
  );

  app.fileConsentAccept(async (context, _state, response) => {
    const { answer } = await authorize(context, 'file-consent');
    if (!answer.allowed) {
      const lang = langFor(localeOf(context.activity.locale));
      await context.sendActivity(lang.t('auth.notDone', { reason: lang.t(`auth.reason.${answer.code}`) }));
      return;
    }
    await onFileConsentAccepted(rt, context, response);
  });
  app.fileConsentDecline(async (context) => {
    await context.sendActivity(langFor(localeOf(context.activity.locale)).t('file.declined'));
  });

  app.error(async (context, err) => {
    const correlationId = randomUUID();
    rt.logger.error({ correlationId, err: scrubSecrets(err?.message ?? String(err)) }, 'unhandled bot error');
    try {
      if (context.activity.type === ActivityTypes.Message)
        await context.sendActivity(
          langFor(localeOf(context.activity.locale)).t('error.unhandled', { reference: correlationId }),
        );
    } catch {
      // the conversation may be gone; the error is logged
    }
  });
  return app;
}
