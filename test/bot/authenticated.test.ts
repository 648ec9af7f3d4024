// The authenticated Teams path offline: the bot (BOT_ID set, not local mode) against the emulator's Bot Framework identity, with real signed tokens both ways.
//
// What is checked follows "Authentication with the Bot Connector API"
// (https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
// connector → bot tokens must have issuer https://api.botframework.com, audience = the bot's app id, be within their
// lifetime, be signed by a key of the OpenID metadata endorsed for the activity's channel, and carry the activity's
// serviceUrl; the bot's own calls to the connector carry its client-credentials token for https://api.botframework.com.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { cardOf, cardText, type FakeConnector, startFakeConnector } from './fake-connector.js';

const DOMAIN = 'contoso.co.jp';
const TENANT = 'tenant-a';
const ADMIN = { id: '29:admin', aadObjectId: 'aad-admin-1', name: 'Ada Admin' };
const BOT = { appId: randomUUID(), appPassword: `bot-secret-${randomUUID()}` };
const OTHER_BOT = { appId: randomUUID(), appPassword: `other-secret-${randomUUID()}` };
const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';

let emu: RunningEmulator;
let dispatcher: Agent;
let connector: FakeConnector;
/** Where an attacker would like the bot's replies to go (must receive nothing). */
let elsewhere: FakeConnector;
let child: ChildProcess;
let botUrl: string;
let childOutput = '';
let dir: string;

/** JSON to the emulator over HTTPS, trusting its CA. */
async function emulator(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await undiciFetch(`${emu.graphBaseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    dispatcher,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function channelToken(request: Record<string, unknown> = {}): Promise<string> {
  const r = await emulator('/_emulator/botframework/channel-tokens', {
    appId: BOT.appId,
    serviceUrl: connector.url,
    ...request,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.token as string;
}

/** Verifies a bot → connector token as the Bot Connector would: the botframework.com login's keys, audience, the bot. */
async function checkBotToken(authorization: string | undefined): Promise<string | null> {
  const m = /^Bearer (\S+)$/.exec(authorization ?? '');
  if (!m) return 'no bearer token';
  const oidc = await emulator('/botframework.com/v2.0/.well-known/openid-configuration');
  const keys = await emulator(new URL(oidc.json.jwks_uri as string).pathname);
  try {
    const { payload } = await jwtVerify(m[1]!, createLocalJWKSet(keys.json as never), {
      algorithms: ['RS256'],
      audience: 'https://api.botframework.com',
      issuer: `https://sts.windows.net/${BOT_FRAMEWORK_TENANT_ID}/`,
    });
    return payload.appid === BOT.appId ? null : `token of another app (${String(payload.appid)})`;
  } catch (err) {
    return `invalid token: ${(err as Error).message}`;
  }
}

const conversation = { id: `a:conv-${randomUUID()}`, conversationType: 'personal', tenantId: TENANT };
function activity(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: ADMIN,
    recipient: { id: `28:${BOT.appId}`, name: 'Entra Sync' },
    conversation,
    channelData: { tenant: { id: TENANT } },
    ...extra,
  };
}
const message = (text: string, extra: Record<string, unknown> = {}) => activity({ type: 'message', text, ...extra });
const invoke = (verb: string, data: Record<string, unknown>, replyToId: string, extra: Record<string, unknown> = {}) =>
  activity({
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId,
    value: { action: { type: 'Action.Execute', verb, data } },
    ...extra,
  });

