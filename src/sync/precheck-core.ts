// Finds the Entra users a first sync would delete and marks the ones that look like rooms, shared mailboxes or services.
import { type CoreMessageCode, type CoreMessageValue, say } from './core-messages.js';
import { diff } from './diff.js';
import type { DomainSettings, DomainSnapshot, EntraUser } from './model.js';
import type { PrecheckCandidate } from './service-interface.js';

type Kind = NonNullable<PrecheckCandidate['likelyKind']>;

const ROOM_WORDS = ['room', 'rooms', 'rm', 'conf', 'conference', 'meeting', 'mtg', 'boardroom', 'facility', 'resource'];
const ROOM_JA = ['会議室', '応接室', '会議', 'ルーム', '打合せ', '打ち合わせ', '設備'];
const SERVICE_WORDS = [
  'svc',
  'service',
  'noreply',
  'no-reply',
  'donotreply',
  'do-not-reply',
  'bot',
  'daemon',
  'system',
  'scanner',
  'printer',
  'sync',
  'api',
  'batch',
  'automation',
];
const SERVICE_PREFIXES = ['svc-', 'svc_', 'svc.', 'sa-', 'app-'];
const SHARED_WORDS = [
  'info',
  'support',
  'sales',
  'contact',
  'help',
  'helpdesk',
  'office',
  'hr',
  'jobs',
  'recruit',
  'billing',
  'press',
  'marketing',
  'team',
  'shared',
  'inquiry',
  'admin',
  'postmaster',
];
const SHARED_JA = ['共有', '窓口', '問い合わせ', '問合せ', '代表', '総務'];

const localPart = (upn: string): string => upn.slice(0, Math.max(0, upn.lastIndexOf('@'))).toLowerCase();
const words = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

type Guess = Pick<PrecheckCandidate, 'why' | 'whyMessage'> & { likelyKind: Kind };

/** The evidence in English (`why`) and as a code with values (`whyMessage`). */
const because = (code: CoreMessageCode, params: Record<string, CoreMessageValue> = {}) => {
  const { text, message } = say(code, params);
  return { why: text, whyMessage: message };
};

/** What the object's name or UPN says it is (a room, a service account, a shared mailbox), or null. */
export function classifyByName(user: EntraUser): Guess | null {
  const local = localPart(user.userPrincipalName);
  const name = user.displayName ?? '';
  const tokens = new Set([...words(local), ...words(name)]);
  const hit = (list: readonly string[]): string | undefined => list.find((w) => tokens.has(w));
  const hitText = (list: readonly string[]): string | undefined =>
    list.find((w) => name.includes(w) || local.includes(w));
  const found = (kind: Kind, why: ReturnType<typeof because>): Guess => ({ likelyKind: kind, ...why });

  const room = hit(ROOM_WORDS) ?? hitText(ROOM_JA);
  if (room) return found('room', because('precheck.nameContains', { word: room }));
  const prefix = SERVICE_PREFIXES.find((p) => local.startsWith(p));
  if (prefix) return found('service-account', because('precheck.upnStartsWith', { prefix }));
  const service = hit(SERVICE_WORDS) ?? (local.includes('noreply') ? 'noreply' : undefined);
  if (service) return found('service-account', because('precheck.nameContains', { word: service }));
  const shared = hit(SHARED_WORDS) ?? hitText(SHARED_JA);
  if (shared) return found('shared-mailbox', because('precheck.nameContains', { word: shared }));
  return null;
}

/**
 * A guess at what kind of object `user` is, with the evidence; likelyKind null when it looks like a person. Beyond
 * the name, an object with neither given name nor surname is suspected too (weaker evidence, fine for a pre-check).
 */
export function classifyNonUser(user: EntraUser): Pick<PrecheckCandidate, 'likelyKind' | 'why' | 'whyMessage'> {
  const byName = classifyByName(user);
  if (byName) return byName;
  const noPersonName = !user.givenName && !user.surname;
  if (noPersonName && user.accountEnabled === false)
    return { likelyKind: 'shared-mailbox', ...because('precheck.noNameDisabled') };
  if (noPersonName) return { likelyKind: 'service-account', ...because('precheck.noName') };
  return { likelyKind: null, ...because('precheck.person') };
}

/** Entra users of the domain that a first sync (onDelete 'delete') would delete, each with a likely kind. */
export function precheckCandidates(
  snapshot: DomainSnapshot,
  settings: Pick<DomainSettings, 'protectedAccounts'> = { protectedAccounts: [] },
): PrecheckCandidate[] {
  const byId = new Map(snapshot.entra.map((u) => [u.id, u]));
  const out: PrecheckCandidate[] = [];
  for (const c of diff(snapshot, { protectedAccounts: settings.protectedAccounts, onDelete: 'delete' })) {
    if (c.action !== 'Delete') continue;
    const user = byId.get(c.entraId);
    if (user) out.push({ user, ...classifyNonUser(user) });
  }
  out.sort((a, b) =>
    a.user.userPrincipalName.toLowerCase() < b.user.userPrincipalName.toLowerCase()
      ? -1
      : a.user.userPrincipalName.toLowerCase() > b.user.userPrincipalName.toLowerCase()
        ? 1
        : 0,
  );
  return out;
}
