// The Teams adapter the bot runs activities through, answering rejections as values (no console output, no SDK text).
import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, TurnContext } from 'botbuilder';

export type AdapterOutcome =
  | { readonly ok: true; readonly status: number; readonly body?: unknown }
  /** `expected`: an authentication rejection (bad or missing token), logged in one line without a stack. */
  | { readonly ok: false; readonly status: 401 | 500; readonly expected: boolean; readonly error: unknown };

/**
 * botbuilder's `process()` prints every rejection with console.error (stack included) and answers with the error's
 * message (`getaddrinfo ENOTFOUND …`). This runs the same activity processing (authentication, turn, invoke
 * response) and hands the outcome back, so the HTTP route logs it through pino and answers with a plain status.
 */
export class BotAdapter extends TeamsAdapter {
  async run(
    authHeader: string,
    activity: Partial<Activity>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<AdapterOutcome> {
    // As botbuilder's process() does before the turn: timestamps as Date, their text kept beside them.
    const fixed: Record<string, unknown> = { ...activity };
    for (const [key, raw] of [
      ['timestamp', 'rawTimestamp'],
      ['localTimestamp', 'rawLocalTimestamp'],
      ['expiration', 'rawExpiration'],
    ] as const) {
      const value = fixed[key];
      if (typeof value === 'string') {
        fixed[raw] = value;
        fixed[key] = new Date(value);
      }
    }
    try {
      const invoke = await this.processActivity(authHeader, fixed as unknown as Activity, logic);
      return { ok: true, status: invoke?.status ?? 200, body: invoke?.body };
    } catch (error) {
      // botframework-connector's AuthenticationError carries the status (IStatusCodeError).
      const status = (error as { statusCode?: unknown } | null)?.statusCode;
      const expected = status === 401 || status === 403;
      return { ok: false, status: expected ? 401 : 500, expected, error };
    }
  }
}