async function post(body: Record<string, unknown>, token: string | null): Promise<{ status: number; text: string }> {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

interface Action {
  type: string;
  title: string;
  data?: Record<string, unknown>;
}
const actionsOf = (card: Record<string, unknown> | null): Action[] => (card?.actions as Action[] | undefined) ?? [];

async function startBot(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'authenticated-bot-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    TMPDIR: tmpdir(),
    // botbuilder fetches the OpenID metadata with Node's trust store: the emulator's CA joins it at process start.
    NODE_EXTRA_CA_CERTS: emu.caFile!,
    DEMO: 'true',
    STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    BOT_ID: BOT.appId,
    BOT_PASSWORD: BOT.appPassword,
    BOT_LOCAL_MODE: 'false',
    BOT_OPENID_METADATA_URL: `${emu.graphBaseUrl}/botframework/v1/.well-known/openidconfiguration`,
    BOT_TOKEN_ISSUER: 'https://api.botframework.com',
    BOT_LOGIN_URL: `${emu.graphBaseUrl}/botframework.com`,
    BOT_OAUTH_SCOPE: 'https://api.botframework.com',
    ALLOWED_TENANT_IDS: TENANT,
    ADMIN_AAD_OBJECT_IDS: ADMIN.aadObjectId,
    // A compressed "hour", so the scheduler's proactive notification happens during the test.
    SYNC_INTERVAL_SECONDS: '8',
    LOG_LEVEL: 'warn',
  };
  child = spawn(process.execPath, ['--import', 'tsx', resolve('test/bot/authenticated-bot-main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (b: Buffer) => {
    childOutput += b.toString();
  });
  botUrl = await new Promise<string>((resolveUrl, reject) => {
    let buffer = '';
    child.stdout?.on('data', (b: Buffer) => {
      buffer += b.toString();
      childOutput += b.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"botUrl"'));
      if (line) resolveUrl((JSON.parse(line) as { botUrl: string }).botUrl);
    });
    child.once('exit', (code) => reject(new Error(`the bot exited (${code}) before listening:\n${childOutput}`)));
  });
}

beforeAll(async () => {
  emu = await startEmulator({ seed: 'empty' });
  dispatcher = new Agent({ connect: { ca: emu.caPem! } });
  for (const bot of [BOT, OTHER_BOT]) expect((await emulator('/_emulator/botframework/bots', bot)).status).toBe(200);
  connector = await startFakeConnector({ authorize: checkBotToken });
  elsewhere = await startFakeConnector();
  await startBot();
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await connector?.close();
  await elsewhere?.close();
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sends `preview` with a valid token; waits for the dry-run card; returns the plan's ids. */
async function preview() {
  const before = connector.calls.length;
  const res = await post(message(`<at>Entra Sync</at> preview ${DOMAIN}`), await channelToken());
  expect(res.status).toBe(200);
  const running = await connector.waitFor((calls) => calls.slice(before).find((c) => c.kind === 'reply'), 30_000);
  const ready = await connector.waitFor(
    (calls) =>
      calls.find(
        (c) =>
          c.kind === 'update' &&
          c.activityId === running.resultId &&
          actionsOf(cardOf(c.activity)).some((a) => a.title === 'Sync now'),
      ),
    60_000,
  );
  const sync = actionsOf(cardOf(ready.activity)).find((a) => a.title === 'Sync now')!;
  return { messageId: running.resultId, planId: sync.data!.planId as string, planHash: sync.data!.planHash as string };
}

describe('authenticated Teams path (BOT_ID, emulator Bot Framework identity)', () => {
  it('the fake Bot Connector itself refuses calls without a valid bot → connector token', async () => {
    const r = await fetch(`${connector.url}/v3/conversations/x/activities`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(401);
    const asChannel = await fetch(`${connector.url}/v3/conversations/x/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await channelToken()}` },
      body: '{}',
    });
    expect(asChannel.status).toBe(401);
    expect(connector.refused.map((x) => x.reason)).toEqual([
      'no bearer token',
      expect.stringMatching(/^invalid token: /),
    ]);
    connector.refused.length = 0;
  });

  it('serves an activity with a valid channel token and replies with its own bot → connector token', async () => {
    const before = connector.calls.length;
    const res = await post(message(`domain set ${DOMAIN} max-deletions 60`), await channelToken());
    expect(res.status).toBe(200);
    const reply = await connector.waitFor(
      (calls) =>
        calls.slice(before).find((c) => cardText(cardOf(c.activity)).includes('max allowed deletions is now 60%')),
      30_000,
    );
    expect(reply.kind).toBe('reply');
    expect(connector.refused).toEqual([]);
    // botbuilder read the emulator's metadata and keys, and got the bot's token from its botframework.com login.
    const requests = (await emulator('/_emulator/stats')).json.requests as Record<string, number>;
    for (const key of [
      'GET /botframework/v1/.well-known/openidconfiguration 200',
      'GET /botframework/v1/.well-known/keys 200',
      'POST /botframework.com/oauth2/v2.0/token 200',
    ])
      expect(requests[key], `${key} in ${JSON.stringify(requests)}`).toBeGreaterThan(0);
  });

  it('refuses every bad token with 401 before any handler runs; Sync now with a valid one then applies the untouched plan', async () => {
    const plan = await preview();
    const apply = (extra: Record<string, unknown> = {}) =>
      invoke('apply', { planId: plan.planId, planHash: plan.planHash }, plan.messageId, extra);
    // The dry-run card may still get a last in-place update: start counting once the connector is quiet.
    let callsBefore = -1;
    while (callsBefore !== connector.calls.length) {
      callsBefore = connector.calls.length;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const expired = await (async () => {
      await emulator('/_emulator/clock', { advanceMs: -2 * 3600_000 });
      try {
        return await channelToken();
      } finally {
        await emulator('/_emulator/clock', { advanceMs: 2 * 3600_000 });
      }
    })();
    const valid = await channelToken();
    const [head, , signature] = valid.split('.');
    const claims = decodeJwt(valid);
    const tamperedBody = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp ?? 0) + 86_400 })).toString(
      'base64url',
    );
    const attacker = await generateKeyPair('RS256');
    const forge = (kid: string) =>
      new SignJWT({ serviceurl: connector.url })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer('https://api.botframework.com')
        .setAudience(BOT.appId)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('1h')
        .sign(attacker.privateKey);
    const knownKid = decodeProtectedHeader(valid).kid as string;
    const channelClaims = { serviceurl: connector.url };
    // Algorithm confusion: HMAC instead of RSA, under the kid of a real key.
    const hmac = await new SignJWT(channelClaims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: knownKid })
      .setIssuer('https://api.botframework.com')
      .setAudience(BOT.appId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(`hmac-secret-${randomUUID()}`));
    const unsigned = new UnsecuredJWT(channelClaims)
      .setIssuer('https://api.botframework.com')
      .setAudience(BOT.appId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    const webchatToken = await channelToken({ channelId: 'webchat' });

    const cases: [string, Record<string, unknown>, string | null][] = [
      ['no token', apply(), null],
      ['wrong audience (a token for another bot)', apply(), await channelToken({ appId: OTHER_BOT.appId })],
      ['wrong issuer', apply(), await channelToken({ issuer: 'https://api.botframework.us' })],
      ['expired', apply(), expired],
      ['bad signature (claims changed after signing)', apply(), `${head}.${tamperedBody}.${signature}`],
      ['bad signature (a known kid, signed with another key)', apply(), await forge(knownKid)],
      ['unknown signing key (kid)', apply(), await forge(`attacker-${randomUUID()}`)],
      ['HS256 under a known kid', apply(), hmac],
      ['unsigned (alg none)', apply(), unsigned],
      ['serviceurl claim differs from the activity', apply({ serviceUrl: elsewhere.url }), valid],
      ['key not endorsed for msteams', apply(), webchatToken],
      ['another channel, its own key: Teams keys only', apply({ channelId: 'webchat' }), webchatToken],
    ];
    for (const [name, act, token] of cases) {
      const res = await post(act, token);
      expect(res.status, `${name}: ${res.text}`).toBe(401);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(connector.calls.slice(callsBefore).map((c) => [c.kind, cardText(cardOf(c.activity)).slice(0, 80)])).toEqual(
      [],
    );
    expect(elsewhere.calls).toEqual([]);
    expect(elsewhere.refused).toEqual([]);

    // The plan was neither claimed nor applied by any refused request: a valid Sync now applies it once.
    const res = await post(apply(), valid);
    expect(res.status, res.text).toBe(200);
    const result = await connector.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.kind === 'update' &&
            c.activityId === plan.messageId &&
            /Sync completed/.test(cardText(cardOf(c.activity))),
        ),
      60_000,
    );
    expect(cardText(cardOf(result.activity))).toContain(`Approved by ${ADMIN.name}`);
    expect(connector.refused).toEqual([]);
    // Replies, and the card updates sent later through continueConversationAsync, all carried valid bot tokens.
    const kinds = new Set(connector.calls.map((c) => c.kind));
    expect(kinds).toEqual(new Set(['reply', 'update']));
  });

  it('the hourly run posts its notification proactively with the bot\u2019s own token', async () => {
    const say = async (text: string, expected: string) => {
      const before = connector.calls.length;
      expect((await post(message(text), await channelToken())).status).toBe(200);
      await connector.waitFor(
        (calls) => calls.slice(before).find((c) => cardText(cardOf(c.activity)).includes(expected)),
        30_000,
      );
    };
    await say(`notify here ${DOMAIN}`, 'Notifications will be posted here');
    await say(`notify ${DOMAIN} always`, `${DOMAIN}: notifications always`);
    await say(`schedule ${DOMAIN} on`, `Hourly sync of ${DOMAIN} is on`);
    // No activity comes in any more: what arrives now is the scheduler's, sent through continueConversationAsync.
    const before = connector.calls.length;
    const sent = await connector.waitFor(
      (calls) =>
        calls
          .slice(before)
          .find(
            (c) =>
              c.conversationId === conversation.id && cardText(cardOf(c.activity)).includes(`of ${DOMAIN}: completed`),
          ),
      45_000,
    );
    expect(sent.kind).not.toBe('update');
    expect(connector.refused).toEqual([]);
  }, 90_000);
});
