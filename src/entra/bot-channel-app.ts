// The bot's own client-credentials app (BOT_ID) for another Bot Framework cloud's login, trusted without Microsoft's instance discovery.
import { ConfidentialClientApplication } from '@azure/msal-node';

const MICROSOFT_LOGIN_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

/** True when msal-node knows the login host itself (Microsoft's clouds), so botbuilder's own credentials work there. */
export function isMicrosoftLoginHost(loginUrl: string): boolean {
  return MICROSOFT_LOGIN_HOSTS.has(new URL(loginUrl).hostname);
}

/**
 * An msal-node app for the bot's app id and password whose authority is `loginUrl` (tenant included, e.g.
 * https://login.example/botframework.com). msal-node asks login.microsoftonline.com to vouch for any other host
 * (instance discovery); listing the host in `knownAuthorities` trusts it directly, as a private cloud needs.
 * HTTPS to it is verified with Node's trust store (NODE_EXTRA_CA_CERTS adds a private CA).
 */
export function createBotChannelApp(options: {
  readonly appId: string;
  readonly password: string;
  readonly loginUrl: string;
}): ConfidentialClientApplication {
  const url = new URL(options.loginUrl);
  if (url.protocol !== 'https:') throw new Error(`BOT_LOGIN_URL: must be an https:// URL (got ${url.protocol}//)`);
  return new ConfidentialClientApplication({
    auth: {
      clientId: options.appId,
      clientSecret: options.password,
      authority: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
      ...(isMicrosoftLoginHost(options.loginUrl) ? {} : { knownAuthorities: [url.host] }),
    },
  });
}
