// View models of the console cards: message, help, refusal, connect, domains, domain set-up and status.
import { REQUIRED_PERMISSIONS } from '../entra/admin-consent.js';
import type { DomainSettings, RunRecord } from '../sync/model.js';
import type { DomainView } from '../sync/service-interface.js';
import { commandAction, type ExecuteAction, fmtTime, onOff } from './card-format.js';
import { type AdaptiveCardJson, renderTemplate } from './card-template.js';
import { COMMAND_EXAMPLES } from './command-parser.js';
import { escapeCardText as esc, plainCardText } from './escape.js';
import type { Lang } from './i18n.js';

export interface MessageCardInput {
  readonly title: string;
  readonly text?: string;
  readonly color?: 'Default' | 'Good' | 'Warning' | 'Attention' | 'Accent';
  readonly facts?: readonly { title: string; value: string }[];
  readonly lines?: readonly string[];
  readonly actions?: readonly ExecuteAction[];
}

/**
 * A general card. `title`, `text`, fact values and lines are treated as markdown written by the bot (sentences
 * from the string tables): callers escape any directory value they put in them (escape.ts).
 */
export function renderMessageCard(input: MessageCardInput): AdaptiveCardJson {
  return renderTemplate('message', {
    title: input.title,
    text: input.text ?? '',
    color: input.color ?? 'Default',
    facts: (input.facts ?? []).map((f) => ({ title: f.title, value: f.value })),
    lines: [...(input.lines ?? [])],
    actions: (input.actions ?? []).map((a) => ({
      title: plainCardText(a.title, 40),
      verb: a.verb,
      data: { ...a.data, verb: a.verb },
    })),
  });
}

export function renderHelpCard(lang: Lang, options: { notice?: string } = {}): AdaptiveCardJson {
  const steps = [
    commandAction(lang.t('buttons.connect'), 'connect'),
    commandAction(lang.t('buttons.domains'), 'domains'),
    commandAction(lang.t('buttons.previewAll'), 'preview all'),
    commandAction(lang.t('buttons.status'), 'status'),
    commandAction(lang.t('buttons.syncLog'), 'logs'),
  ];
  return renderTemplate('help', {
    s: lang.s,
    notice: options.notice ?? '',
    actions: steps.map((a) => ({ title: plainCardText(a.title, 40), verb: a.verb, data: { ...a.data, verb: a.verb } })),
    commands: COMMAND_EXAMPLES.map((c) => ({ usage: esc(c.usage, 200), example: esc(c.example, 200) })),
  });
}

export function renderRefusalCard(
  lang: Lang,
  input: {
    title: string;
    reason: string;
    hint?: string;
    rerunDomain?: string | null;
  },
): AdaptiveCardJson {
  return renderTemplate('refusal', {
    s: lang.s,
    title: plainCardText(input.title, 120),
    reason: esc(input.reason, 600),
    hint: input.hint ? esc(input.hint, 300) : '',
    rerunDomain: input.rerunDomain ?? '',
  });
}

/** The saved connection (the console's "Use saved data"): which tenant and app the bot signs in as. */
export interface SavedConnection {
  readonly tenantId: string | null;
  readonly clientId: string | null;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
}

/**
 * The `connect` card: status, the saved connection, and each required Graph permission with whether a fresh token
 * carries it (`missing` names those it lacks; without it, all are granted or none). `notePersonal` replaces the
 * consent button where the link must not be posted (a channel or group chat).
 */
