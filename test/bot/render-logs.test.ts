// The sync-log card and the run-notification card: content, chart of the last 24 runs, escaping, guard details.
import { describe, expect, it } from 'vitest';
import { fmtDuration, formatDuration } from '../../src/bot/card-format.js';
import { renderLogsCard, renderRunNotification, shouldNotify } from '../../src/bot/render-logs.js';
import type { DomainSettings, RunRecord, UserOutcome } from '../../src/sync/model.js';
import { settingsFor } from '../schedule/fixtures.js';
import { ENGLISH, langFor } from '../../src/bot/i18n.js';

const T0 = Date.parse('2026-01-05T00:20:00.000Z');
const linkFor = (kind: 'run', id: string) =>
  `https://bot.example.com/downloads/${kind}/${encodeURIComponent(id)}?sig=abc`;

function run(i: number, patch: Partial<RunRecord> = {}): RunRecord {
  const started = T0 + i * 3_600_000;
  return {
    id: `run-${String(i).padStart(3, '0')}`,
    domain: i % 2 === 0 ? 'contoso.co.jp' : 'fabrikam.jp',
    trigger: 'hourly',
    requestedBy: 'scheduler',
    approvedBy: 'periodic sync',
    planId: `plan-${i}`,
    planHash: 'f'.repeat(64),
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(started + 65_000).toISOString(),
    status: 'completed',
    reason: null,
    planCounts: null,
    counts: { added: i, updated: i * 2, deleted: i % 3, failed: 0 },
    deletion: null,
    total: i * 3,
    outcomes: [],
    ...patch,
  };
}

const settings = (notify: DomainSettings['notify'] = 'changes-only'): DomainSettings =>
  settingsFor('contoso.co.jp', { notify, updatedAt: new Date(T0).toISOString() });

type Node = Record<string, unknown>;
const walk = (node: unknown, visit: (n: Node) => void) => {
  if (Array.isArray(node)) for (const n of node) walk(n, visit);
  else if (node && typeof node === 'object') {
    visit(node as Node);
    for (const v of Object.values(node)) walk(v, visit);
  }
};
const texts = (card: unknown) => {
  const out: string[] = [];
  walk(card, (n) => {
    if (typeof n.text === 'string') out.push(n.text);
    if (typeof n.title === 'string') out.push(n.title);
    if (typeof n.value === 'string') out.push(n.value);
  });
  return out.join('\n');
};
const find = (card: unknown, type: string) => {
  const out: Node[] = [];
  walk(card, (n) => {
    if (n.type === type) out.push(n);
  });
  return out;
};

describe('logs card', () => {
  const runs = Array.from({ length: 30 }, (_, i) => run(i));
  const card = renderLogsCard(ENGLISH, runs, { linkFor, now: new Date(T0 + 40 * 3_600_000) });

  it('charts the adds, updates and deletes of the last 24 runs, oldest first', () => {
    const [chart] = find(card, 'Chart.VerticalBar.Grouped');
    expect(chart).toBeDefined();
    const data = chart!.data as { legend: string; values: { x: string; y: number }[] }[];
    expect(data.map((s) => s.legend)).toEqual(['Added', 'Updated', 'Deleted']);
    for (const s of data) expect(s.values).toHaveLength(24);
    const last24 = runs.slice(6);
    expect(data[0]!.values.map((v) => v.y)).toEqual(last24.map((r) => r.counts.added));
    expect(data[1]!.values.map((v) => v.y)).toEqual(last24.map((r) => r.counts.updated));
    expect(data[2]!.values.map((v) => v.y)).toEqual(last24.map((r) => r.counts.deleted));
    expect(new Set(data[0]!.values.map((v) => v.x)).size).toBe(24);
    expect((chart!.fallback as Node).type).toBe('TextBlock');
  });

  it('lists the latest runs newest first with status, trigger, who, counts, duration and a CSV link each', () => {
    const text = texts(card);
    expect(text).toContain('Sync log: all domains');
    expect(text).toContain('Latest 10 of 30 runs');
    const links = [...text.matchAll(/\(https:\/\/bot\.example\.com\/downloads\/run\/(run-\d+)\?sig=abc\)/g)].map(
      (m) => m[1],
    );
    expect(links).toEqual(Array.from({ length: 10 }, (_, k) => `run-${String(29 - k).padStart(3, '0')}`));
    expect(text).toContain('Periodic sync');
    expect(text).toContain('periodic sync (scheduler)');
    expect(text).toContain('+29 added · 58 updated · −2 deleted · 0 failed');
    expect(text).toContain('1 min 05 s');
    expect(text).toContain('Completed · fabrikam.jp');
    expect(text).toContain('20 older run(s) not listed');
  });

  it('escapes directory values and shows manual runs with who asked and approved', () => {
    const manual = run(1, {
      trigger: 'manual',
      requestedBy: '[click](https://evil.example)',
      approvedBy: 'Taro *Yamada*',
      approvedById: '0b5c2c4e-1f7d-4e8b-9c1a-2d3e4f5a6b7c',
      status: 'refused',
      reason: 'the plan is stale: run preview again for <b>contoso</b>',
      endedAt: null,
    });
    const c = renderLogsCard(ENGLISH, [manual], {
      domain: 'contoso.co.jp',
      linkFor,
      now: new Date(T0 + 3_600_000 + 90_000),
    });
    const text = texts(c);
    expect(text).toContain('Sync log: contoso.co.jp');
    expect(text).toContain('requested by \\[click\\]\\(https:\u2060//evil.example\\)');
    expect(text).not.toContain('[click](https://evil');
    expect(text).toContain('approved by Taro \\*Yamada\\* (0b5c2c4e-1f7d-4e8b-9c1a-2d3e4f5a6b7c)');
    expect(text).toContain('\\<b\\>contoso\\</b\\>');
    expect(text).toContain('Refused (stale plan)');
    expect(text).toContain('30 s so far');
  });

  it('says so when there is no run', () => {
    const c = renderLogsCard(ENGLISH, [], { domain: 'contoso.co.jp', linkFor, now: new Date(T0) });
    expect(texts(c)).toContain('No sync has run for contoso.co.jp yet.');
    expect(find(c, 'Chart.VerticalBar.Grouped')).toHaveLength(0);
  });
});

