// Updates one message's card in place, at most once per interval, always ending with the final card.
import type { Logger } from '../logger.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { ConversationAddress, Messenger } from './messenger.js';

export interface CardUpdater {
  /** Shows this card soon (coalesced: only the latest pushed card within an interval is sent). */
  push(card: AdaptiveCardJson): void;
  /** Sends the final card after any update in flight; later pushes are ignored. */
  final(card: AdaptiveCardJson): Promise<void>;
}

export function createCardUpdater(options: {
  messenger: Messenger;
  address: ConversationAddress;
  activityId: string;
  logger: Logger;
  intervalMs?: number;
}): CardUpdater {
  const interval = options.intervalMs ?? 2000;
  let lastSent = 0;
  let pending: AdaptiveCardJson | null = null;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const send = (card: AdaptiveCardJson) => {
    lastSent = Date.now();
    chain = chain
      .then(() => options.messenger.update(options.address, options.activityId, card))
      .catch((err: unknown) =>
        options.logger.warn(
          { activityId: options.activityId, err: err instanceof Error ? err.message : String(err) },
          'card update failed',
        ),
      );
  };
  return {
    push(card) {
      if (closed) return;
      pending = card;
      if (timer) return;
      const wait = Math.max(0, lastSent + interval - Date.now());
      timer = setTimeout(() => {
        timer = null;
        const next = pending;
        pending = null;
        if (next && !closed) send(next);
      }, wait);
    },
    async final(card) {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
      send(card);
      await chain;
    },
  };
}
