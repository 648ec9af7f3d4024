// Config parsing: defaults, empty strings as unset, every bad variable listed at once, frozen result.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { botAuthProblem, ConfigError, hostOfHostHeader, isLoopbackHost, loadConfig } from '../src/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('loadConfig', () => {
  it('runs the demo with nothing configured, on loopback, in local mode', () => {
    const c = loadConfig({});
    expect(c.demo).toBe(true);
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(3978);
    expect(c.storeUrl).toBe('sqlite://.data/state.sqlite');
    expect(c.syncIntervalSeconds).toBe(3600);
    expect(c.bot.localMode).toBe(true);
    expect(c.publicBaseUrl).toBe('http://127.0.0.1:3978');
    expect(botAuthProblem(c)).toBeNull();
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '', STORE_URL: '  ', LOG_LEVEL: '', ENTRA_CLIENT_ID: '' });
    expect(c.port).toBe(3978);
    expect(c.storeUrl).toBe('sqlite://.data/state.sqlite');
    expect(c.demo).toBe(true);
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', BOT_LOCAL_MODE: 'maybe', GRAPH_BASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/BOT_LOCAL_MODE/);
    expect(problems).toMatch(/GRAPH_BASE_URL/);
    expect((error as ConfigError).message).toMatch(/env\/\.env\.example/);
  });

  it('requires a tenant, an app and a credential outside the demo', () => {
    expect(() => loadConfig({ DEMO: 'false' })).toThrow(
      /ENTRA_TENANT_ID[\s\S]*ENTRA_CLIENT_ID[\s\S]*ENTRA_CLIENT_SECRET/,
    );
    const c = loadConfig({
      ENTRA_TENANT_ID: 't',
      ENTRA_CLIENT_ID: 'c',
      ENTRA_CLIENT_SECRET: 's',
      BOT_ID: 'b',
      BOT_PASSWORD: 'p',
    });
    expect(c.demo).toBe(false);
    expect(c.allowedTenantIds).toEqual(['t']);
  });

  it('refuses local mode on a non-loopback host, and a bot without app id outside local mode', () => {
    expect(() => loadConfig({ BOT_LOCAL_MODE: 'true', HOST: '0.0.0.0' })).toThrow(/BOT_LOCAL_MODE/);
    const c = loadConfig({ DEMO: 'false', ENTRA_TENANT_ID: 't', ENTRA_CLIENT_ID: 'c', ENTRA_CLIENT_SECRET: 's' });
    expect(botAuthProblem(c)).toMatch(/BOT_ID/);
    const wide = loadConfig({ HOST: '0.0.0.0' });
    expect(wide.bot.localMode).toBe(false);
    expect(botAuthProblem(wide)).toMatch(/BOT_ID/);
  });

  it('needs REDIS_URL for the bullmq scheduler and a known store scheme', () => {
    expect(() => loadConfig({ SCHEDULER: 'bullmq' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ STORE_URL: 'mysql://x' })).toThrow(/STORE_URL/);
  });

  it('returns a frozen object', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.entra)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow();
  });
});

describe('Access Control source', () => {
  it('uses SCIM only when both URL and token are set', () => {
    expect(loadConfig({}).accessControlScim).toBeNull();
    const c = loadConfig({ ACCESS_CONTROL_SCIM_URL: 'https://ac.example/scim/v2', ACCESS_CONTROL_SCIM_TOKEN: 't' });
    expect(c.accessControlScim).toEqual({ url: 'https://ac.example/scim/v2', token: 't' });
    expect(() => loadConfig({ ACCESS_CONTROL_SCIM_URL: 'https://ac.example/scim/v2' })).toThrow(
      /ACCESS_CONTROL_SCIM_TOKEN/,
    );
  });
});

describe('security settings', () => {
  it('isLoopbackHost accepts only loopback IP literals and the exact name localhost', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      'localhost',
      'LOCALHOST',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      '127.0.0.1.attacker.example',
      '127.evil.example',
      '1270.0.0.1',
      'localhost.attacker.example',
      '10.0.0.1',
      '0.0.0.0',
      '::',
      '::ffff:10.0.0.1',
      '',
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('reads the host of a Host header and refuses malformed ones', () => {
    expect(hostOfHostHeader('127.0.0.1:3978')).toBe('127.0.0.1');
    expect(hostOfHostHeader('[::1]:3978')).toBe('[::1]');
    expect(hostOfHostHeader('evil.example')).toBe('evil.example');
    expect(hostOfHostHeader('127.0.0.1@evil.example')).toBeNull();
    expect(hostOfHostHeader(undefined)).toBeNull();
  });

  it('refuses BOT_LOCAL_MODE on a host that only looks like loopback', () => {
    expect(() => loadConfig({ BOT_LOCAL_MODE: 'true', HOST: '127.0.0.1.attacker.example' })).toThrow(/BOT_LOCAL_MODE/);
  });

  it('refuses ACCESS_CONTROL_SCIM_URL over plain http outside loopback', () => {
    expect(() =>
      loadConfig({ ACCESS_CONTROL_SCIM_URL: 'http://ac.example/scim/v2', ACCESS_CONTROL_SCIM_TOKEN: 't' }),
    ).toThrow(/ACCESS_CONTROL_SCIM_URL: must be https/);
    expect(
      loadConfig({ ACCESS_CONTROL_SCIM_URL: 'http://127.0.0.1:9000/scim/v2', ACCESS_CONTROL_SCIM_TOKEN: 't' })
        .accessControlScim?.url,
    ).toBe('http://127.0.0.1:9000/scim/v2');
  });

  it('refuses a weak SIGNING_SECRET at start', () => {
    expect(() => loadConfig({ SIGNING_SECRET: 'changeme' })).toThrow(/SIGNING_SECRET: too weak/);
    expect(() => loadConfig({ SIGNING_SECRET: 'a'.repeat(64) })).toThrow(/SIGNING_SECRET: too weak/);
    const strong = randomBytes(32).toString('base64');
    expect(loadConfig({ SIGNING_SECRET: strong }).signingSecret).toBe(strong);
  });

  it('git ignores every filled-in env file except the example', () => {
    const ignored = (p: string) =>
      spawnSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: root }).status === 0;
    expect(ignored('env/.env.prod')).toBe(true);
    expect(ignored('env/.env.dev')).toBe(true);
    expect(ignored('env/.env.local.user')).toBe(true);
    expect(ignored('env/.env.example')).toBe(false);
  });
});
