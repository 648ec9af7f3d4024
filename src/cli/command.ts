// What every CLI sub-command module exports, and the exit codes of DESIGN §4.5.
export const EXIT = { ok: 0, refused: 1, badInput: 2, failure: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface CommandModule {
  run(args: string[]): Promise<number>;
}
