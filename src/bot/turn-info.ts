// Who sent an activity and where: the actor, the address that answers it, and the conversation's storage key.
import type { ConversationAddress } from '../store/conversation-repository.js';

/** The fields of an incoming activity (plain Bot Framework JSON) the handlers read. */
export interface IncomingActivity {
  readonly locale?: string;
  readonly serviceUrl?: string;
  readonly from?: { readonly aadObjectId?: string; readonly name?: string };
  readonly conversation?: {
    readonly id?: string;
    readonly tenantId?: string;
    readonly conversationType?: string;
    readonly isGroup?: boolean;
  };
  readonly channelData?: unknown;
}

export interface Actor {
  readonly aadObjectId: string | null;
  /** A display label for cards and the sync log: the Teams name, else the object id. */
  readonly label: string;
}

export function actorOf(activity: IncomingActivity): Actor {
  const aad =
    typeof activity.from?.aadObjectId === 'string' && activity.from.aadObjectId ? activity.from.aadObjectId : null;
  const name = typeof activity.from?.name === 'string' ? activity.from.name.trim() : '';
  return { aadObjectId: aad, label: name || aad || 'unknown user' };
}

/** Channel replies carry `;messageid=…`; a destination for new posts is the channel itself. */
export const baseConversationId = (id: string): string => id.split(';messageid=')[0] ?? id;

const tenantOf = (activity: IncomingActivity): string | null => {
  const fromChannel = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  const id = activity.conversation?.tenantId ?? fromChannel;
  return typeof id === 'string' && id ? id : null;
};

/** The address that answers this activity in its own thread (a channel thread is `;messageid=` in the id). */
export function replyAddressOf(activity: IncomingActivity): ConversationAddress {
  return {
    conversationId: activity.conversation?.id ?? 'unknown',
    serviceUrl: activity.serviceUrl ?? '',
    tenantId: tenantOf(activity),
    ...(activity.locale ? { locale: activity.locale } : {}),
  };
}

/** A stable key for a conversation: its base id. */
export function conversationKeyOf(activity: IncomingActivity): string {
  return baseConversationId(activity.conversation?.id ?? 'unknown');
}

export const isPersonalChat = (activity: IncomingActivity): boolean =>
  activity.conversation?.conversationType === 'personal' ||
  (!activity.conversation?.isGroup && !activity.conversation?.conversationType);
