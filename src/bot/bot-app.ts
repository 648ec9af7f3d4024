// Adapter: the teams-ai Application. Turns activities into handler input, looks handlers up in the registry, checks
// authorization, and sends their answers in the turn (tenant gate first).
import { randomUUID } from 'node:crypto';
import { Application, type TurnState } from '@microsoft/teams-ai';
import { ActivityTypes, type TurnContext } from 'botbuilder';
import { scrubSecrets } from '../logger.js';
import type { AdapterOutcome, BotAdapter } from './bot-adapter.js';
import { toActivity } from './bot-messenger.js';
import { CARD_VERBS } from './card-actions.js';
import { parse } from './command-parser.js';
import { escapeCardText } from './escape.js';
import { acceptPlanFile } from './file-consent.js';
import type { Access, HandlerInput, IncomingAttachment, Reply } from './handlers.js';
import { langFor, localeOf } from './i18n.js';
import { failureCard } from './refusal-cards.js';
import { createRegistry } from './registry.js';
import { renderHelpCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';
import { checkTenant } from './tenant-filter.js';
import { actorOf, conversationKeyOf, type IncomingActivity, isPersonalChat, replyAddressOf } from './turn-info.js';

/** What every handler gets from the activity: who, where, in which language. */
function inputOf(activity: IncomingActivity): HandlerInput {
  return {
    actor: actorOf(activity),
    address: replyAddressOf(activity),
    conversationKey: conversationKeyOf(activity),
    lang: langFor(localeOf(activity.locale)),
    personal: isPersonalChat(activity),
  };
}

/** Sends a handler's answer in the turn, then lets it carry on with the posted message's id. */
async function sendReply(context: TurnContext, reply: Reply): Promise<void> {
  const sent = await context.sendActivity(toActivity(reply));
  if ('card' in reply) reply.followUp?.(sent?.id ?? null);
}

/** Runs one incoming activity (authentication, the turn, the invoke answer) and hands the outcome back as a value. */
export interface ActivityProcessor {
  process(authorization: string, activity: Record<string, unknown>): Promise<AdapterOutcome>;
}

export function createBotApplication(rt: BotRuntime, adapter: BotAdapter, botAppId: string): ActivityProcessor {
  const app = new Application<TurnState>({
    adapter,
    botAppId,
    removeRecipientMention: true,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const registry = createRegistry(rt);

  // Second line of the tenant gate (the HTTP server already refused other tenants before the adapter ran).
  app.turn('beforeTurn', async (context) => {
    const verdict = checkTenant(context.activity, rt.config.allowedTenantIds);
    if (!verdict.allowed)
      rt.logger.warn({ reason: verdict.reason }, 'activity from a tenant that is not allowed dropped');
    return verdict.allowed;
  });

  /** A change is checked live against the Global Administrator role; reading needs an admin (cached answer). */
  const authorize = async (input: HandlerInput, what: string, access: Exclude<Access, 'anyone'>) => {
    const answer = await rt.authorizer.check(input.actor.aadObjectId, { live: access === 'write' });
    if (!answer.allowed) rt.logger.info({ what, user: input.actor.aadObjectId }, 'not authorized');
    return answer;
  };

  for (const verb of CARD_VERBS) {
    app.adaptiveCards.actionExecute<Record<string, unknown>>(verb, async (context, _state, data) => {
      const input = {
        ...inputOf(context.activity),
        data: data ?? {},
        messageId: context.activity.replyToId ?? null,
        invokeId: context.activity.id ?? null,
      };
      const { lang } = input;
      const route = registry.verb(verb, input.data);
      if (route.access !== 'anyone') {
        const answer = await authorize(input, route.name, route.access);
        if (!answer.allowed) {
          rt.observe({ type: 'card-action', action: verb, outcome: 'unauthorized' });
          return lang.t('auth.notDone', { reason: lang.t(`auth.reason.${answer.code}`) });
        }
      }
      try {
        const reply = await route.run(input);
        if ('post' in reply) await sendReply(context, reply.post);
        rt.observe({ type: 'card-action', action: verb, outcome: 'ok' });
        return 'card' in reply ? reply.card : reply.text;
      } catch (err) {
        rt.observe({ type: 'card-action', action: verb, outcome: 'error' });
        return failureCard(rt.logger, lang, { key: 'what.action' }, err, { verb });
      }
    });
  }

  app.message(
    async (context) => context.activity.type === ActivityTypes.Message,
    async (context) => {
      const input = {
        ...inputOf(context.activity),
        attachments: (context.activity.attachments ?? []) as readonly IncomingAttachment[],
      };
      const { lang } = input;
      const route = registry.command(parse(context.activity.text ?? ''));
      if (route.access !== 'anyone') {
        const answer = await authorize(input, route.name, route.access);
        if (!answer.allowed) {
          rt.observe({ type: 'bot-command', command: route.name, outcome: 'unauthorized' });
          const notice = escapeCardText(lang.t(`auth.reason.${answer.code}`), 400);
          await sendReply(context, { card: renderHelpCard(lang, { notice }) });
          return;
        }
      }
      try {
        await sendReply(context, await route.run(input));
        rt.observe({ type: 'bot-command', command: route.name, outcome: route.name === 'unknown' ? 'unknown' : 'ok' });
      } catch (err) {
        rt.observe({ type: 'bot-command', command: route.name, outcome: 'error' });
        const what = { key: 'what.command', values: { command: route.name } } as const;
        await sendReply(context, { card: failureCard(rt.logger, lang, what, err, { command: route.name }) });
      }
    },
  );

  app.fileConsentAccept(async (context, _state, response) => {
    const input = inputOf(context.activity);
    const answer = await authorize(input, 'file-consent', 'write');
    if (!answer.allowed) {
      await context.sendActivity(input.lang.t('auth.notDone', { reason: input.lang.t(`auth.reason.${answer.code}`) }));
      return;
    }
    await context.sendActivity(toActivity(await acceptPlanFile(rt, input.lang, response)));
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
  return {
    process: (authorization, activity) =>
      adapter.run(authorization, activity, async (context) => {
        await app.run(context);
      }),
  };
}
