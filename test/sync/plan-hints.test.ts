// Deletes that look like rooms, shared mailboxes or service accounts are flagged in the plan, its CSV and the dry-run card.
import { describe, expect, it } from 'vitest';
import { renderDryRunCard } from '../../src/bot/render-cards.js';
import { buildPlan } from '../../src/sync/plan.js';
import { planCsv } from '../../src/sync/plan-csv.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';

const people = [
  {
    userPrincipalName: `taro.yamada@${DOMAIN}`,
    immutableId: 'VEFSTw',
    displayName: '山田 太郎',
    givenName: '太郎',
    surname: '山田',
  },
];

function planWithLeavers() {
  return buildPlan(
    snapshot({
      source: people,
      entra: [
        entraUser({
          id: 'p1',
          userPrincipalName: `taro.yamada@${DOMAIN}`,
          onPremisesImmutableId: 'VEFSTw',
          displayName: '山田 太郎',
          givenName: '太郎',
          surname: '山田',
          mailNickname: 'taro.yamada',
        }),
        entraUser({ id: 'r1', userPrincipalName: `room-3f-large@${DOMAIN}`, displayName: '会議室 3F 大' }),
        entraUser({ id: 's1', userPrincipalName: `info@${DOMAIN}`, displayName: 'Info' }),
        entraUser({
          id: 'l1',
          userPrincipalName: `hanako.sato@${DOMAIN}`,
          onPremisesImmutableId: 'SEFOQUtP',
          displayName: '佐藤 花子',
          givenName: '花子',
          surname: '佐藤',
        }),
      ],
    }),
    settings({ maxDeletionPercent: 100 }),
    { id: 'plan-hints', now: '2026-11-26T00:00:00.000Z', createdBy: null },
  );
}

describe('non-user objects among the deletes', () => {
  it('flags the room and the shared mailbox, not the person who left', () => {
    const plan = planWithLeavers();
    const deletes = plan.changes.filter((c) => c.action === 'Delete');
    expect(deletes).toHaveLength(3);
    const hint = (upn: string) => deletes.find((c) => c.upn === upn)?.nonUserHint ?? null;
    expect(hint(`room-3f-large@${DOMAIN}`)).toMatch(/room/);
    expect(hint(`info@${DOMAIN}`)).toMatch(/shared mailbox/);
    expect(hint(`hanako.sato@${DOMAIN}`)).toBeNull();
  });

  it('says so in the CSV Note and on the dry-run card', () => {
    const plan = planWithLeavers();
    const roomRow = planCsv(plan)
      .split('\r\n')
      .find((l) => l.includes('room-3f-large'));
    expect(roomRow).toMatch(/run precheck to move it/);
    const card = JSON.stringify(renderDryRunCard(plan, { downloadUrl: 'https://bot.example/downloads/x' }));
    expect(card).toContain(`2 of the deletes look like rooms, shared mailboxes or service accounts`);
    expect(card).toContain(`precheck ${DOMAIN}`);
  });

  it('puts no warning on a card whose deletes are all people', () => {
    const plan = buildPlan(
      snapshot({
        source: people,
        entra: [
          entraUser({
            id: 'l1',
            userPrincipalName: `hanako.sato@${DOMAIN}`,
            onPremisesImmutableId: 'SEFOQUtP',
            displayName: '佐藤 花子',
            givenName: '花子',
            surname: '佐藤',
          }),
        ],
      }),
      settings({ maxDeletionPercent: 100 }),
      { id: 'plan-people', now: '2026-11-26T00:00:00.000Z', createdBy: null },
    );
    const card = JSON.stringify(renderDryRunCard(plan, { downloadUrl: 'https://bot.example/downloads/x' }));
    expect(card).not.toContain('look like rooms');
  });
});
