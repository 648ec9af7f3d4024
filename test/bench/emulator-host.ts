// Child program that runs the Entra ID emulator in its own process for the bench (so its memory and CPU are not the client's).
// Usage: node dist/test/bench/emulator-host.js '<options JSON>'; prints one JSON line when listening, then
// answers JSON commands on stdin, one per line: {"id":1,"cmd":"load","spec":{…}} and {"id":2,"cmd":"memory"}.
import { createInterface } from 'node:readline';
import { startEmulator } from '../../src/emulator/index.js';
import { type DatasetSpec, emulatorSeed } from './dataset.js';

export interface HostOptions {
  readonly timeScale?: number;
  readonly latency?: 'none' | 'realistic' | { read: number; write: number };
  readonly tenantSize?: 'small' | 'medium' | 'large';
  readonly throttling?: boolean;
  readonly http?: boolean;
}

type Command =
  | { id: number; cmd: 'load'; spec: DatasetSpec; tenantSize?: 'small' | 'medium' | 'large' }
  | { id: number; cmd: 'memory' };

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
  const emulator = await startEmulator({
    http: options.http ?? false,
    seed: 'empty',
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.latency !== undefined ? { latency: options.latency } : {}),
    ...(options.tenantSize !== undefined ? { tenantSize: options.tenantSize } : {}),
    ...(options.throttling !== undefined ? { throttling: options.throttling } : {}),
  });
  const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({
    graphBaseUrl: emulator.graphBaseUrl,
    authorityHost: emulator.authorityHost,
    caFile: emulator.caFile ?? null,
    tenantId: emulator.tenantId,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
  });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let command: Command;
    try {
      command = JSON.parse(line) as Command;
    } catch {
      reply({ id: null, ok: false, error: 'not JSON' });
      return;
    }
    const started = performance.now();
    const answer = async () => {
      if (command.cmd === 'load') {
        await emulator.reset(emulatorSeed(command.spec, command.tenantSize ?? options.tenantSize ?? 'large'));
        return { users: command.spec.matched + command.spec.deleted };
      }
      if (command.cmd === 'memory') {
        return {
          rssMb: Math.round(process.memoryUsage.rss() / 1048576),
          peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        };
      }
      throw new Error(`unknown command ${(command as { cmd: string }).cmd}`);
    };
    answer().then(
      (value) => reply({ id: command.id, ok: true, ms: Math.round(performance.now() - started), ...value }),
      (err: unknown) => reply({ id: command.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The bench closing our stdin (or dying) ends the emulator.
  lines.on('close', () => {
    emulator.close().finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator-host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
