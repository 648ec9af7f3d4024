// The Entra ID connector's front door: builds credential, Graph client, reader and writer from the parsed config.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { OpsObserver } from '../sync/observer.js';
import type { EntraReader, EntraWriter } from '../sync/ports.js';
import { GraphBatchWriter, type GraphBatchWriterOptions } from './batch-writer.js';
import { type Credential, createCredential } from './credential.js';
import { createGraphClient, type GraphClient } from './graph-client.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';
import { ThrottlePacer } from './pacer.js';
import { type Clock, type RandomSource, systemClock } from './retry.js';
import { GraphEntraReader } from './user-reader.js';

export { adminConsentUrl, parseAdminConsentCallback } from './admin-consent.js';
export type { Credential, CredentialCheck } from './credential.js';
export { CredentialError } from './credential.js';
export { ERROR_POLICY, GraphRequestError } from './errors.js';
export type { GraphClient } from './graph-client.js';
export { GraphBatchWriter } from './batch-writer.js';
export { GraphEntraReader } from './user-reader.js';
export { checkGraphAccess } from './token-roles.js';

export interface EntraConnector {
  readonly reader: EntraReader;
  readonly writer: EntraWriter;
  readonly credential: Credential;
  readonly graph: GraphClient;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

export type EntraConnectorConfig = Config['entra'] & {
  /** The extra CA's PEM (else read from caFile when set). */
  readonly caPem?: string;
  /** The certificate bundle's PEM (else read from clientCertPath when set). */
  readonly certPem?: string;
};

export interface EntraConnectorOptions {
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly writer?: Partial<
    Pick<
      GraphBatchWriterOptions,
      | 'batchSize'
      | 'concurrency'
      | 'maxAttempts'
      | 'maxThrottledRetries'
      | 'requestTimeoutMs'
      | 'backoff'
      | 'passwordFor'
    >
  >;
  /** Per-request timeout of reads. Default 60 s. */
  readonly readTimeoutMs?: number;
  readonly adminCacheMs?: number;
  /** Pacing: budget share where slowing starts (default 0.8) and the gap at 100% (default 2000 ms). */
  readonly pacer?: { readonly slowdownAt?: number; readonly maxGapMs?: number };
  /** Told of writes, 429s and the throttling budget (metrics). */
  readonly observer?: OpsObserver;
}

/** Builds the connector; throws with the variable's name when the configuration cannot work. */
export function createEntraConnector(
  config: EntraConnectorConfig,
  logger: Logger,
  options: EntraConnectorOptions = {},
): EntraConnector {
  if (!config.tenantId) throw new Error('ENTRA_TENANT_ID: required to connect to Entra ID');
  if (!config.clientId) throw new Error('ENTRA_CLIENT_ID: required to connect to Entra ID');
  let caPem = config.caPem;
  if (!caPem && config.caFile) {
    try {
      caPem = readFileSync(config.caFile, 'utf8');
    } catch (err) {
      throw new Error(`ENTRA_CA_FILE: cannot read ${config.caFile} (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  }
  const clock = options.clock ?? systemClock;
  const log = logger.child({ component: 'entra' });
  const transport: HttpTransport = createHttpTransport({ caPem });
  const credential = createCredential({
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    certPem: config.certPem,
    certPath: config.clientCertPath,
    certThumbprintSha256: config.clientCertThumbprintSha256,
    authorityHost: config.authorityHost,
    graphBaseUrl: config.graphBaseUrl,
    fetch: transport.fetch,
    logger: log,
  });
  const pacer = new ThrottlePacer({ clock, ...options.pacer });
  const graph = createGraphClient({
    credential,
    graphBaseUrl: config.graphBaseUrl,
    fetch: transport.fetch,
    logger: log,
    pacer,
    ...(options.readTimeoutMs !== undefined ? { timeoutMs: options.readTimeoutMs } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const random = options.random ?? Math.random;
  const reader = new GraphEntraReader({
    graph,
    logger: log,
    clock,
    random,
    ...(options.adminCacheMs !== undefined ? { adminCacheMs: options.adminCacheMs } : {}),
  });
  const writer = new GraphBatchWriter({
    graph,
    logger: log,
    clock,
    random,
    ...options.writer,
    ...(options.observer ? { observer: options.observer } : {}),
  });
  return { reader, writer, credential, graph, close: () => transport.close() };
}
