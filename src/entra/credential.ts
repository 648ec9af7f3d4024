// The app's credential for Graph (msal-node client credentials, secret or certificate) and a check that explains failures.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import type { Logger } from '../logger.js';
import { classifyNetworkError, networkErrorCode } from './errors.js';
import type { TransportFetch } from './http-transport.js';
import { createMsalNetworkClient, TokenTransportError } from './msal-network.js';

export interface CredentialOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  /** PEM text holding the private key and the certificate (read by the caller or from certPath). */
  readonly certPem?: string | undefined;
  readonly certPath?: string | undefined;
  /** Hex SHA-256 thumbprint of the certificate; computed from the PEM when absent. */
  readonly certThumbprintSha256?: string | undefined;
  /** e.g. https://login.microsoftonline.com (no tenant). */
  readonly authorityHost: string;
  /** Where Graph lives; decides the token's resource. Default https://graph.microsoft.com. */
  readonly graphBaseUrl?: string;
  /** The fetch to use for token calls (carries the extra CA). */
  readonly fetch: TransportFetch;
  readonly logger: Logger;
}

export type CredentialCheck = { ok: true } | { ok: false; code: string; message: string };

export interface Credential {
  /** A Graph access token for the app (cached by msal until shortly before it expires). Never log it. */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
  /** Requests a fresh token and explains any failure in a sentence that says what to do. */
  check(): Promise<CredentialCheck>;
  /** The scope tokens are requested for (`<graph resource>/.default`). */
  readonly scope: string;
  readonly kind: 'secret' | 'certificate';
}

/** A credential failure, already explained. */
export class CredentialError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}

const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);
const MICROSOFT_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

/** `<resource>/.default` for Graph: the public resource for Microsoft clouds, the base URL itself otherwise. */
export function graphScope(graphBaseUrl: string): string {
  const url = new URL(graphBaseUrl);
  if (MICROSOFT_GRAPH_HOSTS.has(url.hostname)) return `https://${url.hostname}/.default`;
  return `${url.origin}/.default`;
}

