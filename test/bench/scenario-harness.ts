// Runs one bench scenario inside its own process: parses the flags, times it, adds peak RSS, hands the result to run.ts.
import { writeFileSync } from 'node:fs';
import type { Figure, ScenarioResult } from './report.js';

export interface ScenarioContext {
  readonly quick: boolean;
  readonly large: boolean;
  /** Progress for a person watching (stderr; stdout stays free). */
  log(message: string): void;
}

export interface ScenarioOutput {
  readonly settings: Record<string, unknown>;
  readonly figures: Figure[];
}

/** Peak resident set size of this process so far, in MB (maxRSS is reported in KiB). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Samples RSS every `everyMs` so a scenario can report the peak of one phase (maxRSS covers the whole process). */
export function rssSampler(everyMs = 100): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return Math.round(peak / 1024 / 1024);
    },
  };
}

/** This process's node flags worth passing to the processes it spawns (CPU profiling), without the tsx loader. */
export function inheritedNodeFlags(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--cpu-prof') out.push(a);
    else if (a === '--cpu-prof-dir' && argv[i + 1]) out.push(a, argv[++i]!);
    else if (a.startsWith('--cpu-prof-dir=')) out.push(a);
  }
  return out;
}

function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Runs `body` and writes the ScenarioResult as JSON to the file given by `--result FILE` (stdout when absent).
 * Never throws: a failure becomes the result's `error`, with the figures measured so far.
 */
export async function runScenario(
  scenario: string,
  body: (ctx: ScenarioContext, partial: Figure[]) => Promise<ScenarioOutput>,
): Promise<void> {
  const argv = process.argv.slice(2);
  const ctx: ScenarioContext = {
    quick: argv.includes('--quick'),
    large: argv.includes('--large'),
    log: (message) => process.stderr.write(`[${scenario}] ${message}\n`),
  };
  const started = performance.now();
  const partial: Figure[] = [];
  let result: ScenarioResult;
  try {
    const out = await body(ctx, partial);
    result = {
      scenario,
      settings: out.settings,
      figures: out.figures,
      wallMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    ctx.log(`failed: ${message}`);
    result = {
      scenario,
      settings: {},
      figures: partial,
      wallMs: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  }
  const json = JSON.stringify(result);
  const out = argValue(argv, '--result');
  if (out) writeFileSync(out, json);
  else process.stdout.write(`${json}\n`);
  // Open handles (keep-alive sockets, timers of the product) must not keep a finished scenario alive.
  process.exit(result.error ? 1 : 0);
}
