// Who sent an activity and where: the actor, the conversation reference for later messages, and its storage key.
import { type Activity, type ConversationReference, TurnContext } from 'botbuilder';

export interface Actor {
  readonly aadObjectId: string | null;
  /** A display label for cards and the sync log: the Teams name, else the object id. */
  readonly label: string;
}

export function actorOf(activity: Partial<Activity>): Actor {
  const aad =
    typeof activity.from?.aadObjectId === 'string' && activity.from.aadObjectId ? activity.from.aadObjectId : null;
  const name = typeof activity.from?.name === 'string' ? activity.from.name.trim() : '';
  return { aadObjectId: aad, label: name || aad || 'unknown user' };
}

/** Channel replies carry `;messageid=…`; a destination for new posts is the channel itself. */
export const baseConversationId = (id: string): string => id.split(';messageid=')[0] ?? id;

/** The conversation reference of the activity for new posts later: the conversation itself, no reply thread. */
export function conversationRefOf(activity: Partial<Activity>): Partial<ConversationReference> {
  const { activityId: _reply, ...ref } = TurnContext.getConversationReference(activity);
  if (ref.conversation?.id) ref.conversation = { ...ref.conversation, id: baseConversationId(ref.conversation.id) };
  return ref;
}

/** The reference that replies in the same thread (channel reply chain kept). */
export function replyRefOf(activity: Partial<Activity>): Partial<ConversationReference> {
  return TurnContext.getConversationReference(activity);
}

/** A stable key for a conversation: its base id. */
export function conversationKeyOf(activity: Partial<Activity>): string {
  return baseConversationId(activity.conversation?.id ?? 'unknown');
}

export const isPersonalChat = (activity: Partial<Activity>): boolean =>
  activity.conversation?.conversationType === 'personal' ||
  (!activity.conversation?.isGroup && !activity.conversation?.conversationType);
