// Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof`): top functions and files by self time.
// Usage: npx tsx test/bench/profile-summary.ts FILE.cpuprofile [--top N] [--after-ms MS (skip start-up)]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileLine {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(src|test)\//, '$1/') || '(native)';

/** Self time per function and per file, heaviest first. */
export function summarise(
  profile: CpuProfile,
  afterMs = 0,
): { totalMs: number; functions: ProfileLine[]; files: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let at = 0;
  let totalMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const ms = (deltas[i] ?? 0) / 1000;
    at += ms;
    if (at < afterMs) continue;
    totalMs += ms;
    self.set(id, (self.get(id) ?? 0) + ms);
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const url = shortUrl(node.callFrame.url);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const fileKey = node.callFrame.url ? url : node.callFrame.functionName || '(native)';
    file.set(fileKey, (file.get(fileKey) ?? 0) + ms);
  }
  const lines = (m: Map<string, number>) =>
    [...m].map(([name, ms]) => ({ name, ms, share: ms / Math.max(1, totalMs) })).sort((a, b) => b.ms - a.ms);
  return { totalMs, functions: lines(fn), files: lines(file) };
}

function main(): void {
  const args = process.argv.slice(2);
  const flagValue = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const top = flagValue('--top', 15);
  const afterMs = flagValue('--after-ms', 0);
  const files = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  for (const f of files) {
    const s = summarise(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, afterMs);
    process.stdout.write(`${f}: ${s.totalMs.toFixed(0)} ms\n  by function (self):\n`);
    for (const l of s.functions.slice(0, top))
      process.stdout.write(
        `    ${l.ms.toFixed(0).padStart(7)} ms ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}\n`,
      );
    process.stdout.write('  by file (self):\n');
    for (const l of s.files.slice(0, top))
      process.stdout.write(
        `    ${l.ms.toFixed(0).padStart(7)} ms ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}\n`,
      );
  }
}

if (process.argv[1]?.endsWith('profile-summary.ts')) main();
