// What every CLI sub-command module exports, and the exit codes of the README's command line section.
export const EXIT = { ok: 0, refused: 1, badInput: 2, failure: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means, for a script reading `--json` output. */
export const EXIT_MEANING: Record<ExitCode, string> = {
  0: 'done',
  1: 'refused: nothing was changed (guard, stale plan, lock held); the reason says what to do',
  2: 'bad input: fix the command line, the file or the setting named in the reason',
  3: 'failure: the command could not finish (network, Graph, store); the reason says what failed',
};

/** The `--json` answer of a command that ended without printing its own JSON object. */
export function failureJson(code: number, reason: string) {
  const exitCode = (code in EXIT_MEANING ? code : EXIT.failure) as ExitCode;
  return {
    status: (['done', 'refused', 'bad-input', 'failed'] as const)[exitCode],
    reason: reason || 'no reason was given',
    exitCode,
    exitMeaning: EXIT_MEANING[exitCode],
  };
}

export interface CommandModule {
  run(args: string[]): Promise<number>;
}
