// `npm run bench [-- --quick|--large] [--only <scenario>] [--cpu-prof]`: runs each scenario in its own process, prints and saves the figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { moduleCommand } from '../../src/worker/spawn-module.js';
import { type BenchReport, reportLines, type ScenarioResult, writeReport } from './report.js';

/** One bench scenario: its process's entry module (a file of this folder, without extension), arguments and node flags. */
interface Scenario {
  readonly name: string;
  readonly module: string;
  readonly args?: readonly string[];
  readonly nodeFlags?: readonly string[];
  /** Left out of --quick. */
  readonly full?: true;
}

/**
 * Scenario name → its entry file and arguments (in the order they run). The full run has them all; `--quick` leaves
 * out those marked `full` (a million users takes minutes) and runs the others at small sizes; `--large` runs only
 * the million-user preview.
 */
const SCENARIOS: readonly Scenario[] = [
  { name: 'apply-throughput', module: 'scenario-apply-throughput' },
  { name: 'preview-scale', module: 'scenario-preview-scale' },
  { name: 'preview-scale-large', module: 'scenario-preview-scale', args: ['--large'], full: true },
  // Both sides of a million users and the plan are held at once in this one process.
  { name: 'diff', module: 'scenario-diff', nodeFlags: ['--max-old-space-size=6144'] },
  { name: 'no-change-run', module: 'scenario-no-change-run' },
  { name: 'bot-latency', module: 'scenario-bot-latency' },
  { name: 'apply-memory', module: 'scenario-apply-memory' },
];

interface RunFlags {
  quick: boolean;
  large: boolean;
  only: string[];
  cpuProf: boolean;
}

function parseFlags(argv: readonly string[]): RunFlags {
  const flags: RunFlags = { quick: false, large: false, only: [], cpuProf: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') flags.quick = true;
    else if (a === '--large') flags.large = true;
    else if (a === '--cpu-prof') flags.cpuProf = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v) throw new Error('--only needs a scenario name');
      flags.only.push(...v.split(','));
    } else throw new Error(`unknown flag ${a}`);
  }
  if (flags.quick && flags.large) throw new Error('--quick and --large exclude each other');
  if (flags.large && flags.only.length > 0) throw new Error('--large is --only preview-scale-large: give one of them');
  const known = new Set(SCENARIOS.map((s) => s.name));
  for (const o of flags.only) {
    if (!known.has(o)) throw new Error(`unknown scenario ${o}; scenarios: ${[...known].join(', ')}`);
    if (flags.quick && SCENARIOS.find((s) => s.name === o)?.full) throw new Error(`${o} has no --quick size`);
  }
  return flags;
}

/**
 * Runs a scenario's process in the form this driver runs in: built JS with no loader under `npm run bench` (which
 * builds first), so the product code in every measured process is the deployed one; TypeScript under tsx when the
 * driver itself is started from source.
 */
function runChild(scenario: Scenario, flags: RunFlags, resultFile: string, profDir: string): Promise<number | null> {
  const { file, execArgv } = moduleCommand(import.meta.url, scenario.module);
  const args = [
    ...(flags.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    ...(scenario.nodeFlags ?? []),
    ...execArgv,
    file,
    ...(flags.quick ? ['--quick'] : []),
    ...(scenario.args ?? []),
    '--result',
    resultFile,
  ];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => done(code));
    child.on('error', () => done(null));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const flags = parseFlags(argv);
  const only = flags.large ? ['preview-scale-large'] : flags.only;
  const chosen = SCENARIOS.filter((s) => (only.length > 0 ? only.includes(s.name) : !(flags.quick && s.full)));
  const tmp = mkdtempSync(join(tmpdir(), 'bench-'));
  const profDir = resolve('.data/bench-prof');
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const results: ScenarioResult[] = [];
  try {
    for (const s of chosen) {
      const resultFile = join(tmp, `${s.name}.json`);
      process.stderr.write(`bench: running ${s.name}${flags.quick ? ' (quick)' : ''}\n`);
      const code = await runChild(s, flags, resultFile, profDir);
      let result: ScenarioResult;
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8')) as ScenarioResult;
      } catch {
        result = {
          scenario: s.name,
          settings: {},
          figures: [],
          wallMs: 0,
          error: `the scenario process ended (exit ${code}) without a result`,
        };
      }
      results.push(result);
      for (const line of reportLines([result])) process.stdout.write(`${line}\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const report: BenchReport = {
    startedAt,
    endedAt: new Date().toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    mode: flags.quick ? 'quick' : flags.large ? 'large' : 'full',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemMb: Math.round(totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    },
    scenarios: results,
  };
  // The one environment variable the bench reads (it is not part of the product).
  const out = writeReport(report, process.env.BENCH_OUT ?? '.data/bench.json');
  process.stderr.write(
    `bench: load average ${report.machine.loadAverage.start.toFixed(1)} → ${report.machine.loadAverage.end.toFixed(1)} on ${report.machine.cpus} CPUs\n`,
  );
  process.stderr.write(`bench: figures written to ${out}${flags.cpuProf ? `; CPU profiles in ${profDir}` : ''}\n`);
  const short = results.some((r) => r.error);
  process.exitCode = short ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
