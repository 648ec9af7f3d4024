// Test helper: one or more sample cards of every template in src/bot/cards/, rendered in a given language.
import type { AdaptiveCardJson } from '../../src/bot/card-template.js';
import type { Lang } from '../../src/bot/i18n.js';
import { refusalCard, errorCard } from '../../src/bot/refusal-cards.js';
import {
  renderConnectCard,
  renderDomainsCard,
  renderDryRunCard,
  renderHelpCard,
  renderImportReportCard,
  renderMoveResultCard,
  renderPrecheckCard,
  renderPreviewAllCard,
  renderProgressCard,
  renderResultCard,
  renderSetupCard,
  renderStatusCard,
} from '../../src/bot/render-cards.js';
import { renderLogsCard, renderRunNotification } from '../../src/bot/render-logs.js';
import type { Refusal } from '../../src/sync/service-interface.js';
import type { RunRecord, RunStatus } from '../../src/sync/model.js';
import { entraUser, makePlan, settings } from './plan-fixture.js';

const NOW = new Date('2026-01-02T04:00:00.000Z');
const linkFor = (_kind: 'run', id: string) => `https://bot.example/downloads/${id}`;

export const galleryPlan = makePlan({
  source: [
    { userPrincipalName: 'new.hire@contoso.co.jp', immutableId: 'imm-new', displayName: '新入 社員' },
    { userPrincipalName: 'renamed@contoso.co.jp', immutableId: 'imm-ren', displayName: 'Renamed Person' },
    { userPrincipalName: 'same@contoso.co.jp', immutableId: 'imm-same', displayName: 'Same' },
  ],
  entra: [
    entraUser('renamed@contoso.co.jp', 'imm-ren', 'Old Name'),
    entraUser('same@contoso.co.jp', 'imm-same', 'Same'),
    entraUser('leaver@contoso.co.jp', 'imm-leaver', 'Leaver'),
    entraUser('room-1@contoso.co.jp', null, '会議室 1'),
    entraUser('ad.user@contoso.co.jp', 'imm-ad', 'AD User', { onPremisesSyncEnabled: true }),
    entraUser('guest@contoso.co.jp', null, 'Guest', { userType: 'Guest' }),
  ],
});

const trippingPlan = makePlan({
  source: [],
  entra: [entraUser('a@contoso.co.jp', 'i1', 'A'), entraUser('b@contoso.co.jp', 'i2', 'B')],
  settings: { maxDeletionPercent: 10, maxDeletionCount: 1 },
});

/** The gallery plan as a federated domain's adoption shows it: the UPN goes through onmicrosoft.com and back. */
const federatedPlan = {
  ...galleryPlan,
  changes: galleryPlan.changes.map((c) =>
    c.action === 'Update' ? { ...c, adopt: true, via: 'renamed.0a1b2c3d@contoso.onmicrosoft.com' } : c,
  ),
};

export function galleryRun(status: RunStatus, trigger: RunRecord['trigger'] = 'manual'): RunRecord {
  return {
    id: `run-${status}`,
    domain: 'contoso.co.jp',
    trigger,
    requestedBy: trigger === 'hourly' ? null : 'Alex',
    approvedBy: trigger === 'hourly' ? null : 'Alex',
    planId: galleryPlan.id,
    planHash: galleryPlan.hash,
    startedAt: '2026-01-02T03:04:05.000Z',
    endedAt: status === 'running' ? null : '2026-01-02T03:05:10.000Z',
    status,
    reason: status === 'completed' ? null : 'deletions 70% reached the 65% limit',
    planCounts: galleryPlan.counts,
    counts: { added: 1, updated: 1, deleted: 0, failed: status === 'partial' ? 12 : 0 },
    deletion: galleryPlan.deletion,
    total: 3,
    sourceCount: 3,
    outcomes: Array.from({ length: status === 'partial' ? 12 : 0 }, (_, i) => ({
      action: 'Update' as const,
      upn: `user${i}@contoso.co.jp`,
      immutableId: null,
      result: 'failed' as const,
      errorKind: 'forbidden' as const,
      errorCode: 'Authorization_RequestDenied',
      errorMessage: 'Insufficient privileges',
    })),
  } as RunRecord;
}

