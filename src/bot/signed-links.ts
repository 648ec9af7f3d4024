// HMAC-SHA256 signed, expiring tokens for download links and consent state, bound to one tenant.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type LinkKind = 'plan' | 'run' | 'consent';
const KINDS: readonly LinkKind[] = ['plan', 'run', 'consent'];

export type LinkCheck =
  | { readonly ok: true; readonly kind: LinkKind; readonly id: string; readonly expiresAt: Date }
  | { readonly ok: false; readonly status: 403 | 410; readonly message: string };

export interface LinkSigner {
  /** A URL-safe token naming one plan, run or consent request, valid for ttlSeconds (default from options). */
  sign(kind: LinkKind, id: string, ttlSeconds?: number): string;
  verify(token: string): LinkCheck;
}

export interface LinkSignerOptions {
  readonly secret: string | Uint8Array;
  readonly ttlSeconds?: number;
  readonly now?: () => Date;
  /** The Entra tenant whose data the links open: a link signed for another tenant is refused (default `local`). */
  readonly tenant?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

export function createLinkSigner(options: LinkSignerOptions): LinkSigner {
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : Buffer.from(options.secret);
  if (secret.length < 16) throw new Error('signing secret must be at least 16 bytes');
  const ttl = options.ttlSeconds ?? 3600;
  const now = options.now ?? (() => new Date());
  const tenant = (options.tenant ?? 'local').toLowerCase();
  // One key per tenant: the same SIGNING_SECRET used by two deployments never lets one open the other's links.
  const key = createHmac('sha256', secret).update(`entra-sync-bot link key for tenant ${tenant}`).digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    sign(kind, id, ttlSeconds = ttl) {
      if (!KINDS.includes(kind)) throw new Error(`unknown link kind ${kind}`);
      if (id.includes(':') || id.length === 0 || id.length > 200)
        throw new Error('link id must be 1–200 characters without ":"');
      const expiry = Math.floor(now().getTime() / 1000) + Math.max(1, Math.floor(ttlSeconds));
      const payload = `${kind}:${id}:${expiry}`;
      return `${b64(payload)}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      const bad: LinkCheck = {
        ok: false,
        status: 403,
        message: 'This link is not valid (it was altered or not issued by this bot).',
      };
      if (typeof token !== 'string' || token.length > 1000) return bad;
      const [p, s, extra] = token.split('.');
      if (!p || !s || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(p) || !/^[A-Za-z0-9_-]+$/.test(s)) return bad;
      const payload = Buffer.from(p, 'base64url').toString('utf8');
      const given = Buffer.from(s, 'base64url');
      // Only the one spelling this bot issues: base64url's last character carries spare bits a decoder ignores.
      if (b64(payload) !== p || given.toString('base64url') !== s) return bad;
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad;
      const m = /^(plan|run|consent):([^:]+):(\d{1,12})$/.exec(payload);
      if (!m) return bad;
      const expiresAt = new Date(Number(m[3]) * 1000);
      if (expiresAt.getTime() <= now().getTime())
        return {
          ok: false,
          status: 410,
          message: 'This link has expired. Ask the bot for a new one (run the dry run or logs again).',
        };
      return { ok: true, kind: m[1] as LinkKind, id: m[2]!, expiresAt };
    },
  };
}

interface SecretStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
}

/**
 * config.signingSecret when set; otherwise a random key that lives only in this process's memory (links and consent
 * states then end with the process). A key an earlier version kept in the shared state store is erased: that store
 * holds directory data and is no place for a key in clear.
 */
export async function resolveSigningSecret(
  configured: string | undefined,
  kv: SecretStore & { delete(key: string): Promise<unknown> },
): Promise<{ secret: string; generated: boolean }> {
  if ((await kv.get('signing-secret')) !== undefined) await kv.delete('signing-secret');
  if (configured) return { secret: configured, generated: false };
  return { secret: randomBytes(32).toString('base64url'), generated: true };
}
