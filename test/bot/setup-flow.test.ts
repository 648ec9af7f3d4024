// Card-first set-up over HTTP: domains → Set up sync → the form → Save (refused with the field named, then saved)
// → next-step buttons; every typed command also works as a button; the same flow in Japanese.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGLISH, langFor } from '../../src/bot/i18n.js';
import { parseSetupForm } from '../../src/bot/setup-flow.js';
import { type Harness, startHarness } from './bot-harness.js';
import { cardOf, cardText } from './fake-connector.js';

interface Action {
  type: string;
  title: string;
  verb?: string;
  data?: Record<string, unknown>;
}
/** Every Action.Execute of a card, in the card's actions and in its ActionSets. */
function buttonsOf(card: unknown): Action[] {
  const out: Action[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.type === 'Action.Execute') out.push(o as unknown as Action);
      for (const v of Object.values(o)) walk(v);
    }
  };
  walk(card);
  return out;
}
const invokeBody = (body: unknown) => body as { statusCode: number; type: string; value: unknown };

const NEW_DOMAIN = 'fabrikam.jp';
let h: Harness;

/** Clicks a button: posts its Action.Execute invoke; returns the invoke's answer and the messages it posted. */
async function click(button: Action, replyToId = 'msg-card', extra: Record<string, unknown> = {}) {
  const before = h.connector.calls.length;
  const res = await h.post({ ...h.invoke(button.verb!, button.data ?? {}, replyToId), ...extra });
  expect(res.status).toBe(200);
  return { body: invokeBody(res.body), posted: () => h.connector.calls.slice(before) };
}

