/**
 * A plain Parse Server installed on its own, the way Back4app runs one: a folder with its own
 * package.json (parse-server and express at this project's versions, plus the dependencies that
 * `npm run build` lists for the cloud code) and its own node_modules, which loads the upload folder
 * build/back4app/cloud/ as `cloud` and its schema.graphql as GraphQL type definitions. Nothing of this project runs in it: no scripts/server (no body
 * guard, no GraphQL guard, no supervisor, no admin user), no `schema` option; the test applies the
 * schema through the REST API, as a Back4app user does.
 *
 * The installed folder is kept under the system's temp folder, keyed by its package.json, so later
 * runs skip the install. It lives outside the project on purpose: Node looks for packages in every
 * parent folder's node_modules, so a host inside the project could quietly load the project's copy
 * of a package the host lacks.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/server/embedded-postgres';
import { waitForOutput } from '../../scripts/server/spawn';
import { APP_ID, createTestDatabase, MASTER_KEY, ROOT, TestServer } from './server';

const run = promisify(execFile);

export const UPLOAD_DIR = path.join(ROOT, 'build', 'back4app', 'cloud');
const CACHE_ROOT = path.join(os.tmpdir(), 'flash-shop-plain-host');
const INSTALLED = '.installed';
export const LIVE_QUERY_CLASSES = ['Inventory', 'FlashSale', 'Product', 'Order'];

const HOST_SERVER = `
const { readFileSync, realpathSync } = require('node:fs');
const path = require('node:path');
const express = require('express');
const { default: ParseServer, ParseGraphQLServer } = require('parse-server');
(async () => {
  const port = Number(process.env.HOST_PORT);
  const serverURL = 'http://127.0.0.1:' + port + '/parse';
  const cloud = path.join(__dirname, 'cloud', 'main.js');
  const server = new ParseServer({
    appId: process.env.HOST_APP_ID,
    masterKey: process.env.HOST_MASTER_KEY,
    databaseURI: process.env.HOST_DATABASE_URI,
    serverURL,
    cloud,
    liveQuery: { classNames: JSON.parse(process.env.HOST_LIVE_QUERY_CLASSES) },
    logsFolder: null,
    logLevel: 'error',
  });
  await server.start();
  const app = express();
  app.use('/parse', server.app);
  // As Back4app does with a schema.graphql in the cloud folder.
  const graphQLCustomTypeDefs = readFileSync(path.join(__dirname, 'cloud', 'schema.graphql'), 'utf8');
  new ParseGraphQLServer(server, { graphQLPath: '/graphql', graphQLCustomTypeDefs }).applyGraphQL(app);
  const hostRoot = realpathSync(path.join(__dirname, '..')) + path.sep;
  const loaded = Object.keys(require.cache);
  const modules = {
    parseServer: require.resolve('parse-server'),
    zod: loaded.find((file) => file.includes(path.sep + 'zod' + path.sep)) ?? null,
    loadedOutsideHost: loaded.filter((file) => !file.startsWith(hostRoot)),
  };
  const httpServer = app.listen(port, '127.0.0.1', () => console.log('bundle host listening on http://127.0.0.1:' + port + ' ' + JSON.stringify(modules)));
  await ParseServer.createLiveQueryServer(httpServer, { appId: process.env.HOST_APP_ID, masterKey: process.env.HOST_MASTER_KEY, serverURL });
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** The host's package.json: the project's parse-server and express, the upload's dependencies, install scripts off. */
function hostManifest(): Record<string, unknown> {
  const project = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const upload = JSON.parse(readFileSync(path.join(UPLOAD_DIR, 'package.json'), 'utf8'));
  const denied = Object.entries(project.allowScripts ?? {}).filter(([, allowed]) => allowed === false);
  return {
    name: 'plain-parse-host',
    private: true,
    dependencies: { 'parse-server': project.dependencies['parse-server'], express: project.dependencies.express, ...upload.dependencies },
    overrides: { router: project.overrides.router },
    allowScripts: Object.fromEntries(denied),
  };
}

/** The installed host folder: from the cache, or installed now (into a temp folder, then moved in place). */
export async function installedHost(): Promise<string> {
  const manifest = `${JSON.stringify(hostManifest(), null, 2)}\n`;
  const hostDir = path.join(CACHE_ROOT, createHash('sha256').update(manifest).digest('hex').slice(0, 16));
  if (existsSync(path.join(hostDir, INSTALLED))) return hostDir;

  mkdirSync(CACHE_ROOT, { recursive: true });
  const installing = mkdtempSync(path.join(CACHE_ROOT, 'installing-'));
  try {
    writeFileSync(path.join(installing, 'package.json'), manifest);
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: installing, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(path.join(installing, INSTALLED), new Date().toISOString());
    renameSync(installing, hostDir); // whole or not at all: the folder appears with its marker in it
  } catch (error) {
    rmSync(installing, { recursive: true, force: true });
    // Another run installed the same host meanwhile.
    if (existsSync(path.join(hostDir, INSTALLED))) return hostDir;
    throw error;
  }
  return hostDir;
}

export interface BundleHost {
  server: TestServer;
  /** The installed host folder (its node_modules). */
  hostDir: string;
  /** What the host process loaded: parse-server's entry, zod's, and any module from outside the host folder. */
  modules: { parseServer: string; zod: string | null; loadedOutsideHost: string[] };
  close(): Promise<void>;
}

/** Starts the installed host with a copy of build/back4app/cloud/ on a fresh database. Run `npm run build` first. */
export async function startBundleHost(): Promise<BundleHost> {
  if (!existsSync(path.join(UPLOAD_DIR, 'main.js'))) throw new Error(`${UPLOAD_DIR}/main.js is missing: run npm run build first`);
  const hostDir = await installedHost();
  const runDir = mkdtempSync(path.join(hostDir, 'run-'));
  cpSync(UPLOAD_DIR, path.join(runDir, 'cloud'), { recursive: true });
  writeFileSync(path.join(runDir, 'server.cjs'), HOST_SERVER);

  const databaseURI = await createTestDatabase();
  const port = await freePort();
  const child = spawn(process.execPath, ['server.cjs'], {
    cwd: runDir,
    // Only the host's own settings: none of this project's variables reach the cloud code.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST_PORT: String(port),
      HOST_APP_ID: APP_ID,
      HOST_MASTER_KEY: MASTER_KEY,
      HOST_DATABASE_URI: databaseURI,
      HOST_LIVE_QUERY_CLASSES: JSON.stringify(LIVE_QUERY_CLASSES),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited, match } = await waitForOutput(child, /bundle host listening on http:\/\/127\.0\.0\.1:\d+ (\{.*\})\n/, 60_000, 'bundle host');
  const server = new TestServer({ child, output, port, exited }, databaseURI);
  return {
    server,
    hostDir,
    modules: JSON.parse(match[1]),
    async close() {
      await server.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
