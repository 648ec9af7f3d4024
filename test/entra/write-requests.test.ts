// Tests of write op → Graph request: methods, URLs, create bodies with the password profile, disable, restore, answers.
import { describe, expect, it } from 'vitest';
import { isIdempotent, randomPassword, toBatchRequest, userIdOf } from '../../src/entra/write-requests.js';
import { createOp } from './helpers/ops.js';

const pw = (id: string) => `secret-for-${id}`;

describe('toBatchRequest', () => {
  it('creates with the required properties, the Immutable ID, non-empty optional values and the given password', () => {
    const federated = createOp('a:IA', 'a@contoso.co.jp', 'IA', { displayName: 'a', givenName: '太郎' }, 'Federated');
    expect(toBatchRequest('1', { ...federated, attributes: { ...federated.attributes, jobTitle: '' } }, pw)).toEqual({
      id: '1',
      method: 'POST',
      url: '/users',
      body: {
        accountEnabled: true,
        displayName: 'a',
        mailNickname: 'a',
        userPrincipalName: 'a@contoso.co.jp',
        onPremisesImmutableId: 'IA',
        passwordProfile: { forceChangePasswordNextSignIn: false, password: 'secret-for-IA' },
        givenName: '太郎',
      },
    });
    const managed = { ...createOp('a:IB', 'b@contoso.co.jp', 'IB'), usageLocation: 'JP' };
    expect(toBatchRequest('2', managed, pw).body).toMatchObject({
      passwordProfile: { forceChangePasswordNextSignIn: true, password: 'secret-for-IB' },
      usageLocation: 'JP',
    });
  });

  it('patches the attributes of an update, disables with accountEnabled false, deletes and restores by id', () => {
    expect(
      toBatchRequest(
        '1',
        { opId: 'u:e/1', phase: 0, kind: 'update', userId: 'e/1', attributes: { jobTitle: 'x' } },
        pw,
      ),
    ).toEqual({ id: '1', method: 'PATCH', url: '/users/e%2F1', body: { jobTitle: 'x' } });
    expect(toBatchRequest('2', { opId: 'd:e2', phase: 0, kind: 'disable', userId: 'e2' }, pw)).toEqual({
      id: '2',
      method: 'PATCH',
      url: '/users/e2',
      body: { accountEnabled: false },
    });
    expect(toBatchRequest('3', { opId: 'd:e3', phase: 0, kind: 'delete', userId: 'e3' }, pw)).toEqual({
      id: '3',
      method: 'DELETE',
      url: '/users/e3',
    });
    expect(toBatchRequest('4', { opId: 'r:d1', phase: 0, kind: 'restore', deletedId: 'd1' }, pw)).toEqual({
      id: '4',
      method: 'POST',
      url: '/directory/deletedItems/d1/restore',
    });
  });
});

describe('answers', () => {
  it('takes the new id of a create, the restored id of a restore, the target of the others', () => {
    expect(userIdOf(createOp('a:I', 'a@x.jp', 'I'), { id: 'n1' })).toBe('n1');
    expect(userIdOf(createOp('a:I', 'a@x.jp', 'I'), null)).toBeNull();
    expect(userIdOf({ opId: 'r:d', phase: 0, kind: 'restore', deletedId: 'd' }, {})).toBe('d');
    expect(userIdOf({ opId: 'd:e', phase: 0, kind: 'disable', userId: 'e' }, null)).toBe('e');
  });

  it('re-sends only writes that are safe to repeat', () => {
    expect(isIdempotent(createOp('a:I', 'a@x.jp', 'I'))).toBe(false);
    expect(isIdempotent({ opId: 'r:d', phase: 0, kind: 'restore', deletedId: 'd' })).toBe(false);
    expect(isIdempotent({ opId: 'd:e', phase: 0, kind: 'disable', userId: 'e' })).toBe(true);
  });

  it('makes a fresh strong password each time', () => {
    const a = randomPassword();
    expect(a).toMatch(/^Aa1!.{32}$/);
    expect(randomPassword()).not.toBe(a);
  });
});
