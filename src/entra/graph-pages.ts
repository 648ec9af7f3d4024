// Graph GETs with the connector's retry rule, and the paging that follows `@odata.nextLink` (the Entra reads' transport).
import type { Logger } from '../logger.js';
import { classifyResponse, GraphRequestError, type GraphFailure, toFailure } from './errors.js';
import type { GraphClient, GraphResponse } from './graph-client.js';
import { type Clock, DEFAULT_BACKOFF, newTally, nextRetry, type RandomSource, type RetryLimits } from './retry.js';
import type { Json } from './user-rows.js';

export interface GraphPagesOptions {
  readonly graph: GraphClient;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly limits: RetryLimits;
}

/** GraphEntraReader's reads: one GET (`request`), every page's rows handed over (`follow`) or collected (`getAll`). */
export class GraphPages {
  private readonly graph: GraphClient;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly limits: RetryLimits;

  constructor(options: GraphPagesOptions) {
    this.graph = options.graph;
    this.logger = options.logger;
    this.clock = options.clock;
    this.random = options.random;
    this.limits = options.limits;
  }

  /** Reads `path` and every page after it, handing each page's rows (and body) over without keeping them. */
  async follow(
    path: string,
    options: { advanced?: boolean; permission: string },
    onRows: (rows: Json[]) => void,
    onBody?: (body: Json) => void,
  ): Promise<void> {
    let next: string | null = path;
    while (next !== null) {
      const res = await this.request(next, options);
      const body = (res?.body ?? {}) as Json;
      onBody?.(body);
      onRows(rowsOf(body));
      next = nextLinkOf(body);
    }
  }

  /** Follows @odata.nextLink from `path`, collecting `value` rows. */
  async getAll(
    path: string,
    options: { advanced?: boolean; permission: string; maxPages?: number },
    onPage?: (rows: Json[]) => void,
  ): Promise<Json[]> {
    const all: Json[] = [];
    let next: string | null = path;
    let pages = 0;
    while (next !== null) {
      const res = await this.request(next, options);
      const body = (res?.body ?? {}) as Json;
      const value = Array.isArray(body.value) ? (body.value as Json[]) : [];
      all.push(...value);
      onPage?.(value);
      pages += 1;
      const link = body['@odata.nextLink'];
      next =
        typeof link === 'string' && link !== '' && pages < (options.maxPages ?? Number.POSITIVE_INFINITY) ? link : null;
    }
    return all;
  }

  /** One GET with the connector's retry rule (nextRetry: throttled → Retry-After, transient → backoff); others throw. */
  async request(
    path: string,
    options: { advanced?: boolean; permission: string; allowNotFound?: boolean },
  ): Promise<GraphResponse | null> {
    const headers: Record<string, string> = options.advanced ? { ConsistencyLevel: 'eventual' } : {};
    const tally = newTally();
    for (let attempt = 1; ; attempt++) {
      if (this.graph.pacer) await this.graph.pacer.wait();
      let failure: GraphFailure;
      try {
        const res = await this.graph.send({ method: 'GET', path, headers });
        if (res.status >= 200 && res.status < 300) return res;
        failure = classifyResponse({
          status: res.status,
          body: res.body,
          headers: res.headers,
          now: this.clock.now(),
          permission: options.permission,
        });
      } catch (err) {
        failure = toFailure(err);
      }
      if (failure.kind === 'not_found' && options.allowNotFound) return null;
      const delay = nextRetry(failure, tally, this.limits, { backoff: DEFAULT_BACKOFF, random: this.random });
      if (delay === null) throw new GraphRequestError(failure, `reading ${path.split('?')[0]} from Graph`);
      this.logger.debug({ code: failure.code, attempt, delayMs: delay }, 'graph read will be retried');
      await this.clock.sleep(delay);
    }
  }
}

/** The rows of a page (`value`), or none. */
export function rowsOf(body: Json): Json[] {
  return Array.isArray(body.value) ? (body.value as Json[]) : [];
}

/** The next page's link, or null on the last page. */
export function nextLinkOf(body: Json): string | null {
  const link = body['@odata.nextLink'];
  return typeof link === 'string' && link !== '' ? link : null;
}