/** Splits a PEM bundle into its private key and first certificate; computes the SHA-256 thumbprint. */
export function readCertificateBundle(pem: string): {
  privateKey: string;
  certificate: string;
  thumbprintSha256: string;
} {
  const key = pem.match(
    /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/,
  );
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  if (!key) throw new CredentialError('cert_no_key', 'ENTRA_CLIENT_CERT_PATH: the PEM file holds no private key');
  if (!cert) throw new CredentialError('cert_no_cert', 'ENTRA_CLIENT_CERT_PATH: the PEM file holds no certificate');
  if (key[0].includes('ENCRYPTED')) {
    throw new CredentialError(
      'cert_encrypted',
      'ENTRA_CLIENT_CERT_PATH: the private key is encrypted; store it unencrypted',
    );
  }
  let thumbprintSha256: string;
  try {
    const x509 = new X509Certificate(cert[0]);
    thumbprintSha256 = createHash('sha256').update(x509.raw).digest('hex');
  } catch (err) {
    throw new CredentialError(
      'cert_invalid',
      `ENTRA_CLIENT_CERT_PATH: the certificate cannot be read (${(err as Error).message})`,
    );
  }
  return { privateKey: key[0], certificate: cert[0], thumbprintSha256 };
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CredentialError(
      'cert_unreadable',
      `ENTRA_CLIENT_CERT_PATH: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

export function createCredential(options: CredentialOptions): Credential {
  const { tenantId, clientId, logger } = options;
  if (!tenantId) throw new CredentialError('config', 'ENTRA_TENANT_ID: required to request tokens');
  if (!clientId) throw new CredentialError('config', 'ENTRA_CLIENT_ID: required to request tokens');
  const authorityUrl = new URL(options.authorityHost);
  if (authorityUrl.protocol !== 'https:') {
    throw new CredentialError(
      'config',
      `ENTRA_AUTHORITY_HOST: must be an https:// URL (got ${authorityUrl.protocol}//)`,
    );
  }
  const scope = graphScope(options.graphBaseUrl ?? 'https://graph.microsoft.com');

  const auth: Configuration['auth'] = {
    clientId,
    authority: `${authorityUrl.origin}/${encodeURIComponent(tenantId)}`,
  };
  if (!MICROSOFT_AUTHORITY_HOSTS.has(authorityUrl.hostname)) {
    // A local or private authority: trust it without Microsoft's instance discovery.
    auth.knownAuthorities = [authorityUrl.host];
  }
  let kind: Credential['kind'];
  if (options.clientSecret) {
    kind = 'secret';
    auth.clientSecret = options.clientSecret;
  } else if (options.certPem || options.certPath) {
    kind = 'certificate';
    const bundle = readCertificateBundle(options.certPem ?? readPem(options.certPath as string));
    const given = options.certThumbprintSha256?.replace(/[:\s]/g, '').toLowerCase();
    if (given && given !== bundle.thumbprintSha256) {
      throw new CredentialError(
        'cert_thumbprint',
        `ENTRA_CLIENT_CERT_THUMBPRINT_SHA256 does not match the certificate in ENTRA_CLIENT_CERT_PATH (its SHA-256 thumbprint is ${bundle.thumbprintSha256})`,
      );
    }
    auth.clientCertificate = {
      thumbprintSha256: bundle.thumbprintSha256,
      privateKey: bundle.privateKey,
      x5c: bundle.certificate,
    };
  } else {
    throw new CredentialError(
      'config',
      'ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERT_PATH: one credential is required to request tokens',
    );
  }

  let lastTransportError: TokenTransportError | null = null;
  const app = new ConfidentialClientApplication({
    auth,
    system: {
      networkClient: createMsalNetworkClient(options.fetch, 30_000, (err) => {
        lastTransportError = err;
      }),
    },
  });
  const context = { tenantId, clientId, authority: authorityUrl.origin, kind };

  const acquire = async (skipCache: boolean): Promise<string> => {
    let result: Awaited<ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']>>;
    lastTransportError = null;
    try {
      result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache });
    } catch (err) {
      // msal hides transport failures during discovery behind its own code: explain the real cause.
      const hasServerAnswer = typeof (err as { errorNo?: unknown }).errorNo === 'string';
      const explained = explainTokenError(!hasServerAnswer && lastTransportError ? lastTransportError : err, context);
      logger.warn({ code: explained.code, tenantId, clientId }, `token request failed: ${explained.message}`);
      throw explained;
    }
    if (!result?.accessToken) {
      throw new CredentialError('no_token', `the authority at ${authorityUrl.origin} returned no access token`);
    }
    if (!result.fromCache) {
      logger.debug({ tenantId, clientId, expiresOn: result.expiresOn?.toISOString() ?? null }, 'access token acquired');
    }
    return result.accessToken;
  };

  return {
    scope,
    kind,
    getToken: (opts) => acquire(opts?.forceRefresh === true),
    check: async () => {
      try {
        await acquire(true);
        return { ok: true };
      } catch (err) {
        const e = err instanceof CredentialError ? err : explainTokenError(err, context);
        return { ok: false, code: e.code, message: e.message };
      }
    },
  };
}

interface ErrorContext {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authority: string;
  readonly kind: 'secret' | 'certificate';
}

