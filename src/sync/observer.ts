// The observer port: what the engine and the bot report as it happens (runs, writes, throttling); metrics read it at the edge.
import type { ErrorKind, RunStatus, RunTrigger } from './model.js';

export type OpsEvent =
  | { readonly type: 'run-started'; readonly runId: string; readonly domain: string; readonly trigger: RunTrigger }
  | {
      readonly type: 'run-finished';
      readonly runId: string;
      readonly domain: string;
      readonly trigger: RunTrigger;
      readonly status: RunStatus;
      /** From the run's start (or resumption) to its end, by the service's injected clock. */
      readonly seconds: number;
    }
  | {
      readonly type: 'preview-finished';
      readonly domain: string;
      readonly outcome: 'planned' | 'refused' | 'failed';
      readonly seconds: number;
    }
  /** One write's final result, after the writer's own retries. */
  | {
      readonly type: 'write';
      readonly kind: 'create' | 'update' | 'delete' | 'restore';
      readonly outcome: 'done' | ErrorKind;
    }
  /** A 429 from Graph, for a whole request or one `$batch` item, with its Retry-After when it gave one. */
  | { readonly type: 'throttled'; readonly scope: 'request' | 'item'; readonly retryAfterSeconds: number | null }
  /** The share of Graph's throttling budget in use (x-ms-throttle-limit-percentage), 0..1. */
  | { readonly type: 'budget'; readonly share: number }
  | { readonly type: 'bot-command'; readonly command: string; readonly outcome: CommandOutcome }
  | { readonly type: 'card-action'; readonly action: string; readonly outcome: CommandOutcome };

export type CommandOutcome = 'ok' | 'unauthorized' | 'error' | 'unknown';

/** Receives events; must not throw and must not block (metrics are counters). */
export type OpsObserver = (event: OpsEvent) => void;

/** The observer used when nobody listens. */
export const ignoreEvents: OpsObserver = () => undefined;
