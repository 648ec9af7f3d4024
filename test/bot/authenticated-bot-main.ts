// Test entry: the bot server exactly as src/index.ts starts it (config from the environment → startApp), run as a child process so NODE_EXTRA_CA_CERTS applies.
import { loadConfig } from '../../src/config.js';
import { startApp } from '../../src/index.js';

const app = await startApp(loadConfig(), { playgroundPort: null });
process.stdout.write(`${JSON.stringify({ botUrl: app.bot.url })}\n`);
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