export function renderConnectCard(
  lang: Lang,
  input: {
    connected: boolean;
    reason?: string;
    consentUrl?: string | null;
    saved?: SavedConnection | null;
    /** The permissions a fresh token lacks, by name (from its `roles` claim). */
    missing?: readonly string[];
    notePersonal?: boolean;
  },
): AdaptiveCardJson {
  const saved = input.saved;
  const missing = new Set(input.missing ?? (input.connected ? [] : REQUIRED_PERMISSIONS.map((p) => p.name)));
  return renderTemplate('connect', {
    s: lang.s,
    note: !input.connected && input.notePersonal ? lang.t('connect.personalOnly') : '',
    saved: saved
      ? [
          { title: lang.t('connect.tenant'), value: esc(saved.tenantId ?? '—', 80) },
          { title: lang.t('connect.app'), value: esc(saved.clientId ?? '—', 80) },
          { title: lang.t('connect.signIn'), value: esc(saved.authorityHost, 120) },
          { title: lang.t('connect.graph'), value: esc(saved.graphBaseUrl, 120) },
        ]
      : [],
    permissions: REQUIRED_PERMISSIONS.map((p) => ({
      name: p.name,
      state: lang.t(missing.has(p.name) ? 'connect.missing' : 'connect.granted'),
    })),
    missingText:
      !input.connected && missing.size > 0
        ? lang.t('connect.missingList', { permissions: [...missing].map((m) => esc(m, 80)).join(', ') })
        : '',
    statusText: input.connected
      ? lang.t('connect.connected')
      : lang.t('connect.notConnected', {
          // A token without some permissions is said in the reader's words; other reasons come from the sign-in.
          reason:
            input.missing && input.missing.length > 0
              ? lang.t('connect.consentMissing')
              : esc(input.reason ?? lang.t('connect.unknownReason'), 400),
        }),
    statusColor: input.connected ? 'Good' : 'Attention',
    consentUrl: input.connected ? '' : (input.consentUrl ?? ''),
  });
}

export function renderDomainsCard(lang: Lang, views: readonly DomainView[], options: { now: Date }): AdaptiveCardJson {
  return renderTemplate('domains', {
    s: lang.s,
    domains: views.map((v) => {
      const s = v.settings;
      const id = v.domain.id;
      const paused = Boolean(s?.pausedUntil && new Date(s.pausedUntil) > options.now);
      const synced = s?.synced === true;
      // The tenant's *.onmicrosoft.com domain is never synced (the service refuses it): it is where pre-check moves
      // rooms and service accounts, so the card offers no set-up for it.
      const initial = v.domain.isInitial && !synced;
      const actions: ExecuteAction[] = initial
        ? []
        : synced
          ? [
              commandAction(lang.t('buttons.dryRun'), `preview ${id}`),
              { title: lang.t('buttons.settings'), verb: 'setup-form', data: { domain: id } },
              commandAction(lang.t('buttons.syncLog'), `logs ${id}`),
              ...(s?.periodic
                ? [
                    paused
                      ? commandAction(lang.t('buttons.resume'), `resume ${id}`)
                      : commandAction(lang.t('buttons.pause'), `pause ${id}`),
                  ]
                : []),
            ]
          : [{ title: lang.t('buttons.setUp'), verb: 'setup-form', data: { domain: id } }];
      return {
        name: esc(id, 120),
        synced,
        initial,
        state: synced
          ? lang.t(paused ? 'domains.statePaused' : s?.periodic ? 'domains.stateHourly' : 'domains.stateSynced')
          : lang.t(initial ? 'domains.stateInitial' : 'domains.stateNotSynced'),
        stateColor: synced ? (paused ? 'Warning' : 'Good') : 'Default',
        maxDeletions: s?.synced
          ? s.maxDeletionCount !== null
            ? lang.t('domains.maxDeletionsWithCount', {
                pct: s.maxDeletionPercent,
                count: lang.num(s.maxDeletionCount),
              })
            : lang.t('domains.maxDeletions', { pct: s.maxDeletionPercent })
          : '—',
        usageLocation: s?.synced
          ? s.usageLocation
            ? esc(s.usageLocation, 8)
            : lang.t('settings.usageLocationDefault')
          : '—',
        periodic: s?.synced
          ? `${onOff(lang, s.periodic)}${paused ? lang.t('domains.pausedUntil', { time: fmtTime(s.pausedUntil) }) : ''}`
          : '—',
        lastRun: v.lastRun
          ? lang.t('domains.lastRun', {
              status: lang.t(`runStatus.${v.lastRun.status}`),
              time: fmtTime(v.lastRun.endedAt ?? v.lastRun.startedAt),
            })
          : lang.t('common.never'),
        actions: actions.map((a) => ({
          title: plainCardText(a.title, 40),
          verb: a.verb,
          data: { ...a.data, verb: a.verb },
        })),
      };
    }),
  });
}

