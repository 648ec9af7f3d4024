// The teams-ai Application: tenant gate, authorization on every command and card action, routing to handlers.
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
import { errorCard } from './refusal-cards.js';
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

  const authorize = async (context: TurnContext, what: string) => {
    const actor = actorOf(context.activity);
    const answer = await rt.authorizer.check(actor.aadObjectId);
    if (!answer.allowed) rt.logger.info({ what, user: actor.aadObjectId }, 'not authorized');
    return { actor, answer };
  };

  for (const verb of CARD_VERBS) {
    app.adaptiveCards.actionExecute<Record<string, unknown>>(verb, async (context, _state, data) => {
      const lang = langFor(localeOf(context.activity.locale));
      const { actor, answer } = await authorize(context, `card:${verb}`);
      if (!answer.allowed) return lang.t('auth.notDone', { reason: lang.t(`auth.reason.${answer.code}`) });
      try {
        return await handleCardAction(rt, applyFlow, context, verb, data ?? {}, actor);
      } catch (err) {
        rt.logger.error({ verb, err: scrubSecrets(String(err)) }, 'card action failed');
        return errorCard(lang, lang.t('what.action'), err);
      }
    });
  }

  app.message(
    async (context) => context.activity.type === ActivityTypes.Message,
    async (context) => {
      const lang = langFor(localeOf(context.activity.locale));
      const parsed = parse(context.activity.text ?? '');
      if (parsed.kind === 'help') {
        await context.sendActivity(toActivity(renderHelpCard(lang)));
        return;
      }
      if (parsed.kind === 'unknown') {
        const reason = escapeCardText(parsed.reason, 300);
        const notice = parsed.suggestion
          ? lang.t('help.didYouMean', { reason, suggestion: escapeCardText(parsed.suggestion, 120) })
          : reason;
        await context.sendActivity(toActivity(renderHelpCard(lang, { notice })));
        return;
      }
      const { actor, answer } = await authorize(context, parsed.kind);
      if (!answer.allowed) {
        await context.sendActivity(
          toActivity(renderHelpCard(lang, { notice: escapeCardText(lang.t(`auth.reason.${answer.code}`), 400) })),
        );
        return;
      }
      try {
        await handleCommand(rt, context, parsed, actor);
      } catch (err) {
        rt.logger.error({ command: parsed.kind, err: scrubSecrets(String(err)) }, 'command failed');
        await context.sendActivity(toActivity(errorCard(lang, lang.t('what.command', { command: parsed.kind }), err)));
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
    rt.logger.error({ err: scrubSecrets(err?.message ?? String(err)) }, 'unhandled bot error');
    try {
      if (context.activity.type === ActivityTypes.Message)
        await context.sendActivity(langFor(localeOf(context.activity.locale)).t('error.unhandled'));
    } catch {
      // the conversation may be gone; the error is logged
    }
  });
  return app;
}
