#!/usr/bin/env node
// Launcher for the `entra-sync` command: runs the built CLI (`npm run build`) when the build is newer than the TypeScript source, the source through tsx's loader otherwise.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/src/cli/main.js', root);
const stamp = new URL('dist/build-stamp', root);

/** Whether some file under `dir` was changed after `time` (a checkout without src/ has nothing newer). */
function changedSince(dir, time) {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory() ? changedSince(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}

if (existsSync(built) && existsSync(stamp) && !changedSince(new URL('src/', root), statSync(stamp).mtimeMs)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
