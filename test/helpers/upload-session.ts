// Test double of a OneDrive upload session URL (what a File Consent answer's uploadUrl points at), as strict as OneDrive.
//
// Follows "Upload bytes to the upload session" of https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession
// (and https://learn.microsoft.com/en-us/onedrive/developer/rest-api/api/driveitem_createuploadsession): PUT ranges in
// order with `Content-Length` and `Content-Range: bytes start-end/total`; under 60 MiB per request; every range but the
// last a multiple of 320 KiB; 202 Accepted with `nextExpectedRanges` until the last byte, then 201 Created with the
// driveItem; a range that is not the next expected one is refused with 416. Where the docs are silent (a body whose
// length is not the range's, a total that changes, a session already complete) it refuses too: 400, or 404.
import type { IncomingMessage, ServerResponse } from 'node:http';

const RANGE_UNIT = 320 * 1024;
const MAX_REQUEST = 60 * 1024 * 1024;

interface Session {
  total: number;
  parts: Buffer[];
  received: number;
  done: boolean;
}

export interface UploadSessions {
  /** Answers a PUT to an upload session path (one session per path, created by its first range). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The complete file uploaded at this path, or undefined while it is incomplete. */
  file(path: string): Buffer | undefined;
  /** Every range asked for, in order, with the answer given. */
  readonly requests: { path: string; range: string; length: number; status: number }[];
}

function refuse(res: ServerResponse, status: number, code: string, message: string): number {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
  return status;
}

export function createUploadSessions(): UploadSessions {
  const sessions = new Map<string, Session>();
  const requests: UploadSessions['requests'] = [];

  function answer(path: string, req: IncomingMessage, body: Buffer, res: ServerResponse): number {
    if (req.method !== 'PUT') return refuse(res, 405, 'invalidRequest', 'upload sessions take PUT');
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
    if (!range) return refuse(res, 400, 'invalidRequest', 'Content-Range must be "bytes start-end/total"');
    const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
    const declared = Number(req.headers['content-length']);
    if (!(end >= start && end < total)) return refuse(res, 400, 'invalidRequest', 'the range is outside the file');
    if (declared !== end - start + 1 || body.length !== declared)
      return refuse(res, 400, 'invalidRequest', 'Content-Length and the body must be the bytes of Content-Range');
    if (body.length >= MAX_REQUEST) return refuse(res, 413, 'invalidRequest', 'a request carries less than 60 MiB');
    let session = sessions.get(path);
    if (session?.done) return refuse(res, 404, 'itemNotFound', 'the upload session is complete');
    if (!session) {
      session = { total, parts: [], received: 0, done: false };
      sessions.set(path, session);
    }
    if (total !== session.total) return refuse(res, 400, 'invalidRequest', 'the total size changed');
    if (start !== session.received)
      return refuse(res, 416, 'invalidRange', `the next expected range is ${session.received}-`);
    const last = end + 1 === total;
    if (!last && body.length % RANGE_UNIT !== 0)
      return refuse(res, 400, 'invalidRequest', 'every range but the last must be a multiple of 320 KiB');
    session.parts.push(body);
    session.received += body.length;
    if (!last) {
      res.writeHead(202, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
          nextExpectedRanges: [`${session.received}-`],
        }),
      );
      return 202;
    }
    session.done = true;
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: path, size: total }));
    return 201;
  }

  return {
    requests,
    handle(req, res) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => undefined);
      req.on('end', () => {
        const path = req.url ?? '';
        const status = answer(path, req, Buffer.concat(chunks), res);
        requests.push({
          path,
          range: String(req.headers['content-range']),
          length: Number(req.headers['content-length']),
          status,
        });
      });
    },
    file(path) {
      const s = sessions.get(path);
      return s?.done ? Buffer.concat(s.parts) : undefined;
    },
  };
}
