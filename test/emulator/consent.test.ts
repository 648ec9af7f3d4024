// Conformance: admin consent (page, Accept, Cancel), role-less tokens before consent, consent kept across reset.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTenantSeed, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { graphClient, rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;

beforeAll(async () => {
  emu = await startEmulator({ seed: 'demo', consent: false, redirectUris: [redirect] });
  f = rawFetch(emu);
});
afterAll(() => emu.close());

const redirect = 'https://bot.example.test/consent/callback';

describe('admin consent', () => {
  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent and
  // https://learn.microsoft.com/en-us/graph/resolve-auth-errors (403 for a token without the permission)
  it('issues tokens without roles before consent, and Graph answers 403 Authorization_RequestDenied', async () => {
    const token = await tokenFor(emu);
    expect(decodeJwt(token).roles).toBeUndefined();
    const g = graphClient(emu, async () => token);
    await expect(g.api('/users').get()).rejects.toMatchObject({ statusCode: 403, code: 'Authorization_RequestDenied' });
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent#request-the-permissions-from-a-directory-admin
  it('shows the requested permissions; Cancel redirects with error=access_denied and grants nothing', async () => {
    const q = new URLSearchParams({ client_id: emu.clientId, redirect_uri: redirect, state: 's-1' });
    const page = await f(`/${emu.tenantId}/adminconsent?${q}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('User.ReadWrite.All');
    expect(page.text).toContain('Accept');
    const cancel = await f(`/${emu.tenantId}/adminconsent`, {
      method: 'POST',
      form: { client_id: emu.clientId, redirect_uri: redirect, state: 's-1', decision: 'cancel' },
    });
    expect(cancel.status).toBe(302);
    const loc = new URL(cancel.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(redirect);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('s-1');
    expect(decodeJwt(await tokenFor(emu)).roles).toBeUndefined();
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/reply-url (exact match) and
  // https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-redirect-uri-mismatch
  it('redirects only to a registered redirect URI, compared exactly (AADSTS50011), and never on a mismatch', async () => {
    for (const other of [
      'https://attacker.example/consent/callback',
      `${redirect}/`,
      `${redirect}?x=1`,
      redirect.replace('https:', 'http:'),
      redirect.replace('/callback', '/CALLBACK'),
      'https://bot.example.test/consent/callback.attacker.example',
    ]) {
      const q = new URLSearchParams({ client_id: emu.clientId, redirect_uri: other, state: 's' });
      const page = await f(`/${emu.tenantId}/adminconsent?${q}`);
      expect(page.status, other).toBe(400);
      expect(page.text).toContain('AADSTS50011');
      const post = await f(`/${emu.tenantId}/adminconsent`, {
        method: 'POST',
        form: { client_id: emu.clientId, redirect_uri: other, state: 's', decision: 'accept' },
      });
      expect(post.status, other).toBe(400);
      expect(post.headers.get('location')).toBeNull();
    }
    expect(decodeJwt(await tokenFor(emu)).roles).toBeUndefined();
  });

  it('answers AADSTS500113 for an app without any redirect URI; the control API registers them', async () => {
    const r = await f('/_emulator/consent', { method: 'POST', body: { clientId: emu.clientId, redirectUris: [] } });
    expect(r.status).toBe(200);
    const q = new URLSearchParams({ client_id: emu.clientId, redirect_uri: redirect });
    expect((await f(`/${emu.tenantId}/adminconsent?${q}`)).text).toContain('AADSTS500113');
    await f('/_emulator/consent', { method: 'POST', body: { clientId: emu.clientId, redirectUris: [redirect] } });
    expect((await f(`/${emu.tenantId}/adminconsent?${q}`)).status).toBe(200);
    expect(decodeJwt(await tokenFor(emu)).roles).toBeUndefined();
  });

  it('rejects an unknown client and a missing redirect_uri on the consent page', async () => {
    const unknown = await f(
      `/${emu.tenantId}/adminconsent?client_id=nope&redirect_uri=${encodeURIComponent(redirect)}`,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('AADSTS700016');
    const noRedirect = await f(`/${emu.tenantId}/adminconsent?client_id=${emu.clientId}`);
    expect(noRedirect.status).toBe(400);
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent#successful-response
  it('Accept records the grant, redirects with admin_consent=True, tenant and state; tokens then carry roles', async () => {
    const accept = await f(`/${emu.tenantId}/adminconsent`, {
      method: 'POST',
      form: { client_id: emu.clientId, redirect_uri: redirect, state: 'xyz', decision: 'accept' },
    });
    expect(accept.status).toBe(302);
    const loc = new URL(accept.headers.get('location')!);
    expect(loc.searchParams.get('admin_consent')).toBe('True');
    expect(loc.searchParams.get('tenant')).toBe(emu.tenantId);
    expect(loc.searchParams.get('state')).toBe('xyz');
    const token = await tokenFor(emu);
    expect(decodeJwt(token).roles).toEqual(expect.arrayContaining(['User.ReadWrite.All']));
    const g = graphClient(emu, async () => token);
    const page = await g.api('/users').top(1).get();
    expect(page.value).toHaveLength(1);
  });

  // the README's emulator section: reset keeps the emulator's own app registration and its consent
  it('keeps the own app and its consent across POST /_emulator/reset', async () => {
    const seed = demoTenantSeed();
    const r = await f('/_emulator/reset', {
      method: 'POST',
      body: { ...seed, users: seed.users.slice(0, 10), directoryRoles: [] },
    });
    expect(r.status).toBe(200);
    const token = await tokenFor(emu);
    expect(decodeJwt(token).roles).toEqual(expect.arrayContaining(['User.ReadWrite.All']));
    const all = await rawFetch(emu)('/v1.0/users?$top=999', { token });
    expect(all.json.value).toHaveLength(10);
  });
});
