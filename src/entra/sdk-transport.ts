// The SDK's end of a Graph request: the terminal middleware that sends it over our HTTPS transport with a timeout, and the reading of the answer's body.
import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import type { TransportFetch } from './http-transport.js';

/** Per-request settings for the transport middleware; it also records the transport error the SDK would flatten. */
export class TransportOptions implements MiddlewareOptions {
  error: unknown = null;
  constructor(readonly timeoutMs: number) {}
}

/** Terminal middleware: undici fetch (extra CA, keep-alive pool) with a timeout. */
export class TransportHandler implements Middleware {
  constructor(
    private readonly fetchFn: TransportFetch,
    private readonly defaultTimeoutMs: number,
  ) {}
  async execute(context: Context): Promise<void> {
    const opts = context.middlewareControl?.getMiddlewareOptions(TransportOptions) as TransportOptions | undefined;
    const timeoutMs = opts?.timeoutMs ?? this.defaultTimeoutMs;
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const init = (context.options ?? {}) as Record<string, unknown>;
    try {
      const response = await this.fetchFn(url, {
        method: init.method as string | undefined,
        headers: init.headers as Record<string, string> | undefined,
        body: init.body as string | undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      context.response = response as unknown as Response;
    } catch (err) {
      if (opts) opts.error = err;
      throw err;
    }
  }
  setNext(): void {
    // Terminal middleware: nothing follows.
  }
}

export async function readBody(response: { text(): Promise<string>; headers: Headers }): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json') || /^[[{]/.test(text.trimStart())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
