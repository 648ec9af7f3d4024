// The store contract against a real PostgreSQL started for the test (skipped, saying so, when it is not installed).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { storeContract } from './contract.js';
import { type PostgresServer, postgresBinDir, startPostgresServer } from './postgres-server.js';

const bin = postgresBinDir();
if (!bin) {
  describe('store contract: postgres', () => {
    it.skip('PostgreSQL is not installed: the PostgreSQL backend was not tested', () => {});
  });
} else {
  let server: PostgresServer | undefined;
  let url = '';
  beforeAll(async () => {
    server = await startPostgresServer(bin);
    url = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });
  storeContract('postgres', () => url);
}
