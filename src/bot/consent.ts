// Admin consent: the `connect` card with a signed state, and GET /api/consent/callback that records the grant.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { scrubSecrets } from '../logger.js';
import { toConversationAddress } from '../store/conversation-repository.js';
import type { AdaptiveCardJson } from './card-template.js';
import type { ConversationAddress } from './messenger.js';
import { escapeCardText } from './escape.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import { commandAction } from './card-format.js';
import { renderConnectCard, renderMessageCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';

interface ConsentRequest {
  readonly address: ConversationAddress;
  /** The Entra object id of the administrator who asked (the link was shown only in their personal chat). */
  readonly requestedBy: string;
  readonly requestedByName: string;
}

/** A stored request; one saved by the previous version (a botbuilder reference in `ref`) is read alike. */
function requestOf(stored: (ConsentRequest & { ref?: unknown }) | undefined): ConsentRequest | null {
  const address = toConversationAddress(stored?.address ?? stored?.ref);
  return stored && address ? { ...stored, address } : null;
}

/** Consent links are short-lived and single use. */
const CONSENT_TTL_MS = 10 * 60_000;
export const CONSENT_CALLBACK_PATH = '/api/consent/callback';
/** After the redirect, how long the bot keeps asking for a fresh token until its roles show the grant. */
export interface ConsentConfirmOptions {
  readonly attempts?: number;
  readonly intervalMs?: number;
}

/**
 * The card for `connect`: connected, or (in a personal chat) a Grant admin consent button whose state is bound to
 * this administrator and this chat. A channel or group chat never gets the link: it names the missing permissions
 * and says to type connect in a personal chat.
 */
export async function connectCard(
  rt: BotRuntime,
  lang: Lang,
  address: ConversationAddress,
  actor: Actor,
  personal: boolean,
): Promise<AdaptiveCardJson> {
  const status = await rt.connection.status();
  const saved = rt.connection.saved ?? null;
  if (status.connected) return renderConnectCard(lang, { connected: true, saved });
  const reason = status.reason;
  const missing = status.missing ? { missing: status.missing } : {};
  if (!personal || !actor.aadObjectId)
    return renderConnectCard(lang, {
      connected: false,
      reason,
      consentUrl: null,
      saved,
      ...missing,
      notePersonal: true,
    });
  const nonce = randomUUID();
  await rt.stores
    .kv<ConsentRequest>('bot-consent')
    .set(nonce, { address, requestedBy: actor.aadObjectId, requestedByName: actor.label }, CONSENT_TTL_MS);
  const state = rt.signer.sign('consent', nonce, CONSENT_TTL_MS / 1000);
  const consentUrl = rt.connection.consentUrl(state, `${rt.publicBaseUrl}${CONSENT_CALLBACK_PATH}`);
  return renderConnectCard(lang, { connected: false, reason, consentUrl, saved, ...missing });
}

/** The page the administrator's browser shows after the consent redirect, in their language. */
type PageKey = 'invalid' | 'wrongKind' | 'used' | 'otherTenant' | 'notGranted' | 'notRecorded' | 'received';

function page(res: ServerResponse, status: number, lang: Lang, key: PageKey): void {
  const title = lang.t(`consentPage.${key}.title`);
  const text = lang.t(`consentPage.${key}.text`);
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
  });
  res.end(
    `<!doctype html><html lang="${lang.locale}"><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(text)}</p>\n`,
  );
}

/** The tenant the callback is accepted for: the connection's, else ENTRA_TENANT_ID. */
const configuredTenant = (rt: BotRuntime): string | null =>
  (rt.connection.tenantId ?? rt.config.entra.tenantId ?? null)?.toLowerCase() ?? null;

/**
 * Confirms a grant the way Entra can be trusted: a fresh token whose `roles` claim holds every required permission
 * (consent takes a little while to reach the token service, so it asks a few times). Tells the chat either way.
 */
