// The sentences the sync core says (refusals, guard verdicts, plan notes, run reasons) as stable codes with values, and their English.

/**
 * What the core said, in a form a front end can put into any language: a stable code (a key of CORE_MESSAGES) and
 * the values its sentence names. A value may itself be a message (a phrase the sentence embeds) or a list of them
 * (joined with the language's separator). Directory values (UPNs, ids) and Graph's own error text stay as they are.
 */
export interface CoreMessage {
  readonly code: CoreMessageCode;
  readonly params: Readonly<Record<string, CoreMessageValue>>;
}
export type CoreMessageValue = string | number | CoreMessage | CoreMessageList;
/** Phrases joined by the language's separator (`separator.<join>`): a list of settings, of users. */
export interface CoreMessageList {
  readonly items: readonly CoreMessage[];
  readonly join: 'semicolon' | 'comma';
}

/**
 * The English of every code, `{{name}}` marking a value. This English is what the core puts into its text fields
 * (the CLI's --json, the plan CSV's Note column, the run log); the bot's English string table reads it from here too,
 * and the other languages translate it key by key (src/bot/cards/strings.<locale>.json, section `core`).
 */
export const CORE_MESSAGES = {
  'separator.semicolon': '; ',
  'separator.comma': ', ',
  joined: '{{first}}; {{second}}',
  none: 'none',

  'guard.emptySource':
    'cancelled: Access Control returned no users while Entra ID has {{inScope}} in the domain (allow a shrinking source to proceed)',
  'guard.sourceShrank':
    'cancelled: Access Control returned {{count}} users, fewer than half of the {{previous}} of the last run (allow a shrinking source to proceed)',
  'guard.maxDeletions': 'cancelled: deletions {{percent}}% reached the {{max}}% limit',
  'guard.maxCount': 'cancelled: {{count}} deletions exceed the cap of {{cap}} per run',

  'freshness.settings':
    "refused: the domain's settings changed since this dry run ({{what}}) ({{createdAt}}). Run preview again.",
  'freshness.settingsUnnamed':
    "refused: the domain's settings changed since this dry run ({{createdAt}}). Run preview again.",
  'freshness.olderVersion': 'the plan was made by an older version',
  'freshness.protectedAccounts': 'protected accounts',
  'freshness.onDelete': 'on delete ({{was}} → {{now}})',
  'freshness.usageLocation': 'usage location ({{was}} → {{now}})',
  'freshness.authenticationType': 'authentication type ({{was}} → {{now}})',
  'freshness.source': 'refused: Access Control changed since this dry run ({{createdAt}}). Run preview again.',
  'freshness.entra': 'refused: Entra ID changed since this dry run ({{createdAt}}). Run preview again.',
  'freshness.both':
    'refused: Access Control and Entra ID changed since this dry run ({{createdAt}}). Run preview again.',

  'refusal.unknownDomain': '{{domain}} is not a domain of this tenant. Tenant domains: {{known}}.',
  'refusal.unverifiedDomain':
    '{{domain}} is not verified in Entra ID. Verify it in the Microsoft 365 admin center (Settings → Domains) first.',
  'refusal.notConfigured': '{{domain}} is not set up for sync. Add it first: domain add {{domain}} max-deletions 10',
  'refusal.notConfiguredRemove': '{{domain}} is not set up for sync; nothing to remove.',
  'refusal.badMaxDeletions': 'max-deletions must be a percentage above 0 and at most 100 (got {{value}}).',
  'refusal.badDeletionCap': 'the deletion cap must be a whole number of users (got {{value}}).',
  'refusal.badUsageLocation':
    'usage-location must be a two-letter ISO 3166 country code such as JP or US (got "{{value}}"); "default" uses the organization\'s country.',
  'refusal.initialDomain': "{{domain}} is the tenant's initial domain; it holds cloud-only objects and is not synced.",
  'refusal.alreadySynced': '{{domain}} is already synced. Change it with: domain set {{domain}} max-deletions <pct>',
  'refusal.leaseHeld':
    'A sync of {{domain}} is already running (held by {{holder}}). Wait for it to finish, then try again.',
  'refusal.planUsed': 'This dry run was already applied (run {{runId}}, {{status}}). Run a new dry run to sync again.',
  'refusal.scheduledClaimedTwice': 'the scheduled plan was claimed twice',
  'refusal.planNotFound': 'No dry run with id {{planId}} exists (it may have been cancelled). Run preview again.',
  'refusal.hashMismatch': 'This approval does not match the stored dry run (hash mismatch). Run preview again.',
  'refusal.noInitialDomain': 'The tenant has no *.onmicrosoft.com initial domain.',
  'refusal.strandedAdoptions':
    'An interrupted run ({{runId}}) left {{users}} at a temporary onmicrosoft.com UPN while setting the Immutable ID. Apply that dry run again (plan {{planId}}) to finish it, then run a new dry run.',
  'refusal.strandedAdoptionsMore':
    'An interrupted run ({{runId}}) left {{users}} and {{more}} more at a temporary onmicrosoft.com UPN while setting the Immutable ID. Apply that dry run again (plan {{planId}}) to finish it, then run a new dry run.',
  'refusal.strandedUser': '{{upn}} (now {{via}})',

  'status.running': 'running',
  'status.completed': 'completed',
  'status.partial': 'partial',
  'status.cancelled': 'cancelled',
  'status.refused': 'refused',
  'status.failed': 'failed',
  'status.interrupted': 'interrupted',

  'conflict.sourceImmutableId': 'conflict: Immutable ID {{immutableId}} is used by more than one source user',
  'conflict.sourceUpn': 'conflict: UPN {{upn}} is used by more than one source user',
  'conflict.immutableIdHeld': 'conflict: Immutable ID {{immutableId}} is held by {{count}} Entra users',
  'conflict.holdsInvalidUpn': 'conflict: holds the UPN of invalid source user {{upn}}',
  'conflict.mailWantedTwice': 'conflict: mail {{mail}} is wanted by more than one source user',
  'conflict.mailOfNonSource': 'conflict: not in the source but has the mail {{mail}} that a source user needs',
  'conflict.mailHeld':
    'conflict: mail {{mail}} is already an e-mail address (proxyAddresses) of {{holder}} ({{holderId}}); Entra ID allows it on one object only',
  'conflict.restoreUpnWanted':
    'conflict: soft-deleted user {{deletedId}} with this Immutable ID comes back as {{upn}}, which another source user needs; restore or purge it by hand',
  'conflict.restoreTwice':
    'conflict: soft-deleted user {{deletedId}} comes back as {{upn}}, like another user restored in this run; restore one by hand',
  'conflict.upnHeld': 'conflict: UPN {{upn}} is held by {{holder}} ({{holderId}}), which keeps it in this run',
  'conflict.upnHeldForRestore':
    'conflict: UPN {{upn}} is held by {{holder}} ({{holderId}}), which keeps it in this run (needed to restore it)',
  'conflict.upnNotFreed': 'conflict: UPN {{upn}} cannot be freed in this run',
  'conflict.holdsSourceUpn':
    'conflict: not in the source but holds the UPN of source user {{upn}} (Immutable ID {{immutableId}})',
  'conflict.federatedNoStaging':
    "conflict: the Immutable ID of a user in a federated domain is set through the tenant's onmicrosoft.com domain, which was not found",
  invalid: 'invalid: {{errors}}',
  'source.upnRequired': 'userPrincipalName is required',
  'source.upnInvalid':
    'userPrincipalName "{{upn}}" is not a valid UPN (alias@domain, alias ≤ {{localMax}} of A–Z a–z 0–9 \' . - _ ! # ^ ~, ≤ {{max}} in all)',
  'source.upnOtherDomain': 'userPrincipalName "{{upn}}" is not in the domain {{domain}}',
  'source.emptyMailNickname': 'userPrincipalName "{{upn}}" gives an empty mailNickname',
  'source.immutableIdRequired': 'immutableId is required',
  'source.immutableIdCharacters': 'immutableId "{{immutableId}}" must not contain $, _ or white space',
  'source.tooLong': '{{field}} is longer than {{max}} characters',
  'source.displayNameRequired': 'displayName is required',
  'source.notText': '{{field}} must be text',
  'source.mailInvalid': 'mail "{{mail}}" is not an e-mail address',
  'source.accountEnabled': 'accountEnabled must be true or false',

  'precheck.nameContains': 'name contains "{{word}}"',
  'precheck.upnStartsWith': 'UPN starts with "{{prefix}}"',
  'precheck.noNameDisabled': 'no given name or surname and sign-in blocked (as for Exchange mailboxes)',
  'precheck.noName': 'no given name or surname',
  'precheck.person': 'looks like a person (has a given name or surname)',
  'precheck.notListed': 'not one of the objects the pre-check lists; nothing was changed',

  'run.interrupted': 'interrupted: the bot was stopped during the run; it resumes when the bot starts again',
  'run.stopped': 'stopped: {{message}}',
  'run.stoppedForbidden':
    'stopped: {{message}} — grant the app User.ReadWrite.All (application) with admin consent, then run again',
  'run.someFailed': '{{count}} change(s) failed; see the per-user outcomes',
  'run.notConfirmed':
    'the changes could not be confirmed in a fresh read of Entra ID; wait a minute before the next dry run',
  'run.notYetListed':
    "{{count}} change(s) were not yet shown by Graph's listings after {{seconds}} s; wait a few minutes before the next dry run, or it may show them again",
  'run.failed': 'failed: {{message}}. Apply the same plan again to resume.',
} as const;

export type CoreMessageCode = keyof typeof CORE_MESSAGES;

/** The values each code's sentence names, in the order they appear (what every translation must keep). */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!);
}

/** A message with its values. */
export const message = (code: CoreMessageCode, params: Record<string, CoreMessageValue> = {}): CoreMessage => ({
  code,
  params,
});

/** The message in English: the text the core stores beside it. */
export function english(m: CoreMessage): string {
  return CORE_MESSAGES[m.code].replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const v = m.params[name];
    if (v === undefined) return whole;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    if ('items' in v) return v.items.map(english).join(CORE_MESSAGES[`separator.${v.join}`]);
    return english(v);
  });
}

export const list = (items: readonly CoreMessage[], join: CoreMessageList['join']): CoreMessageList => ({
  items,
  join,
});

/** A message and its English text, for the core's result fields that keep both. */
export interface Said {
  readonly text: string;
  readonly message: CoreMessage;
}
export const say = (code: CoreMessageCode, params: Record<string, CoreMessageValue> = {}): Said => {
  const m = message(code, params);
  return { text: english(m), message: m };
};
