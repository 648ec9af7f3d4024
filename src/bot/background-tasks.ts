// Tracks work that outlives a turn (apply, preview, updates) so errors are logged and shutdown can wait for it.
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../logger.js';

export interface BackgroundTasks {
  run(name: string, work: () => Promise<void>): void;
  /** Resolves when every task started so far (and any they started) has finished. */
  idle(): Promise<void>;
}

export function createBackgroundTasks(logger: Logger): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(name, work) {
      const p: Promise<void> = Promise.resolve()
        .then(work)
        .catch((err: unknown) => {
          logger.error(
            { task: name, err: scrubSecrets(err instanceof Error ? err.message : String(err)) },
            'background task failed',
          );
        })
        .finally(() => running.delete(p));
      running.add(p);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
