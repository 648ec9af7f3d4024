// Deletes that look like rooms, shared mailboxes or service accounts are flagged in the plan, its CSV and the dry-run card.
import { describe, expect, it } from 'vitest';
import { renderDryRunCard } from '../../src/bot/render-plan-cards.js';
import type { EntraUser } from '../../src/sync/model.js';
import { buildPlan } from '../../src/sync/plan.js';
import { planCsv } from '../../src/sync/plan-csv.js';
import { DOMAIN, entraUser, settings, snapshot } from './fixtures.js';
import { ENGLISH } from '../../src/bot/i18n.js';

const taro = { upn: `taro.yamada@${DOMAIN}`, immutableId: 'VEFSTw', given: '太郎', surname: '山田' };
const source = [
  {
    userPrincipalName: taro.upn,
    immutableId: taro.immutableId,
    displayName: '山田 太郎',
    givenName: taro.given,
    surname: taro.surname,
  },
];
const inEntra = entraUser({
  id: 'p1',
  userPrincipalName: taro.upn,
  onPremisesImmutableId: taro.immutableId,
  displayName: '山田 太郎',
  givenName: taro.given,
  surname: taro.surname,
  mailNickname: 'taro.yamada',
});
/** A person who left Access Control: a plain delete, no hint. */
const leaver = entraUser({
  id: 'l1',
  userPrincipalName: `hanako.sato@${DOMAIN}`,
  onPremisesImmutableId: 'SEFOQUtP',
  displayName: '佐藤 花子',
  givenName: '花子',
  surname: '佐藤',
});
const room = entraUser({ id: 'r1', userPrincipalName: `room-3f-large@${DOMAIN}`, displayName: '会議室 3F 大' });
const mailbox = entraUser({ id: 's1', userPrincipalName: `info@${DOMAIN}`, displayName: 'Info' });

const planOf = (entra: EntraUser[]) =>
  buildPlan(snapshot({ source, entra: [inEntra, ...entra] }), settings({ maxDeletionPercent: 100 }), {
    id: 'plan-hints',
    now: '2026-11-26T00:00:00.000Z',
    createdBy: null,
  });
const cardOf = (entra: EntraUser[]) =>
  JSON.stringify(renderDryRunCard(ENGLISH, planOf(entra), { downloadUrl: 'https://bot.example/downloads/x' }));

describe('non-user objects among the deletes', () => {
  it('flags the room and the shared mailbox, not the person who left', () => {
    const deletes = planOf([room, mailbox, leaver]).changes.filter((c) => c.action === 'Delete');
    expect(deletes).toHaveLength(3);
    const hint = (upn: string) => deletes.find((c) => c.upn === upn)?.nonUserHint ?? null;
    expect(hint(room.userPrincipalName)).toMatch(/room/);
    expect(hint(mailbox.userPrincipalName)).toMatch(/shared mailbox/);
    expect(hint(leaver.userPrincipalName)).toBeNull();
  });

  it('says so in the CSV Note and on the dry-run card', () => {
    const roomRow = planCsv(planOf([room, mailbox, leaver]))
      .split('\r\n')
      .find((l) => l.includes('room-3f-large'));
    expect(roomRow).toMatch(/run precheck to move it/);
    const card = cardOf([room, mailbox, leaver]);
    expect(card).toContain('2 of the deletes look like rooms, shared mailboxes or service accounts');
    expect(card).toContain(`precheck ${DOMAIN}`);
  });

  it('puts no warning on a card whose deletes are all people', () => {
    expect(cardOf([leaver])).not.toContain('look like rooms');
  });
});
