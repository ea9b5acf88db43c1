/**
 * What `npm run build` writes runs a shop on a plain Parse Server installed on its own, as on
 * Back4app: the host's own parse-server from its own node_modules, the upload folder
 * build/back4app/cloud/ as its cloud code, the schema applied with `npm run schema:push`, and the
 * admin made with the REST requests of docs/DEPLOY.md.
 */
import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SCHEMA_CLASSES } from '../../cloud/setup/schema-classes';
import { UNIQUE_INDEXES } from '../../cloud/setup/unique-keys';
import { type BundleHost, startBundleHost, UPLOAD_DIR } from '../helpers/bundle-host';
import { APP_ID, failure, MASTER_KEY, ROOT, type Session, type TestServer } from '../helpers/server';

const run = promisify(execFile);
const project = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

let host: BundleHost;
let server: TestServer;
let admin: Session;
let keys = 0;
const key = () => `bundle-key-${process.pid}-${++keys}`;

/** `npm run schema:push` against the host, as a user runs it against their Back4app app. */
async function schemaPush(serverURL: string): Promise<void> {
  if (!project.scripts['schema:push']) throw new Error('package.json has no schema:push script: the bundle test applies the schema with it');
  const args = ['run', '--silent', 'schema:push', '--', '--server-url', serverURL, '--app-id', APP_ID, '--master-key', MASTER_KEY];
  await run('npm', args, { cwd: ROOT, timeout: 120_000 });
}

const BACK4APP_URL = 'https://parseapi.back4app.com';

/** The ```http blocks of docs/DEPLOY.md's admin step: method, URL, headers and body, as written. */
function deployRequests() {
  const text = readFileSync(path.join(ROOT, 'docs', 'DEPLOY.md'), 'utf8');
  return [...text.matchAll(/^```http\n([\s\S]*?)^```$/gm)].map(([, block]) => {
    const [head, body = ''] = block.split(/\n\n/);
    const [requestLine, ...headerLines] = head.trim().split('\n');
    const [method, url] = requestLine.split(' ');
    const headers = Object.fromEntries(headerLines.map((line) => line.split(': ') as [string, string]));
    return { method, url, headers, body: body.trim() };
  });
}

/** The admin as docs/DEPLOY.md makes it: its three requests, sent to the host with its keys and the ids they answer. */
async function makeAdminAsDeployTells(): Promise<Session> {
  const requests = deployRequests();
  expect(requests.map((r) => `${r.method} ${r.url.replace(BACK4APP_URL, '')}`)).toEqual([
    'POST /users',
    'GET /roles?where={"name":"admin"}',
    'PUT /roles/ROLE_ID',
  ]);
  const ids: Record<string, string> = {};
  const answers: any[] = [];
  for (const request of requests) {
    const fill = (text: string) =>
      text.replace('YOUR_APP_ID', APP_ID).replace('YOUR_MASTER_KEY', MASTER_KEY).replace(/USER_ID|ROLE_ID/g, (name) => ids[name]);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, fill(value)]));
    const url = encodeURI(fill(request.url)).replace(BACK4APP_URL, '');
    const answer = await server.ok(request.method, url, request.body ? fill(request.body) : undefined, { headers });
    answers.push(answer);
    ids.USER_ID ??= answer.objectId;
    if (answer.results) ids.ROLE_ID = answer.results[0].objectId;
  }
  expect(answers[1].results.map((role: { name: string }) => role.name)).toEqual(['admin']);
  const { username, password } = JSON.parse(requests[0].body);
  const login = await server.ok('POST', '/login', { username, password });
  return { userId: login.objectId, username, sessionToken: login.sessionToken };
}

/** A product made by the admin, restocked when `stock` is given. */
async function product(fields: { name: string; price: number; stock?: number }): Promise<string> {
  const { stock, ...rest } = fields;
  const created = await server.ok('POST', '/classes/Product', rest, { session: admin });
  if (stock) await server.run('restock', { productId: created.objectId, quantity: stock }, { session: admin });
  return created.objectId;
}

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 180_000 });
  host = await startBundleHost();
  server = host.server;
  await schemaPush(server.apiURL);
  admin = await makeAdminAsDeployTells();
}, 480_000);

afterAll(() => host?.close());

