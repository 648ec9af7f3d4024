// Test helpers for the emulator suites: msal-node and Graph SDK clients that trust the emulator's CA, raw HTTPS fetch.
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { RunningEmulator } from '../../src/emulator/index.js';

/** msal-node network client over undici, trusting the emulator's CA (the production one lives in src/entra). */
export function caNetworkClient(ca: string | null): INetworkModule {
  const dispatcher = new Agent({ connect: ca ? { ca } : {} });
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const res = await undiciFetch(url, {
      method,
      headers: options?.headers ?? {},
      ...(options?.body !== undefined ? { body: options.body } : {}),
      dispatcher,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { headers, body: (await res.json()) as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

export function msalApp(
  emu: RunningEmulator,
  auth: {
    clientId?: string;
    clientSecret?: string;
    clientCertificate?: { thumbprintSha256: string; privateKey: string; x5c?: string };
  } = {},
): ConfidentialClientApplication {
  const host = new URL(emu.authorityHost).host;
  return new ConfidentialClientApplication({
    auth: {
      clientId: auth.clientId ?? emu.clientId,
      authority: `${emu.authorityHost}/${emu.tenantId}`,
      knownAuthorities: [host],
      ...(auth.clientCertificate
        ? { clientCertificate: auth.clientCertificate }
        : { clientSecret: auth.clientSecret ?? emu.clientSecret }),
    },
    system: { networkClient: caNetworkClient(emu.caPem) },
  });
}

export async function tokenFor(emu: RunningEmulator, app = msalApp(emu)): Promise<string> {
  const r = await app.acquireTokenByClientCredential({
    scopes: ['https://graph.microsoft.com/.default'],
    skipCache: true,
  });
  if (!r) throw new Error('no token');
  return r.accessToken;
}

/** The Graph SDK client pointed at the emulator. */
export function graphClient(emu: RunningEmulator, token: () => Promise<string>): Client {
  return Client.init({
    baseUrl: emu.graphBaseUrl,
    customHosts: new Set([new URL(emu.graphBaseUrl).hostname]),
    // undici v7's Agent drives Node's global fetch; the cast bridges the two copies of undici's types.
    fetchOptions: { dispatcher: new Agent({ connect: emu.caPem ? { ca: emu.caPem } : {} }) } as unknown as RequestInit,
    authProvider: (done) => {
      token().then(
        (t) => done(null, t),
        (e: unknown) => done(e, null),
      );
    },
  });
}

/** Raw HTTPS fetch to the emulator (for what the SDK hides: headers, status codes, raw bodies). */
export function rawFetch(emu: RunningEmulator) {
  const dispatcher = new Agent({ connect: emu.caPem ? { ca: emu.caPem } : {} });
  return async (
    path: string,
    init: {
      method?: string;
      token?: string;
      headers?: Record<string, string>;
      body?: unknown;
      form?: Record<string, string>;
    } = {},
  ) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const res = await undiciFetch(`${emu.graphBaseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      dispatcher,
      redirect: 'manual',
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}
