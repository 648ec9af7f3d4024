// Conformance: the emulator's Bot Framework identity (channel OpenID metadata, endorsed keys, channel → bot tokens, bot → channel tokens).
// Follows https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-authentication
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { caNetworkClient, rawFetch } from './helpers.js';

let emu: RunningEmulator;
let f: ReturnType<typeof rawFetch>;
const BOT = { appId: randomUUID(), appPassword: `pw-${randomUUID()}` };
const SERVICE_URL = 'https://smba.trafficmanager.net/teams/';

beforeAll(async () => {
  emu = await startEmulator({ seed: 'empty' });
  f = rawFetch(emu);
  const r = await f('/_emulator/botframework/bots', { method: 'POST', body: BOT });
  expect(r.status).toBe(200);
});
afterAll(() => emu.close());

async function channelKeys() {
  const meta = await f('/botframework/v1/.well-known/openidconfiguration');
  const keys = await f(new URL(meta.json.jwks_uri as string).pathname);
  return { meta, keys };
}

describe('Bot Framework identity: connector → bot', () => {
  it('serves the OpenID metadata document, whose jwks_uri lists RSA keys with endorsements', async () => {
    const { meta, keys } = await channelKeys();
    expect(meta.status).toBe(200);
    expect(meta.json).toMatchObject({
      issuer: 'https://api.botframework.com',
      id_token_signing_alg_values_supported: ['RS256'],
    });
    expect(meta.json.jwks_uri).toBe(`${emu.graphBaseUrl}/botframework/v1/.well-known/keys`);
    expect(keys.status).toBe(200);
    expect(keys.json.keys.length).toBeGreaterThanOrEqual(2);
    for (const k of keys.json.keys) {
      expect(k).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
      expect(typeof k.kid).toBe('string');
      expect(Array.isArray(k.endorsements)).toBe(true);
      expect(k.d).toBeUndefined();
    }
    // Teams has a key of its own: no key vouches for msteams and another channel at once.
    const teams = keys.json.keys.filter((k: { endorsements: string[] }) => k.endorsements.includes('msteams'));
    expect(teams).toHaveLength(1);
    expect(teams[0].endorsements).toEqual(['msteams']);
  });

  it('issues channel tokens the documented checks accept: issuer, audience = app id, serviceurl, lifetime, key endorsed for the channel', async () => {
    const r = await f('/_emulator/botframework/channel-tokens', {
      method: 'POST',
      body: { appId: BOT.appId, serviceUrl: SERVICE_URL },
    });
    expect(r.status).toBe(200);
    const { keys } = await channelKeys();
    const { payload, protectedHeader } = await jwtVerify(r.json.token, createLocalJWKSet(keys.json), {
      issuer: 'https://api.botframework.com',
      audience: BOT.appId,
      algorithms: ['RS256'],
    });
    expect(payload.serviceurl).toBe(SERVICE_URL);
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBe(3600);
    const key = keys.json.keys.find((k: { kid: string }) => k.kid === protectedHeader.kid);
    expect(key.endorsements).toContain('msteams');

    const webchat = await f('/_emulator/botframework/channel-tokens', {
      method: 'POST',
      body: { appId: BOT.appId, serviceUrl: SERVICE_URL, channelId: 'webchat' },
    });
    const other = await f('/_emulator/botframework/channel-tokens', {
      method: 'POST',
      body: { appId: BOT.appId, serviceUrl: SERVICE_URL, issuer: 'https://api.botframework.us' },
    });
    expect(decodeJwt(other.json.token).iss).toBe('https://api.botframework.us');
    const wkey = keys.json.keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(webchat.json.token).kid);
    expect(wkey.endorsements).toContain('webchat');
    expect(wkey.endorsements).not.toContain('msteams');
  });

  it('refuses to issue for an unregistered bot, a bad serviceUrl or a channel no key is endorsed for, naming the field', async () => {
    const r = await f('/_emulator/botframework/channel-tokens', {
      method: 'POST',
      body: { appId: randomUUID(), serviceUrl: 'not a url', channelId: 'carrier-pigeon' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.problems).toEqual([
      'appId: not a registered bot (POST /_emulator/botframework/bots first)',
      'serviceUrl: must be the http(s) URL activities name as their serviceUrl',
    ]);
    const c = await f('/_emulator/botframework/channel-tokens', {
      method: 'POST',
      body: { appId: BOT.appId, serviceUrl: SERVICE_URL, channelId: 'carrier-pigeon' },
    });
    expect(c.status).toBe(400);
    expect(c.json.error.problems).toEqual(["channelId: no signing key is endorsed for 'carrier-pigeon'"]);
    const b = await f('/_emulator/botframework/bots', { method: 'POST', body: { appId: 'bot', appPassword: 'x' } });
    expect(b.status).toBe(400);
    expect(b.json.error.problems).toHaveLength(2);
  });
});

describe('Bot Framework identity: bot → connector', () => {
  const host = () => new URL(emu.authorityHost).host;
  const app = (clientSecret: string, clientId = BOT.appId) =>
    new ConfidentialClientApplication({
      auth: {
        clientId,
        clientSecret,
        authority: `${emu.authorityHost}/botframework.com`,
        knownAuthorities: [host()],
      },
      system: { networkClient: caNetworkClient(emu.caPem) },
    });

  it('issues a client-credentials token for https://api.botframework.com/.default, signed with the login keys', async () => {
    const r = await app(BOT.appPassword).acquireTokenByClientCredential({
      scopes: ['https://api.botframework.com/.default'],
      skipCache: true,
    });
    expect(r?.accessToken).toBeTruthy();
    const oidc = await f('/botframework.com/v2.0/.well-known/openid-configuration');
    const keys = await f(new URL(oidc.json.jwks_uri as string).pathname);
    const { payload } = await jwtVerify(r!.accessToken, createLocalJWKSet(keys.json), {
      audience: 'https://api.botframework.com',
      issuer: 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/',
    });
    expect(payload.appid).toBe(BOT.appId);
    expect(payload.tid).toBe('d6d49420-f39b-4df7-a1dc-d59a935871db');
    // The channel's keys are not the login's: a bot token cannot pass as a channel token.
    const channel = await channelKeys();
    await expect(jwtVerify(r!.accessToken, createLocalJWKSet(channel.keys.json))).rejects.toThrow();
  });

  // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
  it('refuses a wrong secret, an unknown bot, another scope and another grant with AADSTS errors', async () => {
    const form = (extra: Record<string, string>) => ({
      grant_type: 'client_credentials',
      client_id: BOT.appId,
      client_secret: BOT.appPassword,
      scope: 'https://api.botframework.com/.default',
      ...extra,
    });
    const token = (extra: Record<string, string>) =>
      f('/botframework.com/oauth2/v2.0/token', { method: 'POST', form: form(extra) });
    const wrong = await token({ client_secret: 'wrong-secret-value-123' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const unknown = await token({ client_id: randomUUID() });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const graph = await token({ scope: 'https://graph.microsoft.com/.default' });
    expect(graph.status).toBe(400);
    expect(graph.json).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
    const noDefault = await token({ scope: 'https://api.botframework.com' });
    expect(noDefault.json).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const grant = await token({ grant_type: 'password' });
    expect(grant.json).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
    expect((await token({})).status).toBe(200);
  });
});
