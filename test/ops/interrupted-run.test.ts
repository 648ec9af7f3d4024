// An interrupted run is not over: it is not posted to the notify channel and its card says it resumes; the resumed end is.
import { describe, expect, it } from 'vitest';
import { ENGLISH } from '../../src/bot/i18n.js';
import { renderResultCard } from '../../src/bot/render-run-cards.js';
import { shouldNotify } from '../../src/bot/render-logs.js';
import { runRecordFor } from '../schedule/fixtures.js';

describe('interrupted runs', () => {
  const counts = { added: 40, updated: 0, deleted: 0, failed: 0 };
  const interrupted = runRecordFor('contoso.co.jp', Date.UTC(2026, 10, 29), {
    status: 'interrupted',
    counts,
    reason: 'interrupted: the bot was stopped during the run; it resumes when the bot starts again',
  });

  it('are posted only once resumed and ended, whatever the notify setting', () => {
    for (const mode of ['always', 'changes-only', 'failures-only', undefined] as const)
      expect(shouldNotify(interrupted, mode)).toBe(false);
    const completed = { ...interrupted, status: 'completed' as const, reason: null };
    expect(shouldNotify(completed, 'always')).toBe(true);
    expect(shouldNotify(completed, 'changes-only')).toBe(true);
  });

  it('show on their result card that they resume at restart', () => {
    const text = JSON.stringify(renderResultCard(ENGLISH, interrupted, { csvUrl: 'https://bot.example/downloads/x' }));
    expect(text).toContain('Sync interrupted (resumes at restart)');
  });
});
