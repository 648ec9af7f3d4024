// Tests of the pre-check: which Entra users a first sync would delete, and the non-user heuristics.
import { describe, expect, it } from 'vitest';
import { classifyNonUser, precheckCandidates } from '../../src/sync/precheck-core.js';
import { DOMAIN, entraUser, snapshot } from './fixtures.js';

const u = (id: string, local: string, extra = {}) =>
  entraUser({ id, userPrincipalName: `${local}@${DOMAIN}`, givenName: 'Hanako', surname: 'Sato', ...extra });

describe('precheck', () => {
  it('lists only the users a first sync would delete, each classified', () => {
    const snap = snapshot({
      source: [{ userPrincipalName: `hanako@${DOMAIN}`, immutableId: 'I1', displayName: 'Hanako' }],
      entra: [
        u('1', 'hanako', { onPremisesImmutableId: 'I1' }),
        u('2', 'room-3f', { displayName: '3F 大会議室', givenName: null, surname: null }),
        u('3', 'info', { displayName: 'Info', givenName: null, surname: null }),
        u('4', 'svc-backup', { displayName: 'Backup' }),
        u('5', 'someone', { displayName: 'Someone Else' }),
        u('6', 'adsync', { onPremisesSyncEnabled: true }),
      ],
    });
    const found = precheckCandidates(snap).map((c) => [c.user.id, c.likelyKind]);
    expect(found).toEqual([
      ['3', 'shared-mailbox'],
      ['2', 'room'],
      ['5', null],
      ['4', 'service-account'],
    ]);
  });

  it('explains each guess', () => {
    expect(classifyNonUser(u('1', 'taikai', { displayName: '第一会議室' }))).toEqual({
      likelyKind: 'room',
      why: 'name contains "会議室"',
      whyMessage: { code: 'precheck.nameContains', params: { word: '会議室' } },
    });
    expect(classifyNonUser(u('1', 'noreply'))).toMatchObject({ likelyKind: 'service-account' });
    expect(classifyNonUser(u('1', 'support', { displayName: 'Support' }))).toMatchObject({
      likelyKind: 'shared-mailbox',
    });
    expect(classifyNonUser(u('1', 'x', { givenName: null, surname: null, accountEnabled: false }))).toMatchObject({
      likelyKind: 'shared-mailbox',
    });
    expect(classifyNonUser(u('1', 'hanako.sato', { displayName: 'Hanako Sato' })).likelyKind).toBeNull();
  });
});
