// GET /downloads/:token — serves the plan or run CSV a signed, unexpired link names (attachment, no-store).
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { planShortHash } from '../sync/plan.js';
import { planCsvStream } from '../sync/plan-csv.js';
import { runCsvChunks } from '../sync/run-csv.js';
import type { SyncService } from '../sync/service-interface.js';
import type { LinkSigner } from './signed-links.js';

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

async function stream(
  res: ServerResponse,
  filename: string,
  chunks: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await once(res, 'drain');
  }
  res.end();
}

export function createDownloadHandler(deps: { signer: LinkSigner; service: SyncService; logger: Logger }) {
  return async (req: IncomingMessage, res: ServerResponse, token: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
    const check = deps.signer.verify(token);
    if (!check.ok) return sendText(res, check.status, check.message);
    if (check.kind === 'plan') {
      // The summary, and the changes read chunk by chunk as the CSV is sent: a plan of a million users is never held.
      const plan = await deps.service.getPlanSummary(check.id);
      if (!plan)
        return sendText(
          res,
          410,
          'This dry run no longer exists (it was cancelled or cleaned up). Run the dry run again.',
        );
      const name = `dry-run-${safeName(plan.domain)}-${planShortHash(plan.hash)}.csv`;
      deps.logger.info({ planId: plan.id, domain: plan.domain }, 'plan CSV downloaded');
      return stream(res, name, req.method === 'HEAD' ? [] : planCsvStream(deps.service.planChanges(plan.id)));
    }
    if (check.kind === 'run') {
      // The record without its outcomes; the CSV reads them page by page as it is sent.
      const run = await deps.service.getRun(check.id, { outcomes: false });
      if (!run) return sendText(res, 410, 'This sync run is no longer in the log (it was pruned).');
      const name = `sync-run-${safeName(run.domain)}-${safeName(run.id)}.csv`;
      deps.logger.info({ runId: run.id, domain: run.domain }, 'run CSV downloaded');
      return stream(res, name, req.method === 'HEAD' ? [] : runCsvChunks(run, deps.service.runOutcomes(run.id)));
    }
    return sendText(res, 403, 'This link is not a download link.');
  };
}
