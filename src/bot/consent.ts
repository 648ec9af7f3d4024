// Admin consent: the `connect` card with a signed state, and GET /api/consent/callback that records the grant.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConversationReference } from 'botbuilder';
import { scrubSecrets } from '../logger.js';
import type { AdaptiveCardJson } from './card-template.js';
import { escapeCardText } from './escape.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import { commandAction, renderConnectCard, renderMessageCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';
import type { Actor } from './turn-info.js';

interface ConsentRequest {
  readonly ref: Partial<ConversationReference>;
  readonly requestedBy: string;
}

const CONSENT_TTL_MS = 3600_000;
export const CONSENT_CALLBACK_PATH = '/api/consent/callback';

/** The card for `connect`: connected, or a Grant admin consent button whose state names this conversation. */
export async function connectCard(
  rt: BotRuntime,
  lang: Lang,
  ref: Partial<ConversationReference>,
  actor: Actor,
): Promise<AdaptiveCardJson> {
  const status = await rt.connection.status();
  const saved = rt.connection.saved ?? null;
  if (status.connected) return renderConnectCard(lang, { connected: true, saved });
  const nonce = randomUUID();
  await rt.stores.kv<ConsentRequest>('bot-consent').set(nonce, { ref, requestedBy: actor.label }, CONSENT_TTL_MS);
  const state = rt.signer.sign('consent', nonce, CONSENT_TTL_MS / 1000);
  const consentUrl = rt.connection.consentUrl(state, `${rt.publicBaseUrl}${CONSENT_CALLBACK_PATH}`);
  return renderConnectCard(lang, { connected: false, reason: status.reason, consentUrl, saved });
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
  });
  res.end(
    `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(text)}</p>\n`,
  );
}

/** Handles the redirect from the admin-consent endpoint: verifies state, records the grant, tells the chat. */
export function createConsentCallback(rt: BotRuntime) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const state = q.get('state') ?? '';
    const check = rt.signer.verify(state);
    if (!check.ok || check.kind !== 'consent')
      return page(
        res,
        check.ok ? 403 : check.status,
        'Consent link not valid',
        check.ok ? 'Wrong link kind.' : check.message,
      );
    const kv = rt.stores.kv<ConsentRequest>('bot-consent');
    const request = await kv.get(check.id);
    if (!request) return page(res, 410, 'Consent link already used', 'Type connect in Teams to get a new one.');
    await kv.delete(check.id);
    const lang = langFor(localeOf(request.ref.locale));
    const error = q.get('error');
    if (error) {
      const description = (q.get('error_description') ?? '').slice(0, 300);
      rt.logger.warn({ error, description: scrubSecrets(description) }, 'admin consent not granted');
      await rt.proactive
        .send(
          request.ref,
          renderMessageCard({
            title: lang.t('consent.notGranted'),
            color: 'Attention',
            text: lang.t('consent.notGrantedText', { error: escapeCardText(error, 100) }),
          }),
        )
        .catch(() => undefined);
      return page(res, 400, 'Consent not granted', `${error}: ${description}`);
    }
    const tenant = q.get('tenant') ?? '';
    const granted = (q.get('admin_consent') ?? '').toLowerCase() === 'true';
    if (!granted || !/^[0-9a-fA-F-]{36}$/.test(tenant))
      return page(res, 400, 'Consent not recorded', 'The answer did not say consent was granted for a tenant.');
    await rt.connection.onConsentGranted(tenant.toLowerCase());
    rt.logger.info({ tenant }, 'admin consent granted');
    try {
      await rt.proactive.send(
        request.ref,
        renderMessageCard({
          title: lang.t('consent.connected'),
          color: 'Good',
          text: lang.t('consent.connectedText'),
          actions: [commandAction(lang.t('buttons.domains'), 'domains')],
        }),
      );
    } catch (err) {
      rt.logger.warn({ err: scrubSecrets(String(err)) }, 'could not post Connected to the conversation');
    }
    return page(res, 200, 'Connected', 'Admin consent recorded. You can close this window and return to Teams.');
  };
}
