// Config: the Bot Framework cloud settings (BOT_OPENID_METADATA_URL, BOT_TOKEN_ISSUER, BOT_LOGIN_URL, BOT_OAUTH_SCOPE).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const BOT = { BOT_ID: '6f1c0a52-7c1e-4a57-9d43-2b6f4c1f7a10', BOT_PASSWORD: 'secret-value-0123456789' };
const CLOUD = {
  BOT_OPENID_METADATA_URL: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
  BOT_TOKEN_ISSUER: 'https://api.botframework.us',
  BOT_LOGIN_URL: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us/',
  BOT_OAUTH_SCOPE: 'https://api.botframework.us',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('Bot Framework cloud settings', () => {
  it('default to the public cloud (botbuilder’s own constants) when none is set', () => {
    expect(loadConfig(BOT).bot.channelAuth).toBeNull();
  });

  it('are read as one set, the login URL without its trailing slash', () => {
    expect(loadConfig({ ...BOT, ...CLOUD }).bot.channelAuth).toEqual({
      openIdMetadataUrl: CLOUD.BOT_OPENID_METADATA_URL,
      tokenIssuer: 'https://api.botframework.us',
      loginUrl: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us',
      oauthScope: 'https://api.botframework.us',
    });
  });

  it('refuse a partial set, naming the missing variables', () => {
    expect(problemsOf({ ...BOT, BOT_OPENID_METADATA_URL: CLOUD.BOT_OPENID_METADATA_URL })).toEqual([
      'BOT_TOKEN_ISSUER, BOT_LOGIN_URL, BOT_OAUTH_SCOPE: set all of BOT_OPENID_METADATA_URL, BOT_TOKEN_ISSUER, BOT_LOGIN_URL, BOT_OAUTH_SCOPE (another Bot Framework cloud), or none (the public cloud)',
    ]);
  });

  it('refuse plain http for the metadata and the login, and a value that is not a URL', () => {
    const problems = problemsOf({
      ...BOT,
      ...CLOUD,
      BOT_OPENID_METADATA_URL: 'http://127.0.0.1:1/botframework/v1/.well-known/openidconfiguration',
      BOT_LOGIN_URL: 'http://127.0.0.1:1/botframework.com',
    });
    expect(problems).toEqual([
      'BOT_OPENID_METADATA_URL: must be an https:// URL (got http:…)',
      'BOT_LOGIN_URL: must be an https:// URL (got http:…)',
    ]);
    expect(problemsOf({ ...BOT, ...CLOUD, BOT_TOKEN_ISSUER: 'api.botframework.us' })).toEqual([
      'BOT_TOKEN_ISSUER: must be a URL such as https://host',
    ]);
  });
});
