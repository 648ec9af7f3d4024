// What a bot handler receives and returns, free of any bot SDK: {actor, address, text | data} in, {card} | {text} out.
import type { ConversationAddress } from '../store/conversation-repository.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { Command } from './command-parser.js';
import { ENGLISH, type Lang } from './i18n.js';
import { type FailedStep, failureCard } from './refusal-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';

/** A file attached to a message (plain Bot Framework attachment JSON). */
export interface IncomingAttachment {
  readonly contentType?: string;
  readonly contentUrl?: string;
  readonly name?: string;
  readonly content?: unknown;
}

export interface HandlerInput {
  readonly actor: Actor;
  /** Where the answer goes: the conversation, in the thread of the activity that asked. */
  readonly address: ConversationAddress;
  /** The base conversation id (`notify here` keys, "this conversation" in schedule facts). */
  readonly conversationKey: string;
  readonly lang: Lang;
  /** A personal chat (links live longer there; file offers are possible). */
  readonly personal: boolean;
}

export interface CommandInput<C extends Command = Command> extends HandlerInput {
  readonly command: C;
  readonly attachments: readonly IncomingAttachment[];
}

export interface VerbInput extends HandlerInput {
  readonly data: Readonly<Record<string, unknown>>;
  /** The card message that was clicked (the invoke's replyToId). */
  readonly messageId: string | null;
  /** The invoke activity's id (replays are recognised by it). */
  readonly invokeId: string | null;
}

/**
 * A handler's answer. `followUp` runs once the card is posted, with its message id (null when the channel gave none),
 * to carry on in the background and replace that card later.
 */
export type Reply =
  | { readonly card: AdaptiveCardJson; readonly followUp?: (messageId: string | null) => void }
  | { readonly text: string };

/** A card action's answer: what the clicked card shows, or that plus a new message posted in the conversation. */
export type VerbReply = Reply | { readonly text: string; readonly post: Reply };

/** Who may run a handler: anyone; a listed admin (cached role check); or a live Global Administrator check first. */
export type Access = 'anyone' | 'read' | 'write';

export interface Route<I, R> {
  readonly access: Access;
  run(rt: BotRuntime, input: I): Promise<R>;
}

export type CommandRoutes = {
  readonly [K in Command['kind']]: Route<CommandInput<Extract<Command, { kind: K }>>, Reply>;
};

/** The conversation itself rather than the thread that asked: where later posts (notifications, consent) go. */
export function hereAddress(input: HandlerInput): ConversationAddress {
  return { ...input.address, conversationId: input.conversationKey };
}

export const cardReply = (card: AdaptiveCardJson): Reply => ({ card });

/** Answers at once with `placeholder`, then replaces it with what `work` returns (a failure card if it throws). */
export function inBackground(
  rt: BotRuntime,
  input: HandlerInput,
  placeholder: AdaptiveCardJson,
  what: FailedStep,
  work: () => Promise<AdaptiveCardJson>,
): Reply {
  return {
    card: placeholder,
    followUp: (id) =>
      rt.tasks.run(ENGLISH.t(what.key, what.values), async () => {
        let result: AdaptiveCardJson;
        try {
          result = await work();
        } catch (err) {
          result = failureCard(rt.logger, input.lang, what, err);
        }
        if (id) await rt.messenger.update(input.address, id, result);
        else await rt.messenger.send(input.address, { card: result });
      }),
  };
}
