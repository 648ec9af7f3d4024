// How a module beside its caller is started in a new process: built JS with no node flags, TypeScript with tsx's loader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleCommand } from '../../src/worker/spawn-module.js';

describe('moduleCommand', () => {
  it('runs a built caller’s sibling as plain JavaScript, with no loader flag', () => {
    expect(moduleCommand('file:///srv/bot/dist/src/worker/sync-worker-client.js', 'sync-worker-main')).toEqual({
      file: '/srv/bot/dist/src/worker/sync-worker-main.js',
      execArgv: [],
    });
  });

  it('runs a TypeScript caller’s sibling as TypeScript through the installed tsx', () => {
    const { file, execArgv } = moduleCommand('file:///srv/bot/test/bench/run.ts', 'scenario-diff');
    expect(file).toBe('/srv/bot/test/bench/scenario-diff.ts');
    expect(execArgv).toHaveLength(2);
    expect(execArgv[0]).toBe('--import');
    expect(existsSync(fileURLToPath(execArgv[1]!))).toBe(true);
    expect(execArgv[1]).toMatch(/\/node_modules\/tsx\//);
  });
});
