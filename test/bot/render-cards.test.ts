// Card rendering: dry-run, progress, result and refusal cards carry the right data; directory values are escaped and capped.
import { describe, expect, it } from 'vitest';
import { renderConnectCard, renderDomainsCard, renderHelpCard } from '../../src/bot/render-cards.js';
import { renderDryRunCard } from '../../src/bot/render-plan-cards.js';
import { estimateMsLeft, fmtTimeLeft, renderProgressCard, renderResultCard } from '../../src/bot/render-run-cards.js';
import { refusalCard } from '../../src/bot/refusal-cards.js';
import type { RunRecord } from '../../src/sync/model.js';
import { entraUser, makePlan, settings as settingsFixture } from './plan-fixture.js';
import { ENGLISH, langFor } from '../../src/bot/i18n.js';

const texts = (card: unknown): string[] => {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if ((k === 'text' || k === 'value' || k === 'title') && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(card);
  return out;
};
const actions = (card: unknown) =>
  (card as { actions: { type: string; title: string; url?: string; data?: Record<string, unknown> }[] }).actions;

const evilName = '[click](https://evil)';
const plan = makePlan({
  source: [
    { userPrincipalName: 'new.hire@contoso.co.jp', immutableId: 'imm-new', displayName: evilName },
    { userPrincipalName: 'renamed@contoso.co.jp', immutableId: 'imm-ren', displayName: 'Renamed Person' },
    { userPrincipalName: 'same@contoso.co.jp', immutableId: 'imm-same', displayName: 'Same' },
  ],
  entra: [
    entraUser('renamed@contoso.co.jp', 'imm-ren', 'Old Name'),
    entraUser('same@contoso.co.jp', 'imm-same', 'Same'),
    entraUser('leaver@contoso.co.jp', 'imm-leaver', `**${'x'.repeat(300)}**`),
  ],
});

describe('renderDryRunCard', () => {
  const card = renderDryRunCard(ENGLISH, plan, {
    downloadUrl: 'https://bot.example/downloads/tok',
    requestedByName: 'Alex',
  });
  const all = texts(card).join('\n');

  it('shows counts, the donut, the deletion share and the short hash', () => {
    expect(plan.counts).toMatchObject({ add: 1, update: 1, delete: 1, noChange: 1 });
    const json = JSON.stringify(card);
    expect(json).toContain('"type":"Chart.Donut"');
    expect(json).toContain('{"legend":"Delete","value":1,"color":"attention"}');
    // Only what changes is charted; the unchanged users are stated as a number.
    const donut = JSON.parse(json.match(/"type":"Chart.Donut"[^\]]*\]/)![0].replace(/^.*"data":/, '')) as {
      legend: string;
    }[];
    expect(donut.map((d) => d.legend)).toEqual(['Add', 'Update', 'Delete']);
    expect(all).toContain('1 user(s) with no change');
    expect(all).toContain('Deletions: 1 of 3 users in scope (33.3%) · max allowed 50%');
    expect(all).toContain(`Plan ${plan.hash.slice(0, 12)}`);
  });

  it('escapes directory values: a markdown link in a display name is text, long values are capped', () => {
    expect(all).not.toContain('[click](https://evil)');
    expect(all).toContain('\\[click\\]\\(https:\u2060//evil\\)');
    expect(all).not.toContain('x'.repeat(100));
    expect(all).toContain('…');
  });

  it('has Download (OpenUrl) and Sync now / Enable hourly / Cancel (Execute with plan id and hash)', () => {
    const a = actions(card);
    expect(a.map((x) => `${x.type}:${x.title}`)).toEqual([
      'Action.OpenUrl:Download results (CSV)',
      'Action.Execute:Sync now',
      'Action.Execute:Enable hourly sync',
      'Action.Execute:Cancel',
    ]);
    expect(a[0]?.url).toBe('https://bot.example/downloads/tok');
    expect(a[1]?.data).toEqual({ verb: 'apply', planId: plan.id, planHash: plan.hash });
  });

  it('warns that new users of a managed domain cannot sign in until given a password or a Temporary Access Pass', () => {
    expect(all).toContain(
      '1 new user(s) cannot sign in until you give each a password or a Temporary Access Pass: contoso.co.jp is a managed (not federated) domain',
    );
    const federated = makePlan({
      source: [{ userPrincipalName: 'new.hire@contoso.co.jp', immutableId: 'imm-new', displayName: 'New' }],
      entra: [],
      authenticationType: 'Federated',
    });
    expect(texts(renderDryRunCard(ENGLISH, federated, { downloadUrl: 'https://x/d' })).join('\n')).not.toContain(
      'cannot sign in',
    );
  });

  it('a plan with no change has no chart and says so', () => {
    const same = makePlan({
      source: [{ userPrincipalName: 'same@contoso.co.jp', immutableId: 'imm-same', displayName: 'Same' }],
      entra: [entraUser('same@contoso.co.jp', 'imm-same', 'Same')],
    });
    const c = renderDryRunCard(ENGLISH, same, { downloadUrl: 'https://x/d' });
    expect(JSON.stringify(c)).not.toContain('Chart.Donut');
    expect(texts(c).join('\n')).toContain('Nothing to change');
  });

  it('warns and hides Sync now when the guard would cancel the sync', () => {
    const tripping = makePlan({
      source: [],
      entra: [entraUser('a@contoso.co.jp', 'i1', 'A'), entraUser('b@contoso.co.jp', 'i2', 'B')],
      settings: { maxDeletionPercent: 10 },
    });
    const c = renderDryRunCard(ENGLISH, tripping, { downloadUrl: 'https://x/d' });
    expect(texts(c).join('\n')).toContain('A sync would be cancelled');
    expect(actions(c).map((x) => x.title)).not.toContain('Sync now');
  });
});

