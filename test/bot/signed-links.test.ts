// Signed download links: HMAC over kind:id:expiry, tamper → 403, expired → 410, secret persisted once in the store.
import { describe, expect, it } from 'vitest';
import { createLinkSigner, resolveSigningSecret } from '../../src/bot/signed-links.js';

describe('createLinkSigner', () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const signer = createLinkSigner({ secret: 'a-secret-of-enough-length', ttlSeconds: 3600, now: () => now });

  it('round-trips kind and id', () => {
    const t = signer.sign('plan', 'p-123');
    expect(signer.verify(t)).toMatchObject({ ok: true, kind: 'plan', id: 'p-123' });
  });

  it('rejects tampered tokens and tokens from another secret with 403', () => {
    const t = signer.sign('run', 'r-1');
    const [p, s] = t.split('.');
    const forged = `${Buffer.from('run:r-2:9999999999').toString('base64url')}.${s}`;
    expect(signer.verify(forged)).toMatchObject({ ok: false, status: 403 });
    expect(signer.verify(`${p}.${s}x`)).toMatchObject({ ok: false, status: 403 });
    expect(signer.verify('garbage')).toMatchObject({ ok: false, status: 403 });
    const other = createLinkSigner({ secret: 'another-secret-of-length' });
    expect(other.verify(t)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses every other spelling of a token: any one character changed, even base64url spare bits', () => {
    for (const id of ['p-1', 'p-22', 'p-333']) {
      const t = signer.sign('plan', id);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      for (let i = 0; i < t.length; i++) {
        if (t[i] === '.') continue;
        for (const c of alphabet) {
          if (c === t[i]) continue;
          const altered = t.slice(0, i) + c + t.slice(i + 1);
          expect(signer.verify(altered).ok, altered).toBe(false);
        }
      }
    }
  });

  it('expires after the TTL with 410', () => {
    const t = signer.sign('plan', 'p-1');
    now = new Date(now.getTime() + 3599_000);
    expect(signer.verify(t).ok).toBe(true);
    now = new Date(now.getTime() + 2000);
    expect(signer.verify(t)).toMatchObject({ ok: false, status: 410 });
  });

  it('refuses ids that would break the format', () => {
    expect(() => signer.sign('plan', 'a:b')).toThrow();
    expect(() => signer.sign('plan', '')).toThrow();
  });
});

describe('tenant binding', () => {
  it('refuses a link signed with the same secret for another tenant', () => {
    const a = createLinkSigner({ secret: 'a-secret-of-enough-length', tenant: 'tenant-a' });
    const b = createLinkSigner({ secret: 'a-secret-of-enough-length', tenant: 'tenant-b' });
    const t = a.sign('plan', 'p-1');
    expect(a.verify(t)).toMatchObject({ ok: true, id: 'p-1' });
    expect(b.verify(t)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('resolveSigningSecret', () => {
  const memoryKv = (map: Map<string, unknown>) => ({
    get: async (k: string) => map.get(k),
    set: async (k: string, v: string) => map.set(k, v),
    delete: async (k: string) => map.delete(k),
  });

  it('uses the configured secret, else a random key kept only in memory (never in the shared store)', async () => {
    const map = new Map<string, unknown>();
    const kv = memoryKv(map);
    expect(await resolveSigningSecret('configured-secret', kv)).toEqual({
      secret: 'configured-secret',
      generated: false,
    });
    const a = await resolveSigningSecret(undefined, kv);
    const b = await resolveSigningSecret(undefined, kv);
    expect(a.generated).toBe(true);
    expect(a.secret).not.toBe(b.secret);
    expect(Buffer.from(a.secret, 'base64url').length).toBe(32);
    expect([...map.values()]).not.toContain(a.secret);
    expect(map.size).toBe(0);
  });

  it('erases a key that an earlier version kept in clear in the store', async () => {
    const map = new Map<string, unknown>([['signing-secret', 'x'.repeat(43)]]);
    const r = await resolveSigningSecret(undefined, memoryKv(map));
    expect(r.secret).not.toBe('x'.repeat(43));
    expect(map.has('signing-secret')).toBe(false);
  });
});
