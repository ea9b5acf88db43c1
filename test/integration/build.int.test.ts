/**
 * `npm run build` output runs in a plain Parse Server, the way Back4app loads cloud code: the
 * ParseServer class with `cloud: 'build/cloud/main.js'`, no TypeScript tooling in the process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../scripts/server/embedded-postgres';
import { APP_ID, createTestDatabase, MASTER_KEY, ROOT } from '../helpers/server';

let port: number;
let stopServer: () => Promise<void> = async () => undefined;
let workDir: string;

const PLAIN_SERVER = `
// Packages come from the project's node_modules, as on a host that installed package.json.
const fromProject = (name) => require(require.resolve(name, { paths: [process.cwd()] }));
const express = fromProject('express');
const { default: ParseServer } = fromProject('parse-server');
(async () => {
  const port = Number(process.env.PORT);
  const server = new ParseServer({
    appId: process.env.APP_ID,
    masterKey: process.env.MASTER_KEY,
    databaseURI: process.env.DATABASE_URI,
    serverURL: 'http://127.0.0.1:' + port + '/parse',
    cloud: 'build/cloud/main.js',
    verifyServerUrl: false,
    logsFolder: null,
    logLevel: 'error',
  });
  await server.start();
  const app = express();
  app.use('/parse', server.app);
  app.listen(port, '127.0.0.1', () => console.log('plain server ready'));
})().catch((error) => { console.error(error); process.exit(1); });
`;

beforeAll(async () => {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'shop-plain-'));
  const script = path.join(workDir, 'plain-server.cjs');
  await writeFile(script, PLAIN_SERVER);
  port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: ROOT, // as on a host: the cloud path is relative to the working folder
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      APP_ID,
      MASTER_KEY,
      DATABASE_URI: await createTestDatabase(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`plain server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('plain server ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`plain server exited with ${code}:\n${output}`)));
  });
  stopServer = async () => {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  };
});

afterAll(async () => {
  await stopServer();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function call(fn: string, body: unknown, master = false) {
  const headers: Record<string, string> = { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json' };
  if (master) headers['X-Parse-Master-Key'] = MASTER_KEY;
  const response = await fetch(`http://127.0.0.1:${port}/parse/${fn}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

test('the build writes build/cloud/main.js as plain JavaScript', () => {
  expect(existsSync(path.join(ROOT, 'build', 'cloud', 'main.js'))).toBe(true);
});

test('a plain Parse Server loading build/cloud/main.js answers serverTime', async () => {
  const response = await call('functions/serverTime', {});
  expect(response.status).toBe(200);
  expect(Number.isNaN(Date.parse(response.body.result.now))).toBe(false);
});

test('its triggers are live too: product validation and the automatic Inventory row', async () => {
  const bad = await call('classes/Product', { name: 'x', price: 19.999 }, true);
  expect(bad.body).toEqual({ code: 142, error: 'price: must have at most two decimals' });
  const created = await call('classes/Product', { name: 'Plain', price: 5 }, true);
  expect(created.status).toBe(201);
  const restocked = await call('functions/restock', { productId: created.body.objectId, quantity: 3 }, true);
  expect(restocked.body).toEqual({ result: { stock: 3 } });
});
