// Prints a bench JSON report (BENCH_OUT, default .data/bench.json) as Markdown tables, for RESULTS.md / the README.
// Usage: npx tsx test/bench/results-table.ts [FILE]
import { readFileSync } from 'node:fs';
import { type BenchReport, formatNumber, meets } from './report.js';

export function markdownTables(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `Run: \`${report.command}\` (${report.mode}), ${report.startedAt} → ${report.endedAt}; ${m.cpus} × ${m.cpuModel}, ` +
      `${Math.round(m.totalMemMb / 1024)} GB, Node ${m.node}; load average ${m.loadAverage.start.toFixed(1)} at start, ` +
      `${m.loadAverage.end.toFixed(1)} at end.`,
    '',
    '| scenario | figure | value | target | verdict |',
    '|---|---|---|---|---|',
  );
  for (const s of report.scenarios) {
    for (const f of s.figures) {
      const unit = f.unit ?? '';
      const target =
        f.comparison === 'info' || f.target === null
          ? '–'
          : `${f.comparison === 'max' ? '≤' : '≥'} ${formatNumber(f.target)}${unit}`;
      const verdict = f.comparison === 'info' ? '' : meets(f) ? 'ok' : '**short**';
      out.push(`| ${s.scenario} | ${f.metric} | ${formatNumber(f.value)}${unit} | ${target} | ${verdict} |`);
    }
    if (s.error) out.push(`| ${s.scenario} | error | ${s.error.replace(/\|/g, '/')} | – | **short** |`);
  }
  return out.join('\n');
}

if (process.argv[1]?.endsWith('results-table.ts')) {
  const file = process.argv[2] ?? '.data/bench.json';
  process.stdout.write(`${markdownTables(JSON.parse(readFileSync(file, 'utf8')) as BenchReport)}\n`);
}