async function nextCard(before: number, pick: (text: string) => boolean) {
  const call = await h.connector.waitFor((calls) =>
    calls.slice(before).find((c) => {
      const card = cardOf(c.activity);
      return card !== null && pick(cardText(card));
    }),
  );
  return cardOf(call.activity)!;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('set-up form checks (pure)', () => {
  it('names the wrong field and accepts UPNs and object ids as protected accounts', () => {
    const ok = {
      maxDeletionPercent: '15',
      onDelete: 'disable',
      protectedAccounts: 'Boss@Fabrikam.jp\n, 0f8fad5b-d9cb-469f-a165-70867728950e',
      usageLocation: '',
    };
    expect(parseSetupForm(ENGLISH, ok)).toEqual({
      patch: {
        maxDeletionPercent: 15,
        onDelete: 'disable',
        protectedAccounts: ['boss@fabrikam.jp', '0f8fad5b-d9cb-469f-a165-70867728950e'],
        usageLocation: null,
      },
    });
    // Usage location: an assigned ISO 3166 alpha-2 code in either case, stored upper-case; empty is the default.
    expect(parseSetupForm(ENGLISH, { ...ok, usageLocation: 'jp' })).toMatchObject({ patch: { usageLocation: 'JP' } });
    for (const bad of ['ZZ', 'Japan', 'J', '81'])
      expect(parseSetupForm(ENGLISH, { ...ok, usageLocation: bad })).toEqual({
        error: `Usage location: "${bad}" is not a two-letter ISO 3166 country code such as JP or US (leave it empty for the organization's country). Nothing was saved.`,
      });
    expect(parseSetupForm(langFor('ja'), { ...ok, usageLocation: 'ZZ' })).toEqual({
      error:
        '利用場所: "ZZ" は JP や US のような 2 文字の ISO 3166 国コードではありません (組織の国を使う場合は空欄にしてください)。何も保存していません。',
    });
    expect(parseSetupForm(ENGLISH, { ...ok, maxDeletionPercent: '0' })).toEqual({
      error: 'Max allowed deletions: "0" is not a percentage from 1 to 100. Nothing was saved.',
    });
    expect(parseSetupForm(ENGLISH, { ...ok, maxDeletionPercent: '' })).toHaveProperty('error');
    expect(parseSetupForm(ENGLISH, { ...ok, maxDeletionPercent: '101' })).toHaveProperty('error');
    expect(parseSetupForm(ENGLISH, { ...ok, onDelete: 'purge' })).toHaveProperty('error');
    expect(parseSetupForm(ENGLISH, { ...ok, protectedAccounts: 'not-an-account' })).toEqual({
      error: 'Protected accounts: "not-an-account" is neither a UPN nor an Entra object ID. Nothing was saved.',
    });
    expect(parseSetupForm(langFor('ja'), { ...ok, maxDeletionPercent: 'x' })).toEqual({
      error: '最大削除許容数: "x" は 1 から 100 までの割合ではありません。何も保存していません。',
    });
  });
});

describe('card-first set-up', () => {
  it('domains → Set up sync → form → Save refuses bad input and changes nothing → Save → next steps', async () => {
    let before = h.connector.calls.length;
    await h.post(h.message('domains'));
    const domains = await nextCard(before, (t) => t.includes('Domains of this tenant'));
    const setUp = buttonsOf(domains).find((b) => b.title === 'Set up sync' && b.data?.domain === NEW_DOMAIN)!;
    expect(setUp).toBeDefined();
    // contoso.co.jp (set up by the demo) offers its next steps instead.
    expect(
      buttonsOf(domains)
        .filter((b) => String(b.data?.command ?? '').endsWith(' contoso.co.jp') || b.data?.domain === 'contoso.co.jp')
        .map((b) => b.title),
    ).toEqual(['Dry run', 'Settings', 'Sync log']);

    before = h.connector.calls.length;
    const opened = await click(setUp);
    expect(String(opened.body.value)).toContain(NEW_DOMAIN);
    const form = await nextCard(before, (t) => t.includes(`Set up sync: ${NEW_DOMAIN}`));
    const json = JSON.stringify(form);
    expect(json).toContain('"type":"Input.Number","id":"maxDeletionPercent"');
    expect(json).toContain('"value":"10"');
    expect(json).toContain('"type":"Input.Text","id":"usageLocation"');
    expect(cardText(form)).toContain('the whole sync is cancelled');
    expect(cardText(form)).toContain('restored');
    const save = buttonsOf(form).find((b) => b.title === 'Save')!;

    // Teams merges the inputs into the button's data.
    const refused = await click({ ...save, data: { ...save.data, maxDeletionPercent: '0', onDelete: 'delete' } });
    expect(refused.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardText(refused.body.value)).toContain('Max allowed deletions: "0" is not a percentage');
    expect(await h.engine.service.getSettings(NEW_DOMAIN)).toBeNull();
    const badCountry = await click({
      ...save,
      data: { ...save.data, maxDeletionPercent: '25', onDelete: 'delete', usageLocation: 'XX' },
    });
    expect(cardText(badCountry.body.value)).toContain('Usage location: "XX" is not a two-letter ISO 3166 country code');
    expect(await h.engine.service.getSettings(NEW_DOMAIN)).toBeNull();

    const saved = await click({
      ...save,
      data: {
        ...save.data,
        maxDeletionPercent: '25',
        onDelete: 'disable',
        protectedAccounts: 'boss@fabrikam.jp',
        usageLocation: 'jp',
      },
    });
    const text = cardText(saved.body.value);
    expect(text).toContain(`${NEW_DOMAIN} is set up for sync`);
    expect(text).toContain('25%');
    expect(text).toContain('Usage location\nJP');
    expect(buttonsOf(saved.body.value).map((b) => [b.title, b.data?.command])).toEqual([
      ['Run pre-check', `precheck ${NEW_DOMAIN}`],
      ['Start dry run', `preview ${NEW_DOMAIN}`],
    ]);
    expect(await h.engine.service.getSettings(NEW_DOMAIN)).toMatchObject({
      synced: true,
      maxDeletionPercent: 25,
      onDelete: 'disable',
      protectedAccounts: ['boss@fabrikam.jp'],
      usageLocation: 'JP',
    });
    // The domains card shows it beside the max allowed deletions; a domain left at the default says so.
    before = h.connector.calls.length;
    await h.post(h.message('domains'));
    const listed = cardText(await nextCard(before, (t) => t.includes('Domains of this tenant') && t.includes('JP')));
    expect(listed).toContain('Usage location\nJP');

    // Run pre-check: the button runs the command; its card follows in the conversation.
    before = h.connector.calls.length;
    const pre = buttonsOf(saved.body.value)[0]!;
    await click(pre);
    const precheck = await nextCard(before, (t) => t.includes(`Pre-check: ${NEW_DOMAIN}`));
    expect(buttonsOf(precheck).map((b) => b.title)).toContain('Start dry run');
    // Start dry run: the demo's second domain passes its max allowed deletions, so Sync now is offered.
    before = h.connector.calls.length;
    await click(buttonsOf(precheck).find((b) => b.title === 'Start dry run')!);
    const dryRun = await nextCard(before, (t) => t.includes(`Dry run: ${NEW_DOMAIN}`) && t.includes('Sync now'));
    expect(cardText(dryRun)).toMatch(/Deletions: 1 of 18 users in scope/);
  });

  it('preview all: one summary row per set-up domain with its counts, guard verdict, card and CSV', async () => {
    // contoso.co.jp's limit below its deletion share (its leavers), so its row says a sync would be cancelled.
    let before = h.connector.calls.length;
    await h.post(h.message('domain set contoso.co.jp max-deletions 1'));
    await nextCard(before, (t) => t.includes('max allowed deletions is now 1%'));
    before = h.connector.calls.length;
    await h.post(h.message('preview all'));
    const running = await h.connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'));
    expect(cardText(cardOf(running.activity))).toContain('Dry runs running');
    const done = await h.connector.waitFor((calls) =>
      calls.find(
        (c) =>
          c.kind === 'update' &&
          c.activityId === running.resultId &&
          cardText(cardOf(c.activity)).includes('Dry run of every domain'),
      ),
    );
    const summary = cardOf(done.activity)!;
    const text = cardText(summary);
    expect(text).toContain('2 domains');
    expect(text).toMatch(/\*\*contoso\.co\.jp\*\*\n✗ would be cancelled\nAdd \d+ · Update \d+ · Delete \d+/);
    expect(text).toMatch(/\*\*fabrikam\.jp\*\*\n✓ can sync\nAdd 2 · Update \d+ · Delete 1 · Skip \d+ · No change \d+/);
    const json = JSON.stringify(summary);
    expect(json.match(/"type":"Action.OpenUrl","title":"CSV","url":"[^"]+\/downloads\/[^"]+"/g)).toHaveLength(2);
    const open = buttonsOf(summary).filter((b) => b.verb === 'show-plan');
    expect(open).toHaveLength(2);
    before = h.connector.calls.length;
    await click(open[1]!);
    const card = await nextCard(before, (t) => t.includes(`Dry run: ${NEW_DOMAIN}`));
    expect(buttonsOf(card).map((b) => b.title)).toContain('Sync now');
  });

  it('preview all is one use case call for every domain, not one dry run call per domain', async () => {
    const calls = h.serviceCalls.length;
    const before = h.connector.calls.length;
    await h.post(h.message('preview all'));
    await nextCard(before, (t) => t.includes('Dry run of every domain'));
    const made = h.serviceCalls.slice(calls).filter((c) => c.startsWith('preview'));
    expect(made).toEqual(['previewAll']);
  });

  it('help has buttons for the common steps; a command button answers as the typed command does', async () => {
    let before = h.connector.calls.length;
    await h.post(h.message('help'));
    const help = await nextCard(before, (t) => t.includes('Entra ID sync: commands'));
    expect(buttonsOf(help).map((b) => b.data?.command)).toEqual([
      'connect',
      'domains',
      'preview all',
      'status',
      'logs',
    ]);
    before = h.connector.calls.length;
    await click(buttonsOf(help).find((b) => b.data?.command === 'status')!);
    await nextCard(before, (t) => t.includes('Entra ID: connected'));
    // A button carrying something that is not a command changes nothing and says so.
    const bad = await click({ type: 'Action.Execute', title: 'x', verb: 'command', data: { command: 'rm -rf /' } });
    expect(cardText(bad.body.value)).toContain('did not carry a command');
  });

  it('connect shows the permissions and, once connected, the next step', async () => {
    const before = h.connector.calls.length;
    await h.post(h.message('connect'));
    const card = await nextCard(before, (t) => t.includes('Microsoft Entra ID connection'));
    expect(cardText(card)).toContain('User.ReadWrite.All\n✓ granted');
    expect(buttonsOf(card).map((b) => b.data?.command)).toEqual(['domains']);
  });

  it('the same form in Japanese for a ja-JP activity', async () => {
    const before = h.connector.calls.length;
    await click({ type: 'Action.Execute', title: '', verb: 'setup-form', data: { domain: NEW_DOMAIN } }, 'm', {
      locale: 'ja-JP',
    });
    const form = await nextCard(before, (t) => t.includes(`設定: ${NEW_DOMAIN}`));
    expect(JSON.stringify(form)).toContain('"label":"最大削除許容数 (%)"');
    expect(JSON.stringify(form)).toContain('"value":"25"');
    expect(JSON.stringify(form)).toContain('"label":"新しいユーザーの利用場所 (国コード)"');
    expect(JSON.stringify(form)).toContain('"value":"JP"');
    expect(buttonsOf(form).map((b) => b.title)).toEqual(['保存']);
  });
});