const REFUSALS: Refusal['code'][] = [
  'unknown-domain',
  'unverified-domain',
  'not-configured',
  'guard',
  'stale-plan',
  'plan-not-found',
  'plan-used',
  'lease-held',
  'not-connected',
  'bad-input',
];
const STATUSES: RunStatus[] = ['running', 'completed', 'partial', 'cancelled', 'refused', 'failed', 'interrupted'];

/** Sample cards by template name; every template in src/bot/cards/ must have at least one. */
export function gallery(lang: Lang): Record<string, AdaptiveCardJson[]> {
  const domainViews = [
    {
      domain: {
        id: 'contoso.co.jp',
        authenticationType: 'Federated',
        isVerified: true,
        isDefault: true,
        isInitial: false,
      },
      settings: settings({ periodic: true, pausedUntil: '2026-01-03T00:00:00.000Z', maxDeletionCount: 20 }),
      lastRun: galleryRun('completed'),
    },
    {
      domain: {
        id: 'fabrikam.jp',
        authenticationType: 'Managed',
        isVerified: true,
        isDefault: false,
        isInitial: false,
      },
      settings: null,
      lastRun: null,
    },
  ] as Parameters<typeof renderDomainsCard>[1];
  // What a card with a CSV link says under it (bot/index.ts builds the same from the link's lifetime).
  const sharedNote = lang.t('linkNote.shared', { ttl: lang.t('linkNote.minutes', { count: 15 }) });
  const personalNote = lang.t('linkNote.personal', { ttl: lang.t('linkNote.hours', { count: 1 }) });
  return {
    help: [renderHelpCard(lang), renderHelpCard(lang, { notice: 'x' })],
    connect: [
      renderConnectCard(lang, { connected: true }),
      renderConnectCard(lang, {
        connected: false,
        reason: 'admin consent is missing',
        consentUrl: null,
        missing: ['Organization.Read.All', 'GroupMember.Read.All'],
        notePersonal: true,
      }),
      renderConnectCard(lang, {
        connected: false,
        reason: 'consent missing',
        consentUrl: 'https://login.example/c',
        saved: {
          tenantId: 't',
          clientId: 'c',
          authorityHost: 'https://login.example',
          graphBaseUrl: 'https://g.example',
        },
      }),
    ],
    'preview-all': [
      renderPreviewAllCard(
        lang,
        [
          { domain: 'contoso.co.jp', plan: galleryPlan, downloadUrl: 'https://bot.example/d1' },
          { domain: 'fabrikam.jp', plan: trippingPlan, downloadUrl: 'https://bot.example/d2' },
          { domain: 'x.jp', refusal: 'not connected' },
        ],
        { now: NOW, linkNote: sharedNote },
      ),
      renderPreviewAllCard(lang, [], { now: NOW }),
    ],
    'domain-setup': [
      renderSetupCard(lang, {
        domain: 'fabrikam.jp',
        configured: false,
        values: { maxDeletionPercent: '10', onDelete: 'delete', protectedAccounts: '', usageLocation: '' },
      }),
      renderSetupCard(lang, {
        domain: 'contoso.co.jp',
        configured: true,
        values: {
          maxDeletionPercent: '0',
          onDelete: 'disable',
          protectedAccounts: 'a@contoso.co.jp\nb',
          usageLocation: 'ZZ',
        },
        error: lang.t('setup.errorMaxDeletions', { value: '0' }),
      }),
    ],
    domains: [renderDomainsCard(lang, domainViews, { now: NOW }), renderDomainsCard(lang, [], { now: NOW })],
    'dry-run': [
      renderDryRunCard(lang, galleryPlan, { downloadUrl: 'https://bot.example/d', requestedByName: 'Alex' }),
      renderDryRunCard(lang, trippingPlan, { downloadUrl: 'https://bot.example/d' }),
      renderDryRunCard(lang, federatedPlan, { downloadUrl: 'https://bot.example/d', linkNote: personalNote }),
    ],
    precheck: [
      renderPrecheckCard(lang, {
        domain: 'contoso.co.jp',
        initialDomain: 'contoso.onmicrosoft.com',
        candidates: [
          { user: entraUser('room-1@contoso.co.jp', null, '会議室 1'), likelyKind: 'room', why: 'mailbox' },
          { user: entraUser('x@contoso.co.jp', null, 'X'), likelyKind: null, why: 'not in Access Control' },
        ],
      }),
      renderPrecheckCard(lang, { domain: 'contoso.co.jp', initialDomain: 'contoso.onmicrosoft.com', candidates: [] }),
    ],
    progress: [
      renderProgressCard(lang, { title: 'x', progress: null }),
      ...(['reading-source', 'reading-entra', 'diffing', 'writing', 'done'] as const).map((phase) =>
        renderProgressCard(lang, {
          title: 'x',
          progress: { phase, done: 10, total: phase === 'reading-source' ? 0 : 100 },
          approvedBy: 'Alex',
          approvedAt: NOW.toISOString(),
          planHash: galleryPlan.hash,
          msLeft: 200_000,
        }),
      ),
    ],
    result: STATUSES.map((s) =>
      renderResultCard(lang, galleryRun(s), { csvUrl: 'https://bot.example/r', linkNote: sharedNote }),
    ),
    refusal: [
      ...REFUSALS.map((code) => refusalCard(lang, { refused: true, code, reason: 'r', detail: 'host-1' }, 'a.jp')),
      errorCard(lang, lang.t('what.sync'), new Error('boom'), '0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d'),
      ...['transient', 'throttled', 'forbidden', 'credential', 'directory'].map((kind) =>
        errorCard(
          lang,
          lang.t('what.dryRun'),
          Object.assign(new Error('x'), { kind }),
          '0b1c2d3e-4f50-4a1b-8c2d-3e4f5a6b7c8d',
        ),
      ),
    ],
    'import-report': [
      renderImportReportCard(lang, {
        applied: true,
        totalRows: 3,
        errors: [{ line: 2, field: 'mail', message: 'bad' }],
        domains: [{ domain: 'contoso.co.jp', added: 1, updated: 1, removed: 0, unchanged: 1 }],
      } as Parameters<typeof renderImportReportCard>[1]),
      renderImportReportCard(lang, {
        applied: false,
        totalRows: 3,
        errors: Array.from({ length: 20 }, (_, i) => ({ line: i + 2, field: null, message: 'bad' })),
        domains: [],
      } as unknown as Parameters<typeof renderImportReportCard>[1]),
    ],
    message: [
      renderMoveResultCard(
        lang,
        'contoso.co.jp',
        {
          moved: [{ id: '1', from: 'a@contoso.co.jp', to: 'a@contoso.onmicrosoft.com' }],
          failed: [{ id: '2', upn: 'b@contoso.co.jp', reason: 'x' }],
        },
        'Alex',
      ),
    ],
    status: [
      renderStatusCard(lang, {
        connection: { connected: false, reason: 'no consent' },
        settings: [settings({ pausedUntil: '2026-01-03T00:00:00.000Z' }), settings({ domain: 'b.jp' })],
        lastRuns: new Map([['contoso.co.jp', galleryRun('completed')]]),
        destinations: new Map([['contoso.co.jp', true]]),
        now: NOW,
      }),
    ],
    logs: [
      renderLogsCard(
        lang,
        STATUSES.map((s) => galleryRun(s, s === 'cancelled' ? 'hourly' : 'manual')),
        {
          linkFor,
          now: NOW,
          listed: 3,
        },
      ),
      renderLogsCard(lang, [galleryRun('completed')], {
        domain: 'contoso.co.jp',
        linkFor,
        linkNote: personalNote,
        now: NOW,
      }),
      renderLogsCard(lang, [], { linkFor, now: NOW }),
    ],
    'run-notification': (['hourly', 'manual', 'cli'] as const).flatMap((trigger) =>
      STATUSES.map((s) =>
        renderRunNotification(lang, galleryRun(s, trigger), settings(), { linkFor, linkNote: sharedNote }),
      ),
    ),
  };
}
