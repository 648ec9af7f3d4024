// Signs and verifies the emulator's RS256 access tokens, and verifies client assertions signed with app certificates.
import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import {
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importSPKI,
  importX509,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { SeedAppCertificate } from './seed.js';

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const TOKEN_LIFETIME_S = 3599;

export interface AccessTokenClaims {
  tid: string;
  appid: string;
  /** Object id of the calling app's service principal. */
  oid: string;
  roles: string[];
  aud: string;
  exp: number;
}

export interface TokenIssuer {
  readonly jwks: { keys: JWK[] };
  issue(input: { tenantId: string; appId: string; roles: string[]; servicePrincipalId: string }): Promise<{
    token: string;
    expiresIn: number;
  }>;
  /** Verifies signature, audience, lifetime and tenant; returns the claims or a Graph-style reason. */
  verify(
    token: string,
    tenantId: string,
  ): Promise<{ ok: true; claims: AccessTokenClaims } | { ok: false; reason: string }>;
}

/** Creates a signing key pair and the issuer/verifier around it. `now` is seconds since the epoch. */
export async function createTokenIssuer(now: () => number): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomUUID().replace(/-/g, '').slice(0, 27);
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  return {
    jwks: { keys: [jwk] },
    async issue({ tenantId, appId, roles, servicePrincipalId }) {
      const iat = Math.floor(now());
      const payload: Record<string, unknown> = {
        aud: GRAPH_AUDIENCE,
        iss: `https://sts.windows.net/${tenantId}/`,
        iat,
        nbf: iat,
        exp: iat + TOKEN_LIFETIME_S,
        appid: appId,
        appidacr: '1',
        idtyp: 'app',
        oid: servicePrincipalId,
        sub: servicePrincipalId,
        tid: tenantId,
        ver: '1.0',
        uti: randomUUID(),
      };
      if (roles.length > 0) payload.roles = roles;
      const token = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
      return { token, expiresIn: TOKEN_LIFETIME_S };
    },
    async verify(token, tenantId) {
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: ['RS256'],
          currentDate: new Date(now() * 1000),
          clockTolerance: 0,
        });
        if (payload.aud !== GRAPH_AUDIENCE && payload.aud !== GRAPH_APP_ID)
          return { ok: false, reason: 'Access token validation failure. Invalid audience.' };
        if (payload.tid !== tenantId)
          return { ok: false, reason: 'Access token validation failure. Invalid issuer or signature.' };
        return {
          ok: true,
          claims: {
            tid: String(payload.tid),
            appid: String(payload.appid),
            oid: String(payload.oid ?? ''),
            roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
            aud: String(payload.aud),
            exp: Number(payload.exp),
          },
        };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_JWT_EXPIRED')
          return { ok: false, reason: 'Lifetime validation failed, the token is expired.' };
        if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID')
          return { ok: false, reason: 'IDX14100: JWT is not well formed, there are no dots (.).' };
        return { ok: false, reason: 'Access token validation failure. Invalid issuer or signature.' };
      }
    },
  };
}

/** Hex thumbprints → the base64url form of the `x5t#S256` / `x5t` JWT headers. */
function thumbprintHeader(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** A verification key for the assertion's algorithm from a certificate or SPKI public key PEM. */
async function keyFromPem(pem: string, alg: string): ReturnType<typeof importSPKI> {
  if (pem.includes('BEGIN CERTIFICATE')) return importX509(pem, alg);
  if (pem.includes('BEGIN PUBLIC KEY')) return importSPKI(pem, alg);
  const spki = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return importSPKI(spki, alg);
}

/** The SHA-256 thumbprint (hex) of a PEM certificate, as Entra and msal-node compute it. */
export function certificateThumbprintSha256(certPem: string): string {
  const b64 = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
}

export type AssertionCheck = { ok: true } | { ok: false; code: number; message: string };

/**
 * Verifies a client assertion (RFC 7523): its certificate is one registered for the app (by `x5t#S256`),
 * the signature (RS256 or PS256) checks out, `iss` = `sub` = client id, `aud` is this token endpoint, not expired.
 */
export async function verifyClientAssertion(
  assertion: string,
  opts: { clientId: string; certificates: SeedAppCertificate[]; audiences: string[]; now: () => number },
): Promise<AssertionCheck> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return { ok: false, code: 50027, message: 'JWT token is invalid or malformed.' };
  }
  const x5tS256 = (header as Record<string, unknown>)['x5t#S256'];
  const x5t = header.x5t;
  const cert = opts.certificates.find((c) => {
    if (typeof x5tS256 === 'string') return thumbprintHeader(c.thumbprintSha256) === x5tS256;
    if (typeof x5t === 'string') {
      const pem = c.publicKeyPem;
      if (!pem.includes('BEGIN CERTIFICATE')) return false;
      const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
      return createHash('sha1').update(Buffer.from(b64, 'base64')).digest('base64url') === x5t;
    }
    return false;
  });
  if (!cert) {
    const shown = typeof x5tS256 === 'string' ? x5tS256 : (x5t ?? '(none)');
    return {
      ok: false,
      code: 700027,
      message: `Client assertion failed signature validation. Key was not found. Thumbprint of key used by client: '${shown}'.`,
    };
  }
  try {
    const alg = header.alg === 'PS256' ? 'PS256' : 'RS256';
    const { payload } = await jwtVerify(assertion, await keyFromPem(cert.publicKeyPem, alg), {
      algorithms: ['RS256', 'PS256'],
      currentDate: new Date(opts.now() * 1000),
      // Entra tolerates 5 minutes of clock skew (msal-node rounds iat/nbf to the nearest second).
      clockTolerance: 300,
    });
    if (payload.iss !== opts.clientId || payload.sub !== opts.clientId)
      return {
        ok: false,
        code: 700021,
        message: "Client assertion application identifier doesn't match 'client_id' parameter.",
      };
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!aud.some((a) => typeof a === 'string' && opts.audiences.includes(a.replace(/\/+$/, ''))))
      return {
        ok: false,
        code: 700212,
        message: `No matching federated identity record found for presented assertion audience '${aud.join(',')}'.`,
      };
    return { ok: true };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
      return { ok: false, code: 700024, message: 'Client assertion is not within its valid time range.' };
    return { ok: false, code: 700027, message: 'Client assertion failed signature validation.' };
  }
}