/** AADSTS numbers we explain, with what to do about each. */
function aadstsAdvice(n: string, c: ErrorContext): string | null {
  const app = `app ${c.clientId}`;
  switch (n) {
    case '7000215':
      return `the client secret of ${app} is wrong (AADSTS7000215): create a new client secret in the app registration and set ENTRA_CLIENT_SECRET to its value (not its id)`;
    case '7000222':
      return `the client secret of ${app} has expired (AADSTS7000222): create a new client secret and set ENTRA_CLIENT_SECRET`;
    case '700016':
      return `${app} is not known in tenant ${c.tenantId} (AADSTS700016): check ENTRA_CLIENT_ID and ENTRA_TENANT_ID, and have an administrator of that tenant grant admin consent`;
    case '90002':
    case '900023':
    case '90013':
      return `tenant ${c.tenantId} was not found (AADSTS${n}): check ENTRA_TENANT_ID (the directory (tenant) ID or a verified domain of the tenant)`;
    case '65001':
    case '650051':
    case '500011':
      return `an administrator has not consented to ${app} in tenant ${c.tenantId} (AADSTS${n}): open the admin consent link (\`setup consent\` in the bot) and accept, then try again`;
    case '700027':
    case '700024':
    case '7000274':
    case '7000277':
      return `the certificate of ${app} was not accepted (AADSTS${n}): upload the certificate's public part to the app registration and check ENTRA_CLIENT_CERT_THUMBPRINT_SHA256`;
    case '7000112':
      return `${app} is disabled in tenant ${c.tenantId} (AADSTS7000112): enable the app registration (or its enterprise application)`;
    case '1002012':
    case '70011':
      return `the token scope was refused (AADSTS${n}): check GRAPH_BASE_URL`;
    default:
      return null;
  }
}

/** Turns an msal/transport failure into a CredentialError with a sentence that says what to do. Never includes secrets. */
export function explainTokenError(err: unknown, c: ErrorContext): CredentialError {
  if (err instanceof CredentialError) return err;
  const e = err as { errorCode?: unknown; errorMessage?: unknown; errorNo?: unknown; message?: unknown };
  const text = [e.errorNo, e.errorMessage, e.message].filter((v) => typeof v === 'string').join(' ');
  const aadsts = typeof e.errorNo === 'string' && /^\d+$/.test(e.errorNo) ? e.errorNo : text.match(/AADSTS(\d+)/)?.[1];
  if (aadsts) {
    const advice = aadstsAdvice(aadsts, c);
    if (advice) return new CredentialError(`AADSTS${aadsts}`, advice);
    const firstLine = (typeof e.errorMessage === 'string' ? e.errorMessage : text).split(/\r?\n/)[0] ?? '';
    return new CredentialError(
      `AADSTS${aadsts}`,
      `the authority refused the token request: ${firstLine.slice(0, 300)}`,
    );
  }
  // Transport failures: find our wrapper or a socket code anywhere in the chain.
  let transport: TokenTransportError | null = null;
  for (let cur: unknown = err, depth = 0; cur && depth < 6; depth++) {
    if (cur instanceof TokenTransportError) {
      transport = cur;
      break;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  if (transport || networkErrorCode(err)) {
    const failure = classifyNetworkError(transport?.cause ?? err, { target: c.authority });
    if (failure.kind === 'stop') return new CredentialError(failure.code, failure.message);
    if (transport && !transport.cause) return new CredentialError('authority_unreadable', transport.message);
    return new CredentialError(
      failure.code,
      `cannot get a token from ${c.authority} (${failure.code}): check ENTRA_AUTHORITY_HOST and the network`,
    );
  }
  const code = typeof e.errorCode === 'string' && e.errorCode ? e.errorCode : 'token_error';
  if (/endpoints_resolution_error|openid|authority/i.test(`${code} ${text}`)) {
    return new CredentialError(
      code,
      `the authority ${c.authority}/${c.tenantId} could not be used (${code}): check ENTRA_AUTHORITY_HOST and ENTRA_TENANT_ID`,
    );
  }
  if (code === 'invalid_client') {
    return new CredentialError(
      code,
      c.kind === 'secret'
        ? `the client credential was rejected (invalid_client): check ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET`
        : `the client certificate was rejected (invalid_client): check ENTRA_CLIENT_ID and the certificate uploaded to the app`,
    );
  }
  const msg =
    (typeof e.errorMessage === 'string' && e.errorMessage) || (err instanceof Error ? err.message : String(err));
  return new CredentialError(code, `token request failed (${code}): ${msg.split(/\r?\n/)[0]?.slice(0, 300) ?? ''}`);
}
