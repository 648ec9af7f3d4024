// Personal chat only: offers the dry run CSV as a file (File Consent card) and uploads it when the admin accepts.
import { scrubSecrets } from '../logger.js';
import type { Plan } from '../sync/model.js';
import { planShortHash } from '../sync/plan.js';
import { planCsvStream } from '../sync/plan-csv.js';
import { isTeamsUploadUrl } from './attachments.js';
import { plainCardText } from './escape.js';
import type { Lang } from './i18n.js';
import type { ConversationAddress, OutgoingMessage } from './messenger.js';
import type { BotRuntime } from './runtime.js';
import { uploadToSession } from './upload-session.js';

/** What Teams sends when the user accepts a File Consent card (`fileConsent/invoke`, action `accept`). */
export interface FileConsentAnswer {
  readonly context?: unknown;
  readonly uploadInfo?: {
    readonly name?: string;
    readonly uploadUrl?: string;
    readonly contentUrl?: string;
    readonly uniqueId?: string;
    readonly fileType?: string;
  };
}

export const planFileName = (domain: string, hash: string): string =>
  `dry-run-${domain.replace(/[^A-Za-z0-9.-]+/g, '_')}-${planShortHash(hash)}.csv`;

/**
 * Offers the CSV of the plan the dry run just produced. Its size is the one the dry run counted when it stored the
 * plan (the summary's `csvBytes`, one small read): no row is formatted for the offer, and the plan is not loaded again.
 */
export async function offerPlanFile(rt: BotRuntime, lang: Lang, address: ConversationAddress, plan: Plan): Promise<void> {
  const size = (await rt.service.getPlanSummary(plan.id))?.csvBytes;
  // Gone: discarded in the meantime (Cancel on the dry-run card), nothing to offer. (The dry run counted the size:
  // preview-flow.ts asks for it, countCsvBytes, when it will offer the file.)
  if (size === undefined) return;
  await rt.messenger.send(address, {
    fileOffer: {
      name: planFileName(plan.domain, plan.hash),
      description: plainCardText(lang.t('file.description', { domain: plan.domain }), 200),
      sizeInBytes: size,
      context: { kind: 'plan', id: plan.id },
    },
  });
}

/**
 * Uploads the CSV to the OneDrive upload session Teams gives on accept; answers with the file card, or a sentence
 * saying why not. The answer may come long after the offer, to another replica: the plan's summary is read for its
 * size, and its changes are read chunk by chunk from the store and formatted once, as the upload sends them.
 */
export async function acceptPlanFile(rt: BotRuntime, lang: Lang, answer: FileConsentAnswer): Promise<OutgoingMessage> {
  const ctx = answer.context as { kind?: unknown; id?: unknown } | undefined;
  const upload = answer.uploadInfo;
  if (ctx?.kind !== 'plan' || typeof ctx.id !== 'string' || !upload?.uploadUrl) return { text: lang.t('file.invalid') };
  if (!isTeamsUploadUrl(upload.uploadUrl, rt.config.bot.localMode)) {
    rt.logger.warn('file upload refused: the upload URL is not a OneDrive/SharePoint address');
    return { text: lang.t('file.uploadRefused') };
  }
  const plan = await rt.service.getPlanSummary(ctx.id);
  if (!plan) return { text: lang.t('file.gone') };
  const csv = () => planCsvStream(rt.service.planChanges(plan.id));
  try {
    // A plan stored without its size (before it was kept) is counted first, from the store, as the offer did.
    let size = plan.csvBytes;
    if (size === undefined) {
      size = 0;
      for await (const block of csv()) size += Buffer.byteLength(block, 'utf8');
    }
    await uploadToSession(upload.uploadUrl, size, csv());
  } catch (err) {
    // fetch says only "fetch failed": the reason (the connection, or the CSV not matching its size) is its cause.
    const cause = err instanceof Error && err.cause !== undefined ? ` (${String(err.cause)})` : '';
    rt.logger.warn({ planId: plan.id, err: scrubSecrets(String(err) + cause) }, 'CSV file upload failed');
    return { text: lang.t('file.uploadFailed') };
  }
  return {
    fileInfo: {
      name: upload.name,
      contentUrl: upload.contentUrl,
      uniqueId: upload.uniqueId,
      fileType: upload.fileType,
    },
  };
}
