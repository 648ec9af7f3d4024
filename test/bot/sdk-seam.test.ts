// The bot SDK stays behind its seam: only the adapter files named at the top of src/bot/index.ts import it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
/** botbuilder and its packages, teams-ai v1, the Teams SDK, and the Bot Framework connector/schema packages. */
const SDK = /^(botbuilder(-[\w-]+)?|@microsoft\/teams-ai|@microsoft\/teams\.[\w-]+|botframework-[\w-]+)(\/|$)/;

/** Every module a source text imports, re-exports, or loads dynamically. */
function importedModules(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

const sdkImports = (source: string) => importedModules(source).filter((m) => SDK.test(m));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** The adapter files named in the comment at the top of src/bot/index.ts. */
function namedAdapterFiles(): string[] {
  const head = readFileSync(join(ROOT, 'src/bot/index.ts'), 'utf8').split('\n');
  const comment = head.slice(
    0,
    head.findIndex((line) => !line.startsWith('//')),
  );
  return comment.flatMap((line) => /^\/\/\s+(src\/\S+\.ts)\s/.exec(line)?.[1] ?? []).sort();
}

describe('the bot SDK seam', () => {
  it('recognises every way a file can pull the SDK in', () => {
    expect(
      sdkImports(`import type { Activity } from 'botbuilder';
        import { Application } from "@microsoft/teams-ai";
        export { AuthenticationError } from 'botframework-connector';
        const t = await import('@microsoft/teams.apps');
        import 'botbuilder-core/lib/x.js';
        const c = require('botframework-schema');`),
    ).toEqual([
      'botbuilder',
      '@microsoft/teams-ai',
      'botframework-connector',
      'botbuilder-core/lib/x.js',
      '@microsoft/teams.apps',
      'botframework-schema',
    ]);
    expect(
      sdkImports(`import { x } from './bot-app.js'; import { y } from '@microsoft/microsoft-graph-client';`),
    ).toEqual([]);
  });

  it('only the adapter files named at the top of src/bot/index.ts import botbuilder, teams-ai or botframework-*', () => {
    const named = namedAdapterFiles();
    expect(named.length).toBeGreaterThan(0);
    const importing = sourceFiles(join(ROOT, 'src'))
      .filter((file) => sdkImports(readFileSync(file, 'utf8')).length > 0)
      .map((file) => relative(ROOT, file).split('\\').join('/'))
      .sort();
    // Another file importing the SDK fails here; so does a named file that no longer needs it (the list is stale).
    expect(importing).toEqual(named);
  });
});