describe('renderConnectCard', () => {
  it('names each missing permission (from a fresh token) in both languages; a channel gets no consent link', () => {
    const input = {
      connected: false,
      reason: 'admin consent is missing for Organization.Read.All, GroupMember.Read.All',
      consentUrl: null,
      missing: ['Organization.Read.All', 'GroupMember.Read.All'],
      notePersonal: true,
    };
    const en = texts(renderConnectCard(ENGLISH, input)).join('\n');
    expect(en).toContain('User.ReadWrite.All\n✓ granted');
    expect(en).toContain('Organization.Read.All\n✗ not granted yet');
    expect(en).toContain('GroupMember.Read.All\n✗ not granted yet');
    expect(en).toContain('RoleManagement.Read.Directory\n✓ granted');
    expect(en).toContain('Missing: Organization.Read.All, GroupMember.Read.All.');
    expect(en).toContain('type connect in a personal chat with the bot');
    expect(JSON.stringify(renderConnectCard(ENGLISH, input))).not.toContain('Action.OpenUrl');
    const ja = texts(renderConnectCard(langFor('ja'), input)).join('\n');
    expect(ja).toContain('不足しているアクセス許可: Organization.Read.All, GroupMember.Read.All。');
    expect(ja).toContain('Organization.Read.All\n✗ 未付与');
    expect(ja).toContain('個人チャットで connect と入力');
  });
});

