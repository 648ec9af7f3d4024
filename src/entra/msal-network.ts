// msal-node's network module over our HTTPS transport, so token requests trust the configured CA (ENTRA_CA_FILE).
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { TransportFetch } from './http-transport.js';

/** Wraps transport failures so the credential can say what went wrong (code kept in `cause`). */
export class TokenTransportError extends Error {
  constructor(
    message: string,
    readonly url: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'TokenTransportError';
  }
}

/**
 * `onTransportError` sees every transport failure: msal reports some of them (metadata discovery) only as
 * "endpoints_resolution_error", so the credential keeps the real cause to explain it.
 */
export function createMsalNetworkClient(
  fetchFn: TransportFetch,
  defaultTimeoutMs = 30_000,
  onTransportError: (err: TokenTransportError) => void = () => {},
): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeoutMs: number,
  ): Promise<NetworkResponse<T>> => {
    let response: Awaited<ReturnType<TransportFetch>>;
    try {
      response = await fetchFn(url, {
        method,
        headers: options?.headers ?? {},
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const origin = safeOrigin(url);
      const wrapped = new TokenTransportError(`token request to ${origin} failed: ${(err as Error).message}`, origin, {
        cause: err,
      });
      onTransportError(wrapped);
      throw wrapped;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const text = await response.text();
    let body: T;
    try {
      body = (text === '' ? {} : JSON.parse(text)) as T;
    } catch {
      const wrapped = new TokenTransportError(
        `the authority at ${safeOrigin(url)} answered ${response.status} with a body that is not JSON (is ENTRA_AUTHORITY_HOST right?)`,
        safeOrigin(url),
      );
      onTransportError(wrapped);
      throw wrapped;
    }
    return { headers, body, status: response.status };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) =>
      send<T>('GET', url, options, timeout ?? defaultTimeoutMs),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) =>
      send<T>('POST', url, options, defaultTimeoutMs),
  };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the authority';
  }
}
