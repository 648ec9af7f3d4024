// Conformance: identity platform endpoints (metadata, client credentials with secret and certificate, errors, token checks).
import { decodeJwt } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateThumbprintSha256,
  demoTenantSeed,
  type RunningEmulator,
  startEmulator,
} from '../../src/emulator/index.js';
import { msalApp, rawFetch, tokenFor } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
let cert: { cert: string; private: string; thumbprint: string };

beforeAll(async () => {
  emu = await startEmulator({ seed: 'demo' });
  f = rawFetch(emu);
  const c = await generate([{ name: 'commonName', value: 'sync-app' }], { keySize: 2048, algorithm: 'sha256' });
  cert = { cert: c.cert, private: c.private, thumbprint: certificateThumbprintSha256(c.cert) };
  await emu.reset({
    ...demoTenantSeed(),
    apps: [
      {
        clientId: '11111111-2222-3333-4444-555555555555',
        certificates: [{ thumbprintSha256: cert.thumbprint, publicKeyPem: cert.cert }],
        permissions: ['User.Read.All'],
      },
      { clientId: '99999999-2222-3333-4444-555555555555', clientSecret: 'other-secret-value' },
    ],
  });
});
afterAll(() => emu.close());

describe('identity platform', () => {
  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
  it('serves the OpenID configuration, instance discovery and keys for its tenant', async () => {
    const oidc = await f(`/${emu.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(oidc.status).toBe(200);
    expect(oidc.json.token_endpoint).toBe(`${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`);
    expect(oidc.json.issuer).toBe(`${emu.authorityHost}/${emu.tenantId}/v2.0`);
    const byDomain = await f('/contoso.co.jp/v2.0/.well-known/openid-configuration');
    expect(byDomain.status).toBe(200);
    const disc = await f(`/common/discovery/instance?api-version=1.1&authorization_endpoint=x`);
    expect(disc.json.metadata[0].aliases).toEqual([new URL(emu.authorityHost).host]);
    const keys = await f(`/${emu.tenantId}/discovery/v2.0/keys`);
    expect(keys.json.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    const unknown = await f('/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error_codes).toEqual([90002]);
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#first-case-access-token-request-with-a-shared-secret
  it('issues an RS256 token to msal-node with a client secret, carrying the consented roles', async () => {
    const token = await tokenFor(emu);
    const claims = decodeJwt(token);
    expect(claims.aud).toBe('https://graph.microsoft.com');
    expect(claims.tid).toBe(emu.tenantId);
    expect(claims.appid).toBe(emu.clientId);
    expect(claims.roles).toEqual(
      expect.arrayContaining(['User.ReadWrite.All', 'Domain.Read.All', 'RoleManagement.Read.Directory']),
    );
    const alt = await msalApp(emu).acquireTokenByClientCredential({
      scopes: [`${emu.graphBaseUrl}/.default`],
      skipCache: true,
    });
    expect(alt?.accessToken).toBeTruthy();
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#second-case-access-token-request-with-a-certificate
  it('accepts a client assertion signed with a registered certificate (msal-node clientCertificate)', async () => {
    const app = msalApp(emu, {
      clientId: '11111111-2222-3333-4444-555555555555',
      clientCertificate: { thumbprintSha256: cert.thumbprint, privateKey: cert.private },
    });
    const token = await tokenFor(emu, app);
    expect(decodeJwt(token).roles).toEqual(['User.Read.All']);
    const other = await generate([{ name: 'commonName', value: 'intruder' }], { keySize: 2048, algorithm: 'sha256' });
    const wrongKey = msalApp(emu, {
      clientId: '11111111-2222-3333-4444-555555555555',
      clientCertificate: { thumbprintSha256: cert.thumbprint, privateKey: other.private },
    });
    await expect(tokenFor(emu, wrongKey)).rejects.toThrow(/AADSTS700027/);
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
  it('answers wrong secret, unknown client, unknown tenant and bad scope with AADSTS errors', async () => {
    const post = (tenant: string, form: Record<string, string>) =>
      f(`/${tenant}/oauth2/v2.0/token`, { method: 'POST', form });
    const base = { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' };
    const wrong = await post(emu.tenantId, { ...base, client_id: emu.clientId, client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('invalid_client');
    expect(wrong.json.error_codes).toEqual([7000215]);
    const unknown = await post(emu.tenantId, { ...base, client_id: 'abc', client_secret: 'x' });
    expect([unknown.status, unknown.json.error, unknown.json.error_codes[0]]).toEqual([
      400,
      'unauthorized_client',
      700016,
    ]);
    const tenant = await post('11111111-0000-0000-0000-000000000000', {
      ...base,
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
    });
    expect([tenant.status, tenant.json.error_codes[0]]).toEqual([400, 90002]);
    const scope = await post(emu.tenantId, {
      ...base,
      scope: 'User.Read',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
    });
    expect([scope.status, scope.json.error, scope.json.error_codes[0]]).toEqual([400, 'invalid_scope', 1002012]);
    await expect(tokenFor(emu, msalApp(emu, { clientSecret: 'wrong' }))).rejects.toThrow(/AADSTS7000215/);
  });

  // https://learn.microsoft.com/en-us/graph/resolve-auth-errors
  it('rejects Graph calls with a missing, forged or expired token (401 InvalidAuthenticationToken)', async () => {
    const missing = await f('/v1.0/users');
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('InvalidAuthenticationToken');
    expect(missing.headers.get('request-id')).toBeTruthy();
    const token = await tokenFor(emu);
    const [h, p] = token.split('.');
    const forged = await f('/v1.0/users', { token: `${h}.${p}.${'A'.repeat(342)}` });
    expect(forged.status).toBe(401);
    expect((await f('/v1.0/users?$top=1', { token })).status).toBe(200);
    await f('/_emulator/clock', { method: 'POST', body: { advanceMs: 2 * 3600_000 } });
    try {
      const expired = await f('/v1.0/users?$top=1', { token });
      expect(expired.status).toBe(401);
      expect(expired.json.error.message).toMatch(/expired/);
    } finally {
      await f('/_emulator/clock', { method: 'POST', body: { advanceMs: -2 * 3600_000 } });
    }
  });

  // https://learn.microsoft.com/en-us/graph/permissions-reference
  it('enforces the permissions in the token (403 Authorization_RequestDenied)', async () => {
    const token = await tokenFor(
      emu,
      msalApp(emu, {
        clientId: '11111111-2222-3333-4444-555555555555',
        clientCertificate: { thumbprintSha256: cert.thumbprint, privateKey: cert.private },
      }),
    );
    expect((await f('/v1.0/users?$top=1', { token })).status).toBe(200);
    const write = await f('/v1.0/users/taro.yamada@contoso.co.jp', { method: 'PATCH', token, body: { jobTitle: 'x' } });
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('Authorization_RequestDenied');
    expect((await f('/v1.0/domains', { token })).status).toBe(403);
  });
});
