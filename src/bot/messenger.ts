// The Messenger port: how every handler posts or replaces a message in a conversation, whatever bot SDK carries it.
import type { ConversationAddress } from '../store/conversation-repository.js';
import type { AdaptiveCardJson } from './card-template.js';

export type { ConversationAddress } from '../store/conversation-repository.js';

/** A File Consent card: Teams asks the user, then tells the bot where to upload (personal chat only). */
export interface FileOffer {
  readonly name: string;
  readonly description: string;
  readonly sizeInBytes: number;
  /** Given back with the user's answer (accept or decline). */
  readonly context: Readonly<Record<string, unknown>>;
}

/** The card Teams shows for a file the bot uploaded to the user's OneDrive. */
export interface FileInfo {
  readonly name: string | undefined;
  readonly contentUrl: string | undefined;
  readonly uniqueId: string | undefined;
  readonly fileType: string | undefined;
}

export type OutgoingMessage =
  | { readonly card: AdaptiveCardJson; readonly summary?: string }
  | { readonly text: string }
  | { readonly fileOffer: FileOffer }
  | { readonly fileInfo: FileInfo };

export interface Sent {
  /** The new message's id, when the channel gave one. */
  readonly id: string | null;
  /** How many times it was sent (throttling and server errors are retried). */
  readonly attempts: number;
}

/** A message that could not be delivered: `gone` when the bot may no longer post there (retrying cannot help). */
export class DeliveryError extends Error {
  constructor(
    readonly status: number | null,
    readonly gone: boolean,
    readonly attempts: number,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Messenger {
  /** Posts a message to the conversation (a channel thread is part of its id). Throws DeliveryError. */
  send(address: ConversationAddress, message: OutgoingMessage): Promise<Sent>;
  /** Replaces an existing message's card for everyone in the conversation. Throws DeliveryError. */
  update(address: ConversationAddress, activityId: string, card: AdaptiveCardJson): Promise<void>;
}