/** What the set-up form shows: the saved values, or what the person typed when Save refused them. */
export interface SetupFormValues {
  readonly maxDeletionPercent: string;
  readonly onDelete: string;
  readonly protectedAccounts: string;
  /** ISO 3166 alpha-2 code of new users' usage location; empty: the organization's default. */
  readonly usageLocation: string;
}

/** The "Set up sync" / "Settings" form of one domain, with an error naming the field when Save refused. */
export function renderSetupCard(
  lang: Lang,
  input: { domain: string; configured: boolean; values: SetupFormValues; error?: string },
): AdaptiveCardJson {
  return renderTemplate('domain-setup', {
    s: lang.s,
    title: lang.t(input.configured ? 'setup.titleSettings' : 'setup.title', { domain: esc(input.domain, 120) }),
    error: input.error ? esc(input.error, 400) : '',
    domainId: input.domain,
    maxDeletionPercent: plainCardText(input.values.maxDeletionPercent, 10),
    onDelete: input.values.onDelete === 'disable' ? 'disable' : 'delete',
    usageLocation: plainCardText(input.values.usageLocation, 10),
    // Multi-line input: one account per line, each capped; control characters other than newlines dropped.
    protectedAccounts: input.values.protectedAccounts
      .split(/\r?\n/)
      .map((line) => plainCardText(line, 256))
      .filter(Boolean)
      .slice(0, 500)
      .join('\n'),
  });
}

export function renderStatusCard(
  lang: Lang,
  input: {
    connection: { connected: true } | { connected: false; reason: string; missing?: readonly string[] };
    settings: readonly DomainSettings[];
    lastRuns: ReadonlyMap<string, RunRecord | null>;
    destinations: ReadonlyMap<string, boolean>;
    now: Date;
  },
): AdaptiveCardJson {
  return renderTemplate('status', {
    s: lang.s,
    connection: input.connection.connected
      ? lang.t('status.connected')
      : lang.t('status.notConnected', {
          // Missing permissions are named (a fresh token's roles); any other reason comes from the sign-in.
          reason:
            input.connection.missing && input.connection.missing.length > 0
              ? lang.t('status.consentMissing', {
                  permissions: input.connection.missing.map((m) => esc(m, 80)).join(', '),
                })
              : esc(input.connection.reason, 300),
        }),
    connectionColor: input.connection.connected ? 'Good' : 'Attention',
    domains: input.settings
      .filter((s) => s.synced)
      .map((s) => {
        const run = input.lastRuns.get(s.domain) ?? null;
        const paused =
          s.pausedUntil && new Date(s.pausedUntil) > input.now
            ? lang.t('status.pausedUntil', { time: fmtTime(s.pausedUntil) })
            : null;
        return {
          name: esc(s.domain, 120),
          periodic: paused ?? onOff(lang, s.periodic),
          notify: input.destinations.get(s.domain)
            ? lang.t(`notifyMode.${s.notify}`)
            : lang.t('status.noDestination', { mode: lang.t(`notifyMode.${s.notify}`) }),
          lastRun: run
            ? lang.t('status.lastRun', {
                status: lang.t(`runStatus.${run.status}`),
                time: fmtTime(run.endedAt ?? run.startedAt),
                added: lang.num(run.counts.added),
                updated: lang.num(run.counts.updated),
                deleted: lang.num(run.counts.deleted),
              })
            : lang.t('common.never'),
        };
      }),
  });
}