describe('the host', () => {
  test('runs its own parse-server, and the cloud code finds zod in the host folder: nothing loads from the project', () => {
    const hostModules = `${realpathSync(path.join(host.hostDir, 'node_modules'))}${path.sep}`;
    expect(host.modules.parseServer.startsWith(`${hostModules}parse-server${path.sep}`)).toBe(true);
    expect(host.modules.zod?.startsWith(`${hostModules}zod${path.sep}`)).toBe(true);
    expect(host.modules.loadedOutsideHost).toEqual([]);
    const installed = JSON.parse(readFileSync(path.join(hostModules, 'parse-server', 'package.json'), 'utf8'));
    expect(installed.version).toBe(project.dependencies['parse-server']);
  });

  test('the upload folder carries main.js and a package.json naming the runtime dependencies at the project versions', () => {
    const manifest = JSON.parse(readFileSync(path.join(UPLOAD_DIR, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toEqual({ zod: project.dependencies.zod });
    expect(readFileSync(path.join(UPLOAD_DIR, 'main.js'), 'utf8')).toContain("require('./shop/cloud/main.js')");
  });

  test('after schema:push the cloud code creates the unique indexes itself, without a restart', async () => {
    const { results } = await server.ok('GET', '/schemas', undefined, { master: true });
    expect(results.map((c: { className: string }) => c.className)).toEqual(expect.arrayContaining([...SCHEMA_CLASSES]));
    const client = new pg.Client({ connectionString: server.databaseURI });
    await client.connect();
    try {
      // Named as Parse's PostgreSQL adapter names the indexes that ensureUniqueness creates.
      const expected = UNIQUE_INDEXES.map(({ className, fields }) => `${className}_unique_${[...fields].sort().join('_')}`).sort();
      let found: string[] = [];
      for (let tries = 0; tries < 100 && found.join() !== expected.join(); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const { rows } = await client.query('SELECT indexname FROM pg_indexes WHERE indexname = ANY($1)', [expected]);
        found = rows.map((row) => row.indexname).sort();
      }
      expect(found).toEqual(expected);
    } finally {
      await client.end();
    }
  });
});

describe('selling on the plain host', () => {
  test('the admin made as docs/DEPLOY.md tells gets the role mirror apps read', async () => {
    let user: any;
    for (let tries = 0; tries < 50 && user?.role !== 'admin'; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      user = await server.ok('GET', `/users/${admin.userId}`, undefined, { master: true });
    }
    expect(user.role).toBe('admin');
  });

  test('the triggers check writes there too, without the body guard in front of Parse', async () => {
    const bad = await server.request('POST', '/classes/Product', { name: 'Too precise', price: 19.999 }, { session: admin });
    expect(bad.body).toEqual({ code: 142, error: 'price: must have at most two decimals' });
  });

  test('an admin adds and restocks a product, the catalog shows it, a customer checks out', async () => {
    const productId = await product({ name: 'Plain host lamp', price: 24.5 });
    expect(await server.run('restock', { productId, quantity: 5 }, { session: admin })).toEqual({ stock: 5 });

    const catalog = await server.run('catalog', { limit: 100 });
    expect(catalog.products.find((p: any) => p.id === productId)).toMatchObject({ name: 'Plain host lamp', price: 24.5, stock: 5, sale: null });

    const buyer = await server.signUp('buyer');
    expect((await failure(server.run('restock', { productId, quantity: 1 }, { session: buyer }))).code).toBe(119);
    const result = await server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 2 }] }, { session: buyer });
    expect(result).toMatchObject({ subtotal: 49, discount: 0, total: 49 });
    expect(result.orders).toEqual([{ id: expect.any(String), productId, quantity: 2, unitPrice: 24.5, amount: 49, status: 'paid' }]);
    expect(await server.stockOf(productId)).toBe(3);
    expect((await server.ordersOf(productId)).map((order) => order.user.objectId)).toEqual([buyer.userId]);
  });

  test("the typed GraphQL operations of the upload's schema.graphql answer there", async () => {
    const answer = await server.graphql('query { serverTime { now } }');
    expect(answer.body.errors).toBeUndefined();
    expect(Number.isNaN(Date.parse(answer.body.data.serverTime.now))).toBe(false);
  });

  test('two buyers racing for the last unit: exactly one order, the other gets 4001, stock 0', async () => {
    const buyers = await server.users(2, 'racer');
    for (let round = 0; round < 5; round++) {
      const productId = await product({ name: `Last unit ${round}`, price: 9.99, stock: 1 });
      const results = await Promise.allSettled(
        buyers.map((buyer) => server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 1 }] }, { session: buyer })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(refused.map((r) => r.reason.code)).toEqual([4001]);
      expect(await server.stockOf(productId)).toBe(0);
      expect(await server.ordersOf(productId)).toHaveLength(1);
    }
  });
});
