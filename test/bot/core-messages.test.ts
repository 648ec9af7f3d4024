// The sync core's sentences reach a card in the reader's language: every code is translated with its values, an
// unknown code falls back to the core's English, and a Japanese dry-run or refusal card carries no English of the core.
import { describe, expect, it } from 'vitest';
import { LOCALES, langFor, loadTable, type StringTable } from '../../src/bot/i18n.js';
import { refusalCard } from '../../src/bot/refusal-cards.js';
import { renderDryRunCard, renderResultCard } from '../../src/bot/render-cards.js';
import { renderLogsCard } from '../../src/bot/render-logs.js';
import {
  CORE_MESSAGES,
  type CoreMessage,
  type CoreMessageCode,
  english,
  list,
  message,
  placeholdersOf,
} from '../../src/sync/core-messages.js';
import { checkPlanFreshness, writeSettingsOf } from '../../src/sync/plan-freshness.js';
import { isRefusal } from '../../src/sync/service-interface.js';
import { galleryRun } from './card-gallery.js';
import { entraUser, makePlan } from './plan-fixture.js';

const lookup = (table: StringTable, path: string): string | undefined => {
  let node: string | StringTable | undefined = table;
  for (const part of path.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : undefined;
};

const codes = Object.keys(CORE_MESSAGES) as CoreMessageCode[];
const ja = langFor('ja');
const en = langFor('en');

/** The English of every core sentence cut at its values: pieces of three words or more. */
const englishFragments = codes
  .flatMap((code) => CORE_MESSAGES[code].split(/\{\{\w+\}\}/))
  .map((f) => f.trim())
  .filter((f) => f.split(/\s+/).length >= 3);

describe('core messages in the string tables', () => {
  for (const locale of LOCALES)
    it(`${locale}: every core code has a sentence with exactly the values the English names`, () => {
      const table = loadTable(locale);
      const missing = codes.filter((code) => lookup(table, `core.${code}`) === undefined);
      expect(missing).toEqual([]);
      const wrong = codes.filter(
        (code) =>
          placeholdersOf(lookup(table, `core.${code}`)!)
            .sort()
            .join() !== placeholdersOf(CORE_MESSAGES[code]).sort().join(),
      );
      expect(wrong).toEqual([]);
    });

  it('the Japanese core sentences contain no English sentence', () => {
    const table = loadTable('ja');
    const english = codes.filter((code) => /[A-Za-z]{3,}\s+[a-z]{2,}\s+[a-z]{2,}/.test(lookup(table, `core.${code}`)!));
    // Product and command names stay as they are (Access Control, Entra ID, domain add …, User.ReadWrite.All).
    expect(english.filter((c) => !['refusal.notConfigured', 'refusal.alreadySynced'].includes(c))).toEqual([]);
  });

  it('English through the tables is the core text itself, nested values and lists included', () => {
    const samples: CoreMessage[] = [
      message('guard.maxDeletions', { percent: '70', max: '65' }),
      message('freshness.settings', {
        what: list(
          [
            message('freshness.protectedAccounts'),
            message('freshness.usageLocation', { was: 'JP', now: message('none') }),
          ],
          'semicolon',
        ),
        createdAt: '2026-01-02T03:04:05.000Z',
      }),
      message('refusal.planUsed', { runId: 'r1', status: message('status.partial') }),
      message('run.someFailed', { count: 3 }),
    ];
    for (const m of samples) expect(en.core(m, 'fallback')).toBe(english(m));
    expect(english(samples[1]!)).toBe(
      "refused: the domain's settings changed since this dry run (protected accounts; usage location (JP → none)) (2026-01-02T03:04:05.000Z). Run preview again.",
    );
    expect(ja.core(samples[0]!, 'fallback')).toBe('削除の割合 70% が最大削除許容数 65% に達しています。');
    expect(ja.core(samples[1]!, 'fallback')).toBe(
      '拒否しました: このドライランの後にドメインの設定が変更されました (保護されたアカウント、利用場所 (JP → なし)) (ドライラン: 2026-01-02T03:04:05.000Z)。もう一度ドライランを実行してください。',
    );
    expect(ja.core(samples[2]!, 'x')).toContain('(実行 r1、一部失敗)');
  });

  it('an unknown code, here or inside a value, falls back to the English text; no message also does', () => {
    const unknown = { code: 'guard.fromTheFuture', params: {} } as unknown as CoreMessage;
    expect(ja.core(unknown, 'the English text')).toBe('the English text');
    expect(ja.core(message('refusal.planUsed', { runId: 'r', status: unknown }), 'English')).toBe('English');
    expect(ja.core(undefined, 'English')).toBe('English');
    expect(ja.core(null, 'English')).toBe('English');
  });
});

describe('a Japanese card shows no English sentence of the core', () => {
  const conflictAndTrip = makePlan({
    source: [
      { userPrincipalName: 'a@contoso.co.jp', immutableId: 'dup', displayName: 'A' },
      { userPrincipalName: 'b@contoso.co.jp', immutableId: 'dup', displayName: 'B' },
    ],
    entra: [
      entraUser('x@contoso.co.jp', 'ix', 'X'),
      entraUser('y@contoso.co.jp', 'iy', 'Y'),
      entraUser('holder@contoso.co.jp', 'other', 'Holder', { mail: 'shared@contoso.co.jp' }),
    ],
    settings: { maxDeletionPercent: 10 },
  });

  it('the plan really has a guard trip and conflict skips with codes', () => {
    expect(conflictAndTrip.guard.ok).toBe(false);
    const skips = conflictAndTrip.changes.filter((c) => c.action === 'Skip');
    expect(skips.length).toBeGreaterThan(0);
    for (const s of skips) expect(s.action === 'Skip' && s.noteMessage?.code).toMatch(/^conflict\./);
  });

  it('dry-run card with a guard trip and a conflict skip, and a stale-plan refusal card', () => {
    const dryRun = JSON.stringify(renderDryRunCard(ja, conflictAndTrip, { downloadUrl: 'https://bot.example/d' }));
    const stale = checkPlanFreshness(conflictAndTrip, {
      writeSettings: writeSettingsOf({ protectedAccounts: ['p@contoso.co.jp'], onDelete: 'disable' }, 'Managed', 'JP'),
    });
    expect(stale && isRefusal(stale)).toBe(true);
    const refusal = JSON.stringify(refusalCard(ja, stale!, 'contoso.co.jp'));
    // The English card says the core's sentences (the test would be empty otherwise).
    const englishCards =
      JSON.stringify(renderDryRunCard(en, conflictAndTrip, { downloadUrl: 'https://bot.example/d' })) +
      JSON.stringify(refusalCard(en, stale!, 'contoso.co.jp'));
    expect(englishFragments.filter((f) => englishCards.includes(f)).length).toBeGreaterThanOrEqual(3);
    expect(englishFragments.filter((f) => dryRun.includes(f))).toEqual([]);
    expect(englishFragments.filter((f) => refusal.includes(f))).toEqual([]);
    expect(dryRun).toContain('最大削除許容数');
    expect(dryRun).toContain('競合: Immutable ID dup を複数のソース ユーザーが使用しています。');
    expect(refusal).toContain('ドメインの設定が変更されました');
    expect(refusal).toContain('保護されたアカウント、削除時の動作');
  });

  it('a lease-held refusal names the holder once, in Japanese', () => {
    const m = message('refusal.leaseHeld', { domain: 'contoso.co.jp', holder: 'host-7:4242' });
    const card = JSON.stringify(
      refusalCard(
        ja,
        { refused: true, code: 'lease-held', reason: english(m), message: m, detail: 'host-7:4242' },
        null,
      ),
    );
    expect(card).toContain('contoso.co.jp の同期がすでに実行中です');
    expect(card.split('host-7:4242').length - 1).toBe(1);
  });

  it('an invalid source user is explained field by field in Japanese', () => {
    const plan = makePlan({
      source: [{ userPrincipalName: 'bad@contoso.co.jp', immutableId: 'a b', displayName: 'Bad', mail: 'nope' }],
      entra: [],
    });
    const skip = plan.changes.find((c) => c.action === 'Skip');
    expect(skip?.action === 'Skip' && skip.note).toBe(
      'invalid: immutableId "a b" must not contain $, _ or white space; mail "nope" is not an e-mail address',
    );
    expect(skip?.action === 'Skip' && ja.core(skip.noteMessage, skip.note)).toBe(
      '無効: immutableId "a b" に $、_、空白は使えません、mail "nope" はメール アドレスではありません',
    );
  });

  it('a run reason with its code is said in Japanese on the result and log cards; Graph text stays as sent', () => {
    const run = {
      ...galleryRun('failed'),
      reason:
        'stopped: Insufficient privileges — grant the app User.ReadWrite.All (application) with admin consent, then run again',
      reasonMessage: message('run.stoppedForbidden', { message: 'Insufficient privileges' }),
    };
    const cards = JSON.stringify([
      renderResultCard(ja, run, { csvUrl: 'https://bot.example/r' }),
      renderLogsCard(ja, [run], { linkFor: () => 'https://bot.example/r', now: new Date('2026-01-02T04:00:00Z') }),
    ]);
    expect(cards).toContain('停止しました: Insufficient privileges — アプリに User.ReadWrite.All');
    expect(englishFragments.filter((f) => cards.includes(f))).toEqual([]);
  });
});