describe('progress, result and refusal cards', () => {
  it('progress shows "1,240 of 5,000" as text and who approved', () => {
    const c = renderProgressCard(ENGLISH, {
      title: 'Sync running',
      progress: { phase: 'writing', done: 1240, total: 5000 },
      approvedBy: 'Alex [x](y)',
      approvedAt: '2026-01-02T03:04:05Z',
    });
    const all = texts(c).join('\n');
    expect(all).toContain('1,240 of 5,000');
    expect(all).toContain('Approved by Alex \\[x\\]\\(y\\) at 2026-01-02 03:04 UTC');
  });

  it('the apply progress estimates the time left from the writing rate', () => {
    const writing = { phase: 'writing' as const, done: 1240, total: 5000 };
    // 1,000 written in 10 s since writing began: 3,760 left take about 38 s → "about 40 s".
    const ms = estimateMsLeft({ atMs: 0, done: 240 }, 10_000, writing);
    expect(ms).toBe(37_600);
    const c = renderProgressCard(ENGLISH, { title: 'Sync running', progress: writing, msLeft: ms });
    expect(texts(c).join('\n')).toContain('about 40 s left');
    expect(estimateMsLeft({ atMs: 0, done: 1240 }, 10_000, writing)).toBeNull();
    expect(estimateMsLeft(null, 10_000, writing)).toBeNull();
    expect(fmtTimeLeft(ENGLISH, 185_000)).toBe('about 3 min left');
    expect(texts(renderProgressCard(ENGLISH, { title: 'x', progress: writing })).join('\n')).not.toContain('left');
  });

  it('result lists failures with reasons and the run CSV link; its buttons are the next steps', () => {
    const run: RunRecord = {
      id: 'run-1',
      domain: 'contoso.co.jp',
      trigger: 'manual',
      requestedBy: 'Alex',
      approvedBy: 'Alex',
      planId: plan.id,
      planHash: plan.hash,
      startedAt: '2026-01-02T03:04:05.000Z',
      endedAt: '2026-01-02T03:05:10.000Z',
      status: 'partial',
      reason: '1 change(s) failed',
      planCounts: plan.counts,
      counts: { added: 1, updated: 1, deleted: 0, failed: 1 },
      deletion: plan.deletion,
      total: 3,
      sourceCount: 3,
      outcomes: [
        {
          action: 'Delete',
          upn: '[evil](https://x)@contoso.co.jp',
          immutableId: null,
          result: 'failed',
          errorKind: 'forbidden',
          errorCode: 'Authorization_RequestDenied',
          errorMessage: 'Insufficient privileges',
        },
      ],
    } as RunRecord;
    const c = renderResultCard(ENGLISH, run, { csvUrl: 'https://bot.example/downloads/run', approvedByName: 'Alex' });
    const all = texts(c).join('\n');
    expect(all).toContain('Approved by Alex at 2026-01-02 03:04 UTC');
    expect(all).toContain('Authorization\\_RequestDenied — Insufficient privileges');
    expect(all).not.toContain('[evil](https');
    expect(all).toContain('(https://bot.example/downloads/run)');
    expect(actions(c).map((a) => [a.title, a.data])).toEqual([
      ['Enable hourly sync', { verb: 'enable-hourly', domain: 'contoso.co.jp' }],
      ['Sync log', { verb: 'command', command: 'logs contoso.co.jp' }],
    ]);
  });

  it('a stale refusal offers Run dry run again for the domain', () => {
    const c = refusalCard(ENGLISH, { refused: true, code: 'stale-plan', reason: 'Entra ID changed' }, 'contoso.co.jp');
    expect(actions(c)).toEqual([
      {
        type: 'Action.Execute',
        title: 'Run dry run again',
        verb: 'preview',
        data: { verb: 'preview', domain: 'contoso.co.jp' },
      },
    ]);
  });

  it('help lists every command with an example', () => {
    const all = texts(renderHelpCard(ENGLISH)).join('\n');
    for (const verb of [
      'connect',
      'domains',
      'precheck',
      'preview',
      'import',
      'schedule',
      'pause',
      'notify',
      'logs',
      'status',
    ])
      expect(all).toContain(verb);
  });

  it('domains card: each domain with its state and the buttons of its next steps', () => {
    const c = renderDomainsCard(
      ENGLISH,
      [
        {
          domain: {
            id: 'contoso.co.jp',
            authenticationType: 'Federated',
            isVerified: true,
            isDefault: false,
            isInitial: false,
          },
          settings: settingsFixture({ maxDeletionPercent: 10 }),
          lastRun: null,
        },
        {
          domain: {
            id: 'fabrikam.jp',
            authenticationType: 'Federated',
            isVerified: true,
            isDefault: false,
            isInitial: false,
          },
          settings: null,
          lastRun: null,
        },
        {
          domain: {
            id: 'x.onmicrosoft.com',
            authenticationType: 'Managed',
            isVerified: true,
            isDefault: true,
            isInitial: true,
          },
          settings: null,
          lastRun: null,
        },
      ],
      { now: new Date('2026-01-01T00:00:00Z') },
    );
    const all = texts(c).join('\n');
    expect(all).toContain('**contoso.co.jp**');
    expect(all).toContain('10%');
    expect(all).toContain('not synced');
    // The tenant's initial domain is never synced (the service refuses it): it is named, with no Set up button.
    expect(all).toContain('initial domain');
    expect(all).toContain('is never synced');
    const sets = JSON.stringify(c).match(/"type":"ActionSet","actions":\[[^\]]*\]/g) ?? [];
    expect(sets).toHaveLength(2);
    const buttons = sets.map((set) =>
      (JSON.parse(`{${set}}`).actions as { title: string; data: Record<string, unknown> }[]).map((a) => [
        a.title,
        a.data,
      ]),
    );
    // A synced domain: Dry run, Settings, Sync log (Pause only once hourly sync is on).
    expect(buttons[0]).toEqual([
      ['Dry run', { verb: 'command', command: 'preview contoso.co.jp' }],
      ['Settings', { verb: 'setup-form', domain: 'contoso.co.jp' }],
      ['Sync log', { verb: 'command', command: 'logs contoso.co.jp' }],
    ]);
    // A domain not set up: Set up sync opens the form.
    expect(buttons[1]).toEqual([['Set up sync', { verb: 'setup-form', domain: 'fabrikam.jp' }]]);
    const hourly = renderDomainsCard(
      ENGLISH,
      [
        {
          domain: { id: 'a.jp', authenticationType: 'Managed', isVerified: true, isDefault: false, isInitial: false },
          settings: settingsFixture({ domain: 'a.jp', periodic: true, pausedUntil: '2026-01-02T00:00:00Z' }),
          lastRun: null,
        },
      ],
      { now: new Date('2026-01-01T00:00:00Z') },
    );
    expect(JSON.stringify(hourly)).toContain('"title":"Resume"');
    expect(texts(hourly).join('\n')).toContain('synced · paused');
  });
});
