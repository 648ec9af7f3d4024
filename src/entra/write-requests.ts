// Turns the sync's meaning-level write ops into Graph requests (method, URL, body, a new user's password) and reads their answers.
import { randomBytes } from 'node:crypto';
import { OPTIONAL_STRINGS } from '../sync/mapping.js';
import type { WriteOp } from '../sync/ports.js';
import type { BatchRequestItem } from './graph-client.js';

/** The initial password of a created user, by its Immutable ID. */
export type PasswordSource = (immutableId: string) => string;

/** A strong initial password for a created user: never logged, never shown; federated users never use it. */
export function randomPassword(): string {
  return `Aa1!${randomBytes(24).toString('base64url')}`;
}

/** The body of `POST /users`: the required properties, the Immutable ID, a password profile, other non-empty values. */
function createBody(op: Extract<WriteOp, { kind: 'create' }>, passwordFor: PasswordSource): Record<string, unknown> {
  const a = op.attributes;
  const body: Record<string, unknown> = {
    accountEnabled: a.accountEnabled ?? true,
    displayName: a.displayName,
    mailNickname: a.mailNickname,
    userPrincipalName: op.userPrincipalName,
    onPremisesImmutableId: op.immutableId,
    passwordProfile: {
      // Federated users sign in at their identity provider; the cloud password is never used.
      forceChangePasswordNextSignIn: op.authenticationType === 'Managed',
      password: passwordFor(op.immutableId),
    },
  };
  // Optional attributes go only when they have a value (an empty one is what a new user has anyway).
  for (const key of OPTIONAL_STRINGS) {
    const v = a[key];
    if (v !== null && v !== undefined && v !== '') body[key] = v;
  }
  // A licence can only be assigned to a user with a usage location.
  if (op.usageLocation) body.usageLocation = op.usageLocation;
  return body;
}

const userUrl = (id: string) => `/users/${encodeURIComponent(id)}`;

/** The `$batch` item that performs `op`, under the batch-local id `id`. */
export function toBatchRequest(id: string, op: WriteOp, passwordFor: PasswordSource): BatchRequestItem {
  switch (op.kind) {
    case 'create':
      return { id, method: 'POST', url: '/users', body: createBody(op, passwordFor) };
    case 'update':
      return { id, method: 'PATCH', url: userUrl(op.userId), body: { ...op.attributes } };
    case 'disable':
      return { id, method: 'PATCH', url: userUrl(op.userId), body: { accountEnabled: false } };
    case 'delete':
      return { id, method: 'DELETE', url: userUrl(op.userId) };
    case 'restore':
      return { id, method: 'POST', url: `/directory/deletedItems/${encodeURIComponent(op.deletedId)}/restore` };
  }
}

/** The user a successful write was about: the new object's id for a create, the restored one's for a restore. */
export function userIdOf(op: WriteOp, body: unknown): string | null {
  const id = body && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
  switch (op.kind) {
    case 'create':
      return typeof id === 'string' ? id : null;
    case 'restore':
      return typeof id === 'string' ? id : op.deletedId;
    case 'update':
    case 'disable':
    case 'delete':
      return op.userId;
  }
}

/** Creates and restores are not idempotent: when their outcome is unknown they are reported, never re-sent. */
export const isIdempotent = (op: WriteOp): boolean => op.kind !== 'create' && op.kind !== 'restore';

/** A write to an existing user, whose 403 may be about that user rather than about the app. */
export const writesExistingUser = (op: WriteOp): op is Extract<WriteOp, { kind: 'update' | 'disable' | 'delete' }> =>
  op.kind === 'update' || op.kind === 'disable' || op.kind === 'delete';

/** The kind the metrics count a write under: a disable is the update it is on the wire. */
export const metricKind = (op: WriteOp): 'create' | 'update' | 'delete' | 'restore' =>
  op.kind === 'disable' ? 'update' : op.kind;
