/**
 * A bare Parse Server with only this project's cloud code and schema, as a host like Back4app runs
 * it: none of scripts/server (no body guard, no GraphQL guard, no process guard), Parse Server's own
 * uncaught-exception handler in place. For tests of what the cloud code guarantees on its own.
 */
import { spawn } from 'node:child_process';
import { freePort } from '../../scripts/server/embedded-postgres';
import { waitForOutput } from '../../scripts/server/spawn';
import { ADMIN, APP_ID, createTestDatabase, MASTER_KEY, ROOT, TestServer } from './server';

const PLAIN_SERVER = `
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const express = require('express');
const { default: ParseServer, ParseGraphQLServer } = require('parse-server');
(async () => {
  const port = Number(process.env.PORT);
  const bare = process.env.PLAIN_BARE === '1';
  const schemaDir = path.join(process.cwd(), 'schema');
  const definitions = readdirSync(schemaDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8')));
  const options = {
    appId: process.env.APP_ID,
    masterKey: process.env.MASTER_KEY,
    databaseURI: process.env.DATABASE_URI,
    serverURL: 'http://127.0.0.1:' + port + '/parse',
    cloud: path.join(process.cwd(), 'cloud', 'main.ts'),
    schema: { definitions, strict: true, lockSchemas: true, deleteExtraFields: false, recreateModifiedFields: false },
    allowClientClassCreation: false,
    liveQuery: { classNames: ['Inventory', 'FlashSale', 'Product', 'Order'] },
    verifyServerUrl: false,
    logsFolder: null,
    logLevel: 'error',
  };
  // Bare: Parse Server alone, as a new host is before anything of this project is applied.
  if (bare) for (const key of ['cloud', 'schema', 'liveQuery']) delete options[key];
  const server = new ParseServer(options);
  await server.start();
  const app = express();
  app.use('/parse', server.app);
  new ParseGraphQLServer(server, { graphQLPath: '/graphql' }).applyGraphQL(app);
  const { ensureAdminUser } = require(path.join(process.cwd(), 'scripts', 'server', 'admin-user.ts'));
  if (!bare) await ensureAdminUser({ username: process.env.ADMIN_USERNAME, password: process.env.ADMIN_PASSWORD });
  const httpServer = app.listen(port, '127.0.0.1', () => console.log('plain server listening on http://127.0.0.1:' + port));
  if (!bare) await ParseServer.createLiveQueryServer(httpServer, { appId: process.env.APP_ID, masterKey: process.env.MASTER_KEY, serverURL: 'http://127.0.0.1:' + port + '/parse' });
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * Starts the plain server in a child process on its own database; `env` adds variables (NODE_ENV).
 * `bare` leaves out the cloud code, schema/ and Live Query: a fresh Parse Server with none of this project.
 */
export async function startPlainServer(env: Record<string, string> = {}, { bare = false } = {}): Promise<TestServer> {
  const databaseURI = await createTestDatabase();
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', PLAIN_SERVER], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      APP_ID,
      MASTER_KEY,
      DATABASE_URI: databaseURI,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ...(bare ? { PLAIN_BARE: '1' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited } = await waitForOutput(child, /plain server listening/, 60_000, 'plain server');
  return new TestServer({ child, output, port, exited }, databaseURI);
}
