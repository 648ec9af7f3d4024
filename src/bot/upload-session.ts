// Sends a text stream of known size to a OneDrive upload session (the URL a File Consent answer gives), range by range.
//
// The upload session protocol (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession, "Upload
// bytes to the upload session"): each PUT carries `Content-Length` and `Content-Range: bytes start-end/total`; one
// request carries less than 60 MiB; when a file is split, every range but the last is a multiple of 320 KiB; the
// session answers 202 Accepted until the last byte, then 200 OK or 201 Created with the file's driveItem. Teams hands
// the bot such a session URL (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/bots-filesv4).

/** A range of a split upload is a multiple of this (320 KiB). */
export const UPLOAD_RANGE_UNIT = 320 * 1024;
/** Bytes per PUT: 10 MiB, a multiple of 320 KiB well under the 60 MiB limit (the docs suggest 5-10 MiB). */
export const UPLOAD_RANGE_BYTES = 32 * UPLOAD_RANGE_UNIT;

export class UploadSessionError extends Error {
  override readonly name = 'UploadSessionError';
}

/**
 * Reads `text` as UTF-8 and cuts it into pieces that each end on a range boundary: the consumer takes exactly the
 * bytes of one range at a time, and a block crossing a boundary is split, its rest kept for the next range.
 */
class RangeCutter {
  private rest: Buffer | null = null;
  private readonly source: AsyncIterator<string>;
  sent = 0;

  constructor(text: AsyncIterable<string>) {
    this.source = text[Symbol.asyncIterator]();
  }

  /**
   * The next `length` bytes, piece by piece as the text is produced; throws if the text ends sooner or, for the last
   * range, goes on beyond it (checked before its final piece, so the session never receives its last byte).
   */
  async *range(length: number, last: boolean): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      let piece = this.rest;
      this.rest = null;
      if (!piece) {
        const next = await this.source.next();
        if (next.done)
          throw new UploadSessionError(`the file ended after ${this.sent} bytes, before the size it was offered with`);
        piece = Buffer.from(next.value, 'utf8');
      }
      if (piece.length > left) {
        this.rest = piece.subarray(left);
        piece = piece.subarray(0, left);
      }
      left -= piece.length;
      this.sent += piece.length;
      if (left === 0 && last && !(await this.ended()))
        throw new UploadSessionError(`the file is longer than the ${this.sent} bytes it was offered with`);
      if (piece.length > 0) yield piece;
    }
  }

  /** True when the text has nothing beyond what was taken. */
  private async ended(): Promise<boolean> {
    if (this.rest && this.rest.length > 0) return false;
    for (;;) {
      const next = await this.source.next();
      if (next.done) return true;
      if (next.value.length > 0) return false;
    }
  }
}

/**
 * Uploads `text`, whose UTF-8 size is `size` bytes, to the upload session at `url`: one PUT per range of
 * `rangeBytes`, each streamed as the text is produced (nothing larger than one text block is held). Throws when the
 * session refuses a range or the text's size is not `size` (then the session never gets its last byte).
 */
export async function uploadToSession(
  url: string,
  size: number,
  text: AsyncIterable<string>,
  options: { readonly rangeBytes?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const rangeBytes = options.rangeBytes ?? UPLOAD_RANGE_BYTES;
  if (rangeBytes <= 0 || rangeBytes % UPLOAD_RANGE_UNIT !== 0)
    throw new RangeError(`rangeBytes must be a positive multiple of ${UPLOAD_RANGE_UNIT} (320 KiB)`);
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError('size must be a positive number of bytes');
  const cutter = new RangeCutter(text);
  for (let start = 0; start < size; start += rangeBytes) {
    const length = Math.min(rangeBytes, size - start);
    const last = start + length === size;
    const res = await fetch(url, {
      method: 'PUT',
      headers: {
        'content-length': String(length),
        'content-range': `bytes ${start}-${start + length - 1}/${size}`,
      },
      body: cutter.range(length, last),
      duplex: 'half',
      redirect: 'error',
      ...(options.signal ? { signal: options.signal } : {}),
    } as RequestInit);
    // The body is read to its end so the connection can be reused; a refusal's body is not needed.
    await res.arrayBuffer().catch(() => undefined);
    const expected = last ? res.status === 200 || res.status === 201 : res.status === 202;
    if (!expected)
      throw new UploadSessionError(
        `the upload session answered HTTP ${res.status} to bytes ${start}-${start + length - 1} of ${size}`,
      );
  }
}
