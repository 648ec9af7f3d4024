// Persists the emulator's state as JSON (atomic write) and reads it back at start.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { EmulatorSeed } from './seed.js';

export interface PersistedState {
  version: 1;
  seed: EmulatorSeed;
  ownApp: { clientId: string; clientSecret: string; consented: boolean; redirectUris?: string[] };
}

export async function readState(path: string): Promise<PersistedState | null> {
  if (!existsSync(path)) return null;
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<PersistedState>;
  if (raw.version !== 1 || !raw.seed || !raw.ownApp) throw new Error(`${path}: not an emulator state file (version 1)`);
  return raw as PersistedState;
}

export async function writeState(path: string, state: PersistedState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}