async function confirmGrant(
  rt: BotRuntime,
  request: ConsentRequest,
  tenant: string,
  options: ConsentConfirmOptions,
): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 6);
  let last: Awaited<ReturnType<BotRuntime['connection']['status']>> | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    last = await rt.connection.status();
    if (last.connected) break;
    if (attempt < attempts) await new Promise((r) => setTimeout(r, options.intervalMs ?? 5000));
  }
  const lang = langFor(localeOf(request.address.locale));
  if (last?.connected) {
    await rt.connection.onConsentGranted(tenant);
    rt.logger.info({ tenant, by: request.requestedBy }, 'admin consent confirmed by a fresh token');
    await rt.messenger.send(request.address, {
      card: renderMessageCard({
        title: lang.t('consent.connected'),
        color: 'Good',
        text: lang.t('consent.connectedText'),
        actions: [commandAction(lang.t('buttons.domains'), 'domains')],
      }),
    });
    return;
  }
  const missing = last && !last.connected ? last.missing : undefined;
  rt.logger.warn({ tenant, missing }, 'consent answer received, but a fresh token does not carry the permissions');
  await rt.messenger.send(request.address, {
    card: renderMessageCard({
      title: lang.t('consent.notYet'),
      color: 'Attention',
      text: lang.t('consent.notYetText', {
        missing:
          missing && missing.length > 0
            ? lang.t('connect.missingList', { permissions: missing.map((m) => escapeCardText(m, 80)).join(', ') })
            : '',
      }),
      actions: [commandAction(lang.t('buttons.connect'), 'connect')],
    }),
  });
}

/**
 * Handles the redirect from the admin-consent endpoint: a valid, unexpired, unused state; the configured tenant
 * only; then the grant is confirmed by a fresh token's roles (never by the query string) and told to the chat.
 */
export function createConsentCallback(rt: BotRuntime, options: ConsentConfirmOptions = {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const state = q.get('state') ?? '';
    // Until the request is found, the browser's first language; then the chat's (the locale that asked for the link).
    const browserLang = langFor(localeOf(String(req.headers['accept-language'] ?? '').split(',')[0]));
    const check = rt.signer.verify(state);
    if (!check.ok || check.kind !== 'consent')
      return page(res, check.ok ? 403 : check.status, browserLang, check.ok ? 'wrongKind' : 'invalid');
    const kv = rt.stores.kv<ConsentRequest>('bot-consent');
    const request = requestOf(await kv.get(check.id));
    if (!request) return page(res, 410, browserLang, 'used');
    const lang = langFor(localeOf(request.address.locale));
    const tenant = (q.get('tenant') ?? '').toLowerCase();
    const expected = configuredTenant(rt);
    const error = q.get('error');
    if (!error && (expected === null || tenant !== expected)) {
      // Not consumed: the administrator's own redirect can still arrive.
      rt.logger.warn({ tenant: tenant.slice(0, 64), expected }, 'consent callback for another tenant refused');
      return page(res, 403, lang, 'otherTenant');
    }
    await kv.delete(check.id);
    if (error) {
      const description = (q.get('error_description') ?? '').slice(0, 300);
      rt.logger.warn(
        { error: error.slice(0, 64), description: scrubSecrets(description) },
        'admin consent not granted',
      );
      await rt.messenger
        .send(request.address, {
          card: renderMessageCard({
            title: lang.t('consent.notGranted'),
            color: 'Attention',
            text: lang.t('consent.notGrantedText', { error: escapeCardText(error, 100) }),
          }),
        })
        .catch(() => undefined);
      return page(res, 400, lang, 'notGranted');
    }
    if ((q.get('admin_consent') ?? '').toLowerCase() !== 'true') return page(res, 400, lang, 'notRecorded');
    rt.tasks.run('The consent check', async () => {
      try {
        await confirmGrant(rt, request, tenant, options);
      } catch (err) {
        rt.logger.warn({ err: scrubSecrets(String(err)) }, 'could not confirm the consent or tell the conversation');
      }
    });
    return page(res, 200, lang, 'received');
  };
}
