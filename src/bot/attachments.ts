// Fetches the file attached to an `import` message: Teams file download info, or a plain contentUrl (Playground).
import type { Attachment } from 'botbuilder';

export const TEAMS_FILE_DOWNLOAD_INFO = 'application/vnd.microsoft.teams.file.download.info';
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

export interface ImportFile {
  readonly name: string;
  readonly url: string;
}

/** The first attachment that is a file to import, or null. Cards and inline images are ignored. */
export function findImportFile(attachments: readonly Attachment[] | undefined): ImportFile | null {
  for (const a of attachments ?? []) {
    if (a.contentType === TEAMS_FILE_DOWNLOAD_INFO) {
      const url = (a.content as { downloadUrl?: unknown } | undefined)?.downloadUrl;
      if (typeof url === 'string' && /^https?:\/\//.test(url)) return { name: a.name ?? 'upload.csv', url };
      continue;
    }
    if (a.contentType?.startsWith('application/vnd.microsoft.card.') || a.contentType === 'text/html') continue;
    if (typeof a.contentUrl === 'string' && /^https?:\/\//.test(a.contentUrl))
      return { name: a.name ?? 'upload.csv', url: a.contentUrl };
  }
  return null;
}

/** Downloads the file (size-capped); throws with a sentence a person can read. */
export async function downloadImportFile(file: ImportFile, maxBytes: number = MAX_IMPORT_BYTES): Promise<Uint8Array> {
  const res = await fetch(file.url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`could not download ${file.name}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`${file.name} is larger than ${Math.round(maxBytes / 1048576)} MB`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) throw new Error(`${file.name} is larger than ${Math.round(maxBytes / 1048576)} MB`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}
