// Sends and updates messages outside the incoming turn (background work, consent callback) through the adapter.
import { type Activity, CardFactory, type CloudAdapter, type ConversationReference, MessageFactory } from 'botbuilder';
import type { Logger } from '../logger.js';
import type { AdaptiveCardJson } from './card-template.js';

export interface Proactive {
  /** Posts a card (or text) to the conversation; returns the new message id. */
  send(
    ref: Partial<ConversationReference>,
    message: AdaptiveCardJson | string | Partial<Activity>,
  ): Promise<string | null>;
  /** Replaces an existing message's card for everyone in the conversation. */
  update(ref: Partial<ConversationReference>, activityId: string, card: AdaptiveCardJson): Promise<void>;
}

export function toActivity(message: AdaptiveCardJson | string | Partial<Activity>): Partial<Activity> {
  if (typeof message === 'string') return MessageFactory.text(message);
  if ((message as AdaptiveCardJson).type === 'AdaptiveCard')
    return MessageFactory.attachment(CardFactory.adaptiveCard(message));
  return message as Partial<Activity>;
}

export function createProactive(options: { adapter: CloudAdapter; botAppId: string; logger: Logger }): Proactive {
  const { adapter, botAppId } = options;
  return {
    async send(ref, message) {
      let id: string | null = null;
      await adapter.continueConversationAsync(botAppId, ref, async (ctx) => {
        const sent = await ctx.sendActivity(toActivity(message));
        id = sent?.id ?? null;
      });
      return id;
    },
    async update(ref, activityId, card) {
      await adapter.continueConversationAsync(botAppId, ref, async (ctx) => {
        await ctx.updateActivity({ ...toActivity(card), id: activityId, type: 'message' });
      });
    },
  };
}
