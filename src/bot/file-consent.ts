// Personal chat only: offers the dry run CSV as a file (File Consent card) and uploads it when the admin accepts.
import type { ConversationReference, FileConsentCardResponse, TurnContext } from 'botbuilder';
import { scrubSecrets } from '../logger.js';
import { planShortHash } from '../sync/plan.js';
import { planCsvChunks } from '../sync/plan-csv.js';
import { isTeamsUploadUrl } from './attachments.js';
import { plainCardText } from './escape.js';
import { type Lang, langFor, localeOf } from './i18n.js';
import type { BotRuntime } from './runtime.js';

export const FILE_CONSENT_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.consent';
export const FILE_INFO_CONTENT_TYPE = 'application/vnd.microsoft.teams.card.file.info';

function csvBytes(chunks: Iterable<string>): Buffer {
  return Buffer.concat(Array.from(chunks, (c) => Buffer.from(c, 'utf8')));
}

export const planFileName = (domain: string, hash: string): string =>
  `dry-run-${domain.replace(/[^A-Za-z0-9.-]+/g, '_')}-${planShortHash(hash)}.csv`;

export async function offerPlanFile(
  rt: BotRuntime,
  lang: Lang,
  ref: Partial<ConversationReference>,
  planId: string,
): Promise<void> {
  const plan = await rt.service.getPlan(planId);
  if (!plan) return;
  let size = 0;
  for (const chunk of planCsvChunks(plan)) size += Buffer.byteLength(chunk, 'utf8');
  const name = planFileName(plan.domain, plan.hash);
  await rt.proactive.send(ref, {
    type: 'message',
    attachments: [
      {
        contentType: FILE_CONSENT_CONTENT_TYPE,
        name,
        content: {
          description: plainCardText(lang.t('file.description', { domain: plan.domain }), 200),
          sizeInBytes: size,
          acceptContext: { kind: 'plan', id: plan.id },
          declineContext: { kind: 'plan', id: plan.id },
        },
      },
    ],
  });
}

/** Uploads the CSV to the OneDrive location Teams gives on accept, then posts the file card. */
export async function onFileConsentAccepted(
  rt: BotRuntime,
  context: TurnContext,
  response: FileConsentCardResponse,
): Promise<void> {
  const lang = langFor(localeOf(context.activity.locale));
  const ctx = response.context as { kind?: unknown; id?: unknown } | undefined;
  const upload = response.uploadInfo;
  if (ctx?.kind !== 'plan' || typeof ctx.id !== 'string' || !upload?.uploadUrl) {
    await context.sendActivity(lang.t('file.invalid'));
    return;
  }
  if (!isTeamsUploadUrl(upload.uploadUrl, rt.config.bot.localMode)) {
    rt.logger.warn('file upload refused: the upload URL is not a OneDrive/SharePoint address');
    await context.sendActivity(lang.t('file.uploadRefused'));
    return;
  }
  const plan = await rt.service.getPlan(ctx.id);
  if (!plan) {
    await context.sendActivity(lang.t('file.gone'));
    return;
  }
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
    await context.sendActivity(lang.t('file.uploadFailed'));
    return;
  }
  await context.sendActivity({
    type: 'message',
    attachments: [
      {
        contentType: FILE_INFO_CONTENT_TYPE,
        contentUrl: upload.contentUrl,
        name: upload.name,
        content: { uniqueId: upload.uniqueId, fileType: upload.fileType },
      },
    ],
  });
}
