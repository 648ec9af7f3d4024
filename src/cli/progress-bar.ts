// The CLI's progress bar for preview and apply (cli-progress on stderr): shown only on a terminal and never with --json.
import cliProgress, { type Options, type Params, type SingleBar } from 'cli-progress';
import type { Lang } from '../bot/i18n.js';
import type { Progress } from '../sync/service-interface.js';

export type PhaseLabels = Readonly<Record<Progress['phase'], string>>;

export const ENGLISH_PHASES: PhaseLabels = {
  'reading-source': 'Reading Access Control',
  'reading-entra': 'Reading Entra ID',
  diffing: 'Comparing',
  writing: 'Writing to Entra ID',
  done: 'Done',
};

export interface ProgressBarOptions {
  /** Where the bar is drawn (default stderr: stdout is the command's answer). */
  readonly stream?: NodeJS.WriteStream;
  /** `--json` was given: draw nothing. */
  readonly json?: boolean;
  readonly labels?: PhaseLabels;
  /** Formats counts (locale grouping). */
  readonly formatNumber?: (n: number) => string;
  /** "{time} left" in the reader's language. */
  readonly timeLeft?: (time: string) => string;
}

/** The bar's words in the CLI's language (string table section `cli`). */
export function cliProgressText(lang: Lang): Pick<ProgressBarOptions, 'labels' | 'formatNumber' | 'timeLeft'> {
  const phases = ['reading-source', 'reading-entra', 'diffing', 'writing', 'done'] as const;
  return {
    labels: Object.fromEntries(phases.map((p) => [p, lang.t(`cli.phase.${p}`)])) as unknown as PhaseLabels,
    formatNumber: lang.num,
    timeLeft: (time) => lang.t('cli.timeLeft', { time }),
  };
}

export type ProgressReporter = ((p: Progress) => void) & { end(): void };

/**
 * A progress listener that draws one bar per phase (label, bar, done / total, time left) while stderr is a
 * terminal; a phase whose total is not known yet shows its running count. Without a terminal, or with --json,
 * it draws nothing at all.
 */
export function terminalProgress(options: ProgressBarOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const enabled = stream.isTTY === true && options.json !== true;
  const labels = options.labels ?? ENGLISH_PHASES;
  const num = options.formatNumber ?? ((n: number) => n.toLocaleString('en-US'));
  const left = options.timeLeft ?? ((t: string) => `${t} left`);
  const format = (opts: Options, params: Params, payload: { phase: string; known: boolean }): string => {
    if (!payload.known) return `${payload.phase}… ${num(params.value)}`;
    const bar = cliProgress.Format.BarFormat(params.progress, opts);
    const eta =
      params.value > 0 && params.value < params.total && Number.isFinite(params.eta) && params.eta > 0
        ? ` · ${left(cliProgress.Format.TimeFormat(params.eta, opts, 1))}`
        : '';
    return `${payload.phase} ${bar} ${num(params.value)} / ${num(params.total)}${eta}`;
  };
  let bar: SingleBar | null = null;
  let phase: Progress['phase'] | null = null;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  const report = (p: Progress) => {
    if (!enabled) return;
    const known = p.total > 0;
    if (p.phase !== phase || bar === null) {
      stop();
      phase = p.phase;
      if (p.phase === 'done') return;
      bar = new cliProgress.SingleBar({
        stream,
        format,
        barsize: 30,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        etaBuffer: 50,
        autopaddingChar: '0',
      });
      bar.start(known ? p.total : 0, p.done, { phase: labels[p.phase], known });
      return;
    }
    if (known) bar.setTotal(p.total);
    bar.update(p.done, { phase: labels[p.phase], known });
  };
  return Object.assign(report, { end: stop });
}
