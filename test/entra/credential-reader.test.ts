// Credential failures explained, TLS trust, read retries and the admin consent link, against a scripted HTTPS server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConsentUrl, createEntraConnector, parseAdminConsentCallback } from '../../src/entra/index.js';
import { type FakeHttps, json, startFakeHttps } from './helpers/fake-https.js';
import { captureLogs } from './helpers/logs.js';

let server: FakeHttps;
const logs = captureLogs();

beforeAll(async () => {
  server = await startFakeHttps();
});
afterAll(async () => {
  await server.close();
});

function connector(overrides: { caPem?: string; authorityHost?: string; clientSecret?: string } = {}) {
  return createEntraConnector(
    {
      tenantId: 'contoso-tenant',
      clientId: 'app-1',
      clientSecret: overrides.clientSecret ?? 'top-secret-abc',
      clientCertPath: undefined,
      clientCertThumbprintSha256: undefined,
      authorityHost: overrides.authorityHost ?? server.origin,
      graphBaseUrl: server.origin,
      caFile: undefined,
      ...('caPem' in overrides ? (overrides.caPem ? { caPem: overrides.caPem } : {}) : { caPem: server.caPem }),
    },
    logs.logger,
    { random: () => 0 },
  );
}

const aadError = (status: number, code: number, error: string, description: string) => ({
  status,
  body: {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-01-01 00:00:00Z`,
    error_codes: [code],
    timestamp: '2026-01-01 00:00:00Z',
    trace_id: '1',
    correlation_id: '2',
  },
});

describe('credential.check', () => {
  const cases: [ReturnType<typeof aadError>, RegExp][] = [
    [aadError(401, 7000215, 'invalid_client', 'Invalid client secret provided.'), /ENTRA_CLIENT_SECRET/],
    [aadError(400, 65001, 'invalid_grant', 'The user or administrator has not consented.'), /admin consent link/],
    [aadError(400, 90002, 'invalid_request', "Tenant 'x' not found."), /check ENTRA_TENANT_ID/],
    [aadError(400, 7000222, 'invalid_client', 'The provided client secret keys are expired.'), /has expired/],
  ];
  for (const [answer, advice] of cases) {
    it(`explains AADSTS${answer.body.error_codes[0]}`, async () => {
      server.setToken((_req, res) => json(res, answer.status, answer.body));
      const c = connector();
      const check = await c.credential.check();
      expect(check).toMatchObject({ ok: false, code: `AADSTS${answer.body.error_codes[0]}` });
      expect(!check.ok && check.message).toMatch(advice);
      await c.close();
    });
  }

  it('says to set ENTRA_CA_FILE when the authority certificate is not trusted', async () => {
    const c = connector({ caPem: undefined });
    const check = await c.credential.check();
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toContain('ENTRA_CA_FILE');
    await c.close();
  });

  it('refuses an http:// authority, naming the variable', () => {
    expect(() => connector({ authorityHost: server.origin.replace('https', 'http') })).toThrow(/ENTRA_AUTHORITY_HOST/);
  });

  it('never logs the secret or the token', () => {
    expect(logs.text()).not.toContain('top-secret-abc');
  });
});

describe('reader retries', () => {
  it('waits out a 429 Retry-After and a 503 on reads, then follows nextLink', async () => {
    server.setToken((_req, res) =>
      json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ0eXAiOiJKV1QifQ.eyJhIjoiYiJ9.c2ln' }),
    );
    let calls = 0;
    const times: number[] = [];
    server.setGraph((req, res) => {
      calls++;
      times.push(Date.now());
      expect(req.headers.consistencylevel).toBe('eventual');
      if (calls === 1)
        return json(res, 429, { error: { code: 'TooManyRequests', message: 'x' } }, { 'Retry-After': '1' });
      if (calls === 2) return json(res, 503, { error: { code: 'serviceNotAvailable', message: 'x' } });
      if (req.path.includes('skiptoken=PAGE2')) {
        return json(res, 200, { value: [{ id: 'b', userPrincipalName: 'b@contoso.com' }] });
      }
      return json(res, 200, {
        value: [
          { id: 'a', userPrincipalName: 'a@contoso.com' },
          { id: 'x', userPrincipalName: 'x@sub.contoso.com' },
        ],
        '@odata.nextLink': `${server.origin}/v1.0/users?$skiptoken=PAGE2==&$count=true`,
      });
    });
    const c = connector();
    const users = await c.reader.listUsers('Contoso.com');
    expect(users.map((u) => u.id)).toEqual(['a', 'b']);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    const first = server.requests.find((r) => r.path.startsWith('/v1.0/users?'))!;
    expect(decodeURIComponent(first.path)).toContain("$filter=endsWith(userPrincipalName,'@contoso.com')");
    expect(first.path).toContain('$top=999');
    await c.close();
  });

  it('gets a new token once when Graph answers 401, then succeeds', async () => {
    let tokens = 0;
    server.setToken((_req, res) => {
      tokens++;
      json(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        access_token: `eyJ0eXAiOiJKV1QifQ.eyJuIjoi${tokens}In0.c2ln`,
      });
    });
    let graphCalls = 0;
    const auths: string[] = [];
    server.setGraph((req, res) => {
      graphCalls++;
      auths.push(String(req.headers.authorization));
      if (graphCalls === 1)
        return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
      return json(res, 200, { value: [{ id: 'contoso.com', authenticationType: 'Federated', isVerified: true }] });
    });
    const c = connector();
    const domains = await c.reader.listDomains();
    expect(domains).toHaveLength(1);
    expect(tokens).toBe(2);
    expect(auths[0]).not.toBe(auths[1]);
    await c.close();
  });

  it('refuses to follow a nextLink to another host (the token stays home)', async () => {
    server.setGraph((_req, res) =>
      json(res, 200, { value: [], '@odata.nextLink': 'https://evil.example/v1.0/users?$skiptoken=1' }),
    );
    const c = connector();
    await expect(c.reader.listUsers('contoso.com')).rejects.toThrow(/refusing to send the Graph token/);
    await c.close();
  });

  it('throws a forbidden GraphRequestError naming the permission', async () => {
    server.setGraph((_req, res) => json(res, 403, { error: { code: 'Authorization_RequestDenied', message: 'no' } }));
    const c = connector();
    await expect(c.reader.listDomains()).rejects.toMatchObject({
      failure: { kind: 'forbidden' },
      message: expect.stringContaining('Domain.Read.All'),
    });
    await c.close();
  });
});

describe('admin consent', () => {
  it('builds the tenant admin consent link', () => {
    const url = new URL(
      adminConsentUrl({
        authorityHost: 'https://login.microsoftonline.com',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: 'app-1',
        redirectUri: 'https://bot.example/consent/callback',
        state: 's1',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'app-1',
      redirect_uri: 'https://bot.example/consent/callback',
      state: 's1',
    });
  });

  it('reads granted and declined answers', () => {
    expect(parseAdminConsentCallback(new URLSearchParams('admin_consent=True&tenant=t1&state=s1'))).toEqual({
      granted: true,
      tenantId: 't1',
      state: 's1',
    });
    const declined = parseAdminConsentCallback({ error: 'access_denied', state: 's1' });
    expect(declined).toMatchObject({ granted: false, error: 'access_denied', state: 's1' });
  });
});