describe('run notification', () => {
  const failure = (n: number): UserOutcome => ({
    action: 'Update',
    upn: `user${n}@contoso.co.jp`,
    immutableId: `imm-${n}`,
    result: 'failed',
    errorKind: 'bad_request',
    errorCode: 'Request_BadRequest',
    errorMessage: `Property mobilePhone is invalid (${n})`,
  });

  it('shows counts, duration, the first ten failures and the CSV link', () => {
    const r = run(2, {
      status: 'partial',
      counts: { added: 3, updated: 12, deleted: 1, failed: 15 },
      outcomes: [
        ...Array.from({ length: 15 }, (_, n) => failure(n)),
        { action: 'Add', upn: 'ok@contoso.co.jp', immutableId: 'x', result: 'done' },
      ],
    });
    const card = renderRunNotification(ENGLISH, r, settings(), { linkFor });
    const text = texts(card);
    expect(text).toContain('Periodic sync of contoso.co.jp: partially completed');
    expect(text).toContain('Failures (15)');
    for (let n = 0; n < 10; n++) expect(text).toContain(`user${n}@contoso.co.jp: Request\\_BadRequest: Property`);
    expect(text).not.toContain('user10@contoso.co.jp');
    expect(text).toContain('and 5 more');
    expect(text).toContain('1 min 05 s');
    expect(text).toContain('(https://bot.example.com/downloads/run/run-002?sig=abc)');
    expect((card as Node).actions ?? []).toEqual([]);
  });

  it('for a run the guard cancelled: the deletion share against the limit, Run dry run and Sync log', () => {
    const r = run(4, {
      status: 'cancelled',
      reason: 'max allowed deletions reached: 12% ≥ 10%',
      counts: { added: 0, updated: 0, deleted: 0, failed: 0 },
      deletion: { count: 12, inScope: 100, percent: 12, maxPercent: 10, maxCount: null, wouldCancel: true },
    });
    const card = renderRunNotification(ENGLISH, r, settings(), { linkFor });
    const text = texts(card);
    expect(text).toContain('cancelled by the guard');
    expect(text).toContain('would delete 12 of 100 users (12%); the limit is 10%');
    const actions = (card as Node).actions as Node[];
    expect(actions.map((a) => [a.type, a.title, a.verb, a.data])).toEqual([
      ['Action.Execute', 'Run dry run', 'preview', { verb: 'preview', domain: 'contoso.co.jp' }],
      ['Action.Execute', 'Sync log', 'logs', { verb: 'logs', domain: 'contoso.co.jp' }],
    ]);
  });

  it('follows the notify setting: changes-only by default, failures always', () => {
    const quiet = run(0, { counts: { added: 0, updated: 0, deleted: 0, failed: 0 } });
    const busy = run(3);
    const failed = run(5, { status: 'failed', counts: { added: 0, updated: 0, deleted: 0, failed: 0 } });
    const cancelled = run(6, { status: 'cancelled' });
    expect([quiet, busy, failed, cancelled].map((r) => shouldNotify(r, undefined))).toEqual([false, true, true, true]);
    expect([quiet, busy, failed, cancelled].map((r) => shouldNotify(r, 'changes-only'))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect([quiet, busy, failed, cancelled].map((r) => shouldNotify(r, 'always'))).toEqual([true, true, true, true]);
    expect([quiet, busy, failed, cancelled].map((r) => shouldNotify(r, 'failures-only'))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(shouldNotify(run(7, { status: 'running', endedAt: null }), 'always')).toBe(false);
  });

  it('formats durations', () => {
    expect([850, 42_000, 185_000, 3_720_000].map((ms) => formatDuration(ENGLISH, ms))).toEqual([
      '850 ms',
      '42 s',
      '3 min 05 s',
      '1 h 02 min',
    ]);
  });

  it("formats the result card's durations unpadded and in whole seconds, in the reader's language", () => {
    const ja = langFor('ja');
    const cases = [850, 42_000, 185_000, 3_720_000];
    expect(cases.map((ms) => formatDuration(ENGLISH, ms, 'card'))).toEqual(['1 s', '42 s', '3 min 5 s', '1 h 2 min']);
    expect(cases.map((ms) => formatDuration(ja, ms, 'card'))).toEqual(['1 秒', '42 秒', '3 分 5 秒', '1 時間 2 分']);
    expect(cases.map((ms) => formatDuration(ja, ms))).toEqual(['850 ミリ秒', '42 秒', '3 分 05 秒', '1 時間 02 分']);
    expect(fmtDuration(ENGLISH, '2026-11-26T15:00:00Z', '2026-11-26T15:03:05Z')).toBe('3 min 5 s');
    expect(fmtDuration(ENGLISH, '2026-11-26T15:00:00Z', null)).toBe('—');
    expect(formatDuration(ENGLISH, -1)).toBe('—');
  });
});
