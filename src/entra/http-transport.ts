// The HTTPS transport shared by the token and Graph calls: undici fetch with an optional extra CA and a per-request timeout.
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

export type TransportFetch = typeof undiciFetch;

export interface HttpTransport {
  /** undici fetch bound to this transport's dispatcher (extra CA trusted, keep-alive pool). */
  readonly fetch: TransportFetch;
  readonly dispatcher: Agent;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  /** PEM of an extra CA to trust (the emulator's), besides the system store. */
  readonly caPem?: string | undefined;
  /** Sockets per origin (several batches in flight share them). Default 16. */
  readonly connections?: number;
}

/** One pool per connector; `caPem` adds to (does not replace) the trusted roots. */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const connect: { secureContext?: SecureContext } = {};
  if (options.caPem) {
    // Keep the system roots and add the extra CA. Built once: a `ca` option would build a SecureContext from
    // ~140 certificates for every new socket.
    connect.secureContext = createSecureContext({ ca: [...rootCertificates, options.caPem] });
  }
  const dispatcher = new Agent({ connect, connections: options.connections ?? 16 });
  const boundFetch: TransportFetch = (input, init) => undiciFetch(input, { ...init, dispatcher });
  return {
    fetch: boundFetch,
    dispatcher,
    close: () => dispatcher.close(),
  };
}
