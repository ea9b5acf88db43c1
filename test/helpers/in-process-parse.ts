/**
 * A Parse Server in the test's own process, on a fresh database with the project's schema and no
 * cloud code: for tests that call cloud/edge modules directly against a real Parse Server and
 * PostgreSQL.
 */
import http from 'node:http';
import express from 'express';
import ParseServer from 'parse-server';
import { freePort } from '../../scripts/server/embedded-postgres';
import { loadSchemaDefinitions } from '../../scripts/server/schema-definitions';
import { createTestDatabase, MASTER_KEY } from './server';

export interface InProcessParse {
  databaseURI: string;
  stop(): Promise<void>;
}

export async function startInProcessParse(appId: string): Promise<InProcessParse> {
  const port = await freePort();
  const databaseURI = await createTestDatabase();
  const server = new ParseServer({
    appId,
    masterKey: MASTER_KEY,
    databaseURI,
    serverURL: `http://127.0.0.1:${port}/parse`,
    cloud: () => undefined,
    schema: { definitions: loadSchemaDefinitions(), strict: true, lockSchemas: true },
    liveQuery: { classNames: ['Inventory'] },
    logLevel: 'error',
    logsFolder: null,
    verifyServerUrl: false,
  } as never);
  await server.start();
  const app = express();
  app.use('/parse', server.app);
  const httpServer = app.listen(port, '127.0.0.1');
  return {
    databaseURI,
    async stop() {
      httpServer.close();
      // It also closes a Live Query server these tests never started.
      await (server as { handleShutdown?: () => Promise<void> }).handleShutdown?.().catch(() => undefined);
    },
  };
}
