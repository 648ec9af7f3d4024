// Finds and fetches the file attached to an `import` message, only from where Teams really serves attachments.
import { isLoopbackHost } from '../config.js';
import type { IncomingAttachment } from './handlers.js';

export const TEAMS_FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info';
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** What the bot accepts, in the words of every refusal (the refused URL is never fetched). */
export const ACCEPTED_SOURCES =
  'attach the CSV to a message in this personal chat: the bot downloads only files Teams keeps in OneDrive or SharePoint (https://….sharepoint.com) and attachments of this conversation held by the Bot Connector';

export interface ImportFile {
  readonly name: string;
  readonly url: string;
}

export interface AttachmentPolicy {
  /** The activity's own serviceUrl: Bot Connector attachments must live under it (`{serviceUrl}/v3/attachments/…`). */
  readonly serviceUrl: string | undefined;
  /** BOT_LOCAL_MODE: http:// is accepted (the local connector is on loopback); https:// only otherwise. */
  readonly localMode: boolean;
}

export type ImportFileAnswer = ImportFile | { readonly refused: string } | null;

const parse = (raw: string): URL | null => {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
};

const service = (policy: AttachmentPolicy) => (policy.serviceUrl ? parse(policy.serviceUrl) : null);

/** SharePoint Online and OneDrive for Business (`{tenant}.sharepoint.com`, `{tenant}-my.sharepoint.com`). */
const isSharePointHost = (host: string) => /^[a-z0-9-]+(\.[a-z0-9-]+)*\.sharepoint\.com$/.test(host);

function schemeOk(url: URL, policy: AttachmentPolicy): boolean {
  if (url.protocol === 'https:') return true;
  return policy.localMode && url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** The Bot Connector's attachment service of this conversation: `{serviceUrl}/v3/attachments/…`, same origin. */
function underServiceUrl(url: URL, policy: AttachmentPolicy): boolean {
  const base = service(policy);
  if (!base || base.origin !== url.origin) return false;
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return url.pathname.startsWith(`${prefix}v3/attachments/`);
}

/**
 * Where Teams asks a bot to upload an accepted file (File Consent card): the user's OneDrive for Business, over
 * https (`{tenant}-my.sharepoint.com`). Local mode also accepts a loopback target (the tests' stand-in).
 */
export function isTeamsUploadUrl(raw: string, localMode: boolean): boolean {
  const url = parse(raw);
  if (!url || url.username || url.password) return false;
  if (url.protocol === 'https:' && isSharePointHost(url.hostname)) return true;
  return localMode && (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
}

/** Whether the bot may fetch this URL for an import. */
export function isAcceptedImportUrl(raw: string, kind: 'download-info' | 'content', policy: AttachmentPolicy): boolean {
  const url = parse(raw);
  if (!url || url.username || url.password || !schemeOk(url, policy)) return false;
  if (kind === 'download-info') {
    if (url.protocol === 'https:' && isSharePointHost(url.hostname)) return true;
    // The local connector (Agents Playground, tests) stands in for SharePoint only in local mode.
    return policy.localMode && service(policy)?.origin === url.origin;
  }
  return underServiceUrl(url, policy);
}

/**
 * The first attachment that is a file to import; `{refused}` when the attachment points anywhere else; null when
 * there is none. Cards and inline HTML are ignored.
 */
export function findImportFile(
  attachments: readonly IncomingAttachment[] | undefined,
  policy: AttachmentPolicy,
): ImportFileAnswer {
  for (const a of attachments ?? []) {
    const name = (a.name ?? 'upload.csv').slice(0, 200);
    if (a.contentType === TEAMS_FILE_DOWNLOAD_INFO) {
      const url = (a.content as { downloadUrl?: unknown } | undefined)?.downloadUrl;
      if (typeof url !== 'string') continue;
      return isAcceptedImportUrl(url, 'download-info', policy) ? { name, url } : { refused: ACCEPTED_SOURCES };
    }
    if (a.contentType?.startsWith('application/vnd.microsoft.card.') || a.contentType === 'text/html') continue;
    if (typeof a.contentUrl === 'string')
      return isAcceptedImportUrl(a.contentUrl, 'content', policy)
        ? { name, url: a.contentUrl }
        : { refused: ACCEPTED_SOURCES };
  }
  return null;
}

/**
 * A download that failed for a reason a person can act on. `code` and `values` let the bot say it in the reader's
 * language (string table `import.download.<code>`); the message is the English sentence (logs, CLI).
 */
export class ImportDownloadError extends Error {
  constructor(
    readonly code: 'redirected' | 'http' | 'too-large',
    readonly values: Readonly<Record<string, string | number>>,
    message: string,
  ) {
    super(message);
    this.name = 'ImportDownloadError';
  }
}

const tooLarge = (name: string, maxBytes: number) => {
  const mb = Math.round(maxBytes / 1048576);
  return new ImportDownloadError(
    'too-large',
    { file: name, mb },
    `${name} is larger than ${mb} MB; split the export by domain`,
  );
};

/**
 * Downloads the file: redirects are followed only within the same origin, the size is capped while streaming.
 * Throws with a sentence a person can read; never with the body of the answer.
 */
export async function downloadImportFile(
  file: ImportFile,
  options: { maxBytes?: number; timeoutMs?: number } = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  let url = new URL(file.url);
  let res: Response;
  for (let hops = 0; ; hops++) {
    res = await fetch(url, { redirect: 'manual', signal });
    if (res.status < 300 || res.status >= 400) break;
    await res.body?.cancel();
    const location = res.headers.get('location');
    const next = location ? new URL(location, url) : null;
    if (!next || next.origin !== url.origin || hops >= MAX_REDIRECTS)
      throw new ImportDownloadError(
        'redirected',
        { file: file.name },
        `could not download ${file.name}: the file server redirected elsewhere. ${ACCEPTED_SOURCES}.`,
      );
    url = next;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ImportDownloadError(
      'http',
      { file: file.name, status: res.status },
      `could not download ${file.name}: HTTP ${res.status}. Attach the file again and retry.`,
    );
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(file.name, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge(file.name, maxBytes);
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}
