// Personal chat only: offers the dry run CSV as a file (File Consent card) and uploads it when the admin accepts.
import { scrubSecrets } from '../logger.js';
import type { Plan } from '../sync/model.js';
import { planShortHash } from '../sync/plan.js';
import { planCsvByteSize, planCsvChunks } from '../sync/plan-csv.js';
import { isTeamsUploadUrl } from './attachments.js';
import { plainCardText } from './escape.js';
import type { Lang } from './i18n.js';
import type { ConversationAddress, OutgoingMessage } from './messenger.js';
import type { BotRuntime } from './runtime.js';

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

function csvBytes(chunks: Iterable<string>): Buffer {
  return Buffer.concat(Array.from(chunks, (c) => Buffer.from(c, 'utf8')));
}

export const planFileName = (domain: string, hash: string): string =>
  `dry-run-${domain.replace(/[^A-Za-z0-9.-]+/g, '_')}-${planShortHash(hash)}.csv`;

/** Offers the CSV of the plan the dry run just produced (the plan in hand: nothing is loaded again). */
export async function offerPlanFile(
  rt: BotRuntime,
  lang: Lang,
  address: ConversationAddress,
  plan: Plan,
): Promise<void> {
  await rt.messenger.send(address, {
    fileOffer: {
      name: planFileName(plan.domain, plan.hash),
      description: plainCardText(lang.t('file.description', { domain: plan.domain }), 200),
      sizeInBytes: planCsvByteSize(plan),
      context: { kind: 'plan', id: plan.id },
    },
  });
}

/**
 * Uploads the CSV to the OneDrive location Teams gives on accept; answers with the file card, or a sentence saying
 * why not. The plan is loaded here: the answer may come long after the offer, from another replica.
 */
export async function acceptPlanFile(rt: BotRuntime, lang: Lang, answer: FileConsentAnswer): Promise<OutgoingMessage> {
  const ctx = answer.context as { kind?: unknown; id?: unknown } | undefined;
  const upload = answer.uploadInfo;
  if (ctx?.kind !== 'plan' || typeof ctx.id !== 'string' || !upload?.uploadUrl) return { text: lang.t('file.invalid') };
  if (!isTeamsUploadUrl(upload.uploadUrl, rt.config.bot.localMode)) {
    rt.logger.warn('file upload refused: the upload URL is not a OneDrive/SharePoint address');
    return { text: lang.t('file.uploadRefused') };
  }
  const plan = await rt.service.getPlan(ctx.id);
  if (!plan) return { text: lang.t('file.gone') };
  const body = csvBytes(planCsvChunks(plan));
  try {
    const res = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: { 'content-length': String(body.length), 'content-range': `bytes 0-${body.length - 1}/${body.length}` },
      body,
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`upload answered HTTP ${res.status}`);
  } catch (err) {
    rt.logger.warn({ planId: plan.id, err: scrubSecrets(String(err)) }, 'CSV file upload failed');
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
