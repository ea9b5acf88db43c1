import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import { subscribe } from '../helpers/live-query';
import { APP_ID, MASTER_KEY, productRef, ROOT, startTestServer, type TestServer } from '../helpers/server';

/** What an operator sets: a random 40-character master key and a database user with a real password. */
const PRODUCTION_MASTER_KEY = `Pk-${randomBytes(30).toString('base64url')}`.slice(0, 40);
const OWNER = { username: 'shop-owner', password: 'a-long-owner-secret' };

/** A database owned by its own role with a strong password, as a managed PostgreSQL would give. */
async function productionDatabase(): Promise<string> {
  const clusterURI = inject('pgClusterURI');
  const suffix = randomBytes(5).toString('hex');
  const role = `shop_${suffix}`;
  const password = `Db-${randomBytes(12).toString('hex')}-Pw9`;
  const client = new pg.Client({ connectionString: `${clusterURI}postgres` });
  await client.connect();
  try {
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await client.query(`CREATE DATABASE ${role} OWNER ${role}`);
  } finally {
    await client.end();
  }
  const url = new URL(`${clusterURI}${role}`);
  url.username = role;
  url.password = password;
  return url.toString();
}

const schemaClasses = readdirSync(path.join(ROOT, 'schema'))
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(path.join(ROOT, 'schema', file), 'utf8')).className as string)
  .sort();

describe('production, as npm start runs it', () => {
  let server: TestServer;
  const master = { headers: { 'X-Parse-Master-Key': PRODUCTION_MASTER_KEY } };

  beforeAll(async () => {
    server = await startTestServer(
      { NODE_ENV: 'production', MASTER_KEY: PRODUCTION_MASTER_KEY, ADMIN_USERNAME: OWNER.username, ADMIN_PASSWORD: OWNER.password },
      await productionDatabase(),
    );
  });
  afterAll(() => server?.stop());

  test("Parse Server's security check reports no failed check", async () => {
    const answer = await server.request('GET', '/security', undefined, master);
    expect(answer.status).toBe(200);
    const checks = answer.body.report.groups.flatMap((group: any) => group.checks.map((check: any) => ({ group: group.name, ...check })));
    expect(checks.length).toBeGreaterThanOrEqual(14);
    console.log(checks.map((check: any) => `  ${check.state.padEnd(8)} ${check.group}: ${check.title}`).join('\n'));
    expect(checks.filter((check: any) => check.state === 'fail')).toEqual([]);
    expect(answer.body.report.state).toBe('success');
  });

  test('the security report needs the master key', async () => {
    const answer = await server.request('GET', '/security');
    expect(answer.status).toBe(403);
    expect(JSON.stringify(answer.body)).not.toContain('Secure master key');
  });

  test('no class is writable by the public: only _User create (sign-up) and Order create (refused without a login) are open', async () => {
    const answer = await server.request('GET', '/schemas', undefined, master);
    expect(answer.status).toBe(200);
    const open: string[] = [];
    for (const { className, classLevelPermissions: clp } of answer.body.results) {
      for (const operation of ['create', 'update', 'delete', 'addField']) {
        if (clp?.[operation]?.['*']) open.push(`${className}.${operation}`);
      }
    }
    expect(open.sort()).toEqual(['Order.create', '_User.create']);
    // Order's beforeSave needs a logged-in user (SPEC 8's 119; a class-level rule would answer 101).
    const anonymousOrder = await server.request('POST', '/classes/Order', { product: productRef('nothing'), quantity: 1 });
    expect(anonymousOrder).toMatchObject({ status: 400, body: { code: 119 } });
    // Every class the server has is defined in schema/ (none left with Parse's public defaults).
    expect(answer.body.results.map((c: any) => c.className).sort()).toEqual(schemaClasses);
  });

  test('an anonymous client cannot create an _Installation (the shop sends no push), a customer neither', async () => {
    const customer = await server.signUp('prod');
    const device = { deviceType: 'ios', installationId: randomBytes(8).toString('hex'), deviceToken: 'abc' };
    for (const options of [{}, { session: customer }]) {
      for (const route of ['/classes/_Installation', '/installations']) {
        const answer = await server.request('POST', route, device, options);
        expect(answer.status).toBe(400);
        expect(answer.body.code).toBe(119);
      }
    }
    expect((await server.request('GET', '/installations', undefined, master)).body.results).toEqual([]);
  });

  test('a client cannot create a class', async () => {
    const answer = await server.request('POST', '/classes/Anything', { x: 1 });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });

  test('no answer (REST, GraphQL, Live Query) carries the master key, password hashes, others’ session tokens or holds', async () => {
    const owner = await server.request('POST', '/login', OWNER);
    const adminSession = { userId: owner.body.objectId, username: OWNER.username, sessionToken: owner.body.sessionToken };
    const [buyer, bystander] = await server.users(2, 'leak');
    const productId = (await server.ok('POST', '/classes/Product', { name: 'Lamp', price: 12 }, { session: adminSession })).objectId;
    const feed = await subscribe(server.port, 'Inventory', { product: productRef(productId) }, buyer.sessionToken);
    await server.run('restock', { productId, quantity: 5 }, { session: adminSession });
    await feed.waitFor((event) => event.op === 'update' && event.object?.stock === 5);

    const answers: unknown[] = [owner.body, feed.events];
    answers.push(await server.run('addToCart', { productId, quantity: 1 }, { session: buyer }));
    answers.push(await server.run('checkout', { idempotencyKey: `leak-${randomBytes(4).toString('hex')}`, items: [{ productId, quantity: 1 }] }, { session: buyer }));
    await feed.waitFor((event) => event.op === 'update' && event.object?.stock === 4);
    feed.close();
    for (const session of [buyer, adminSession]) {
      answers.push((await server.request('GET', '/users/me', undefined, { session })).body);
      for (const className of schemaClasses) answers.push((await server.request('GET', `/classes/${className}?limit=1000`, undefined, { session })).body);
      answers.push(await server.run('catalog', {}, { session }));
      answers.push(await server.run('flashSales', {}, { session }));
      const graphQL = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
        method: 'POST',
        headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': session.sessionToken, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: 'query { viewer { sessionToken user { objectId username } } inventories { edges { node { objectId stock } } } }' }),
      });
      const graphQLAnswer = (await graphQL.json()) as any;
      expect(graphQLAnswer.data.viewer.user.objectId).toBe(session.userId);
      answers.push(graphQLAnswer);
    }
    const text = JSON.stringify(answers);
    expect(text).toContain(String(productId)); // the answers are real
    for (const secret of [PRODUCTION_MASTER_KEY, bystander.sessionToken, '_hashed_password', '$2b$', '"holds"', '_failed_login_count', 'fingerprint']) {
      expect(text.includes(secret), `an answer contains ${secret}`).toBe(false);
    }
  });

  test('the server serves no Parse Dashboard and no GraphQL playground (tools that hold the master key)', async () => {
    for (const route of ['/dashboard', '/playground', '/parse/dashboard']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${route}`);
      expect([403, 404]).toContain(response.status); // 403: Parse's mount wants an application id
      expect(await response.text()).not.toContain(PRODUCTION_MASTER_KEY);
    }
  });

  test('the admin from ADMIN_USERNAME / ADMIN_PASSWORD logs in', async () => {
    const login = await server.request('POST', '/login', OWNER);
    expect(login.status).toBe(200);
    expect((await server.request('GET', '/users/me', undefined, { headers: { 'X-Parse-Session-Token': login.body.sessionToken } })).body.role).toBe('admin');
  });
});

test('the database password check reads the real password: a weak one (the embedded database’s) fails it', async () => {
  const server = await startTestServer({ NODE_ENV: 'production', MASTER_KEY: PRODUCTION_MASTER_KEY, ADMIN_USERNAME: OWNER.username, ADMIN_PASSWORD: OWNER.password });
  try {
    const answer = await server.request('GET', '/security', undefined, { headers: { 'X-Parse-Master-Key': PRODUCTION_MASTER_KEY } });
    const database = answer.body.report.groups.find((group: any) => group.name === 'Database');
    expect(database.checks).toMatchObject([{ title: 'Secure database password', state: 'fail' }]);
  } finally {
    await server.stop();
  }
});

test('production refuses to start with an ADMIN_PASSWORD that contains ADMIN_USERNAME, naming ADMIN_PASSWORD', async () => {
  const error = (await startTestServer({
    NODE_ENV: 'production',
    MASTER_KEY: PRODUCTION_MASTER_KEY,
    ADMIN_USERNAME: 'owner',
    ADMIN_PASSWORD: 'owner-password-2026',
  }).catch((e: Error) => e)) as Error;
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toContain('Cannot start: ADMIN_PASSWORD: must not contain the username');
});

describe('MASTER_KEY_IPS set to an address that is not loopback', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ MASTER_KEY_IPS: '10.255.255.1' });
  });
  afterAll(() => server?.stop());

  test('the master key is refused from 127.0.0.1', async () => {
    for (const [method, route] of [
      ['GET', '/classes/Lock'],
      ['GET', '/schemas'],
      ['POST', '/jobs/expirePendingOrders'],
    ]) {
      const response = await fetch(`${server.apiURL}${route}`, {
        method,
        headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY, 'Content-Type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'unauthorized' });
    }
  });

  test('the server started and works: its own master-key calls run in process, not over HTTP', async () => {
    // Start-up made the admin role and account with the master key; the admin logs in and sells.
    const admin = await server.admin();
    expect((await server.ok('GET', '/users/me', undefined, { session: admin })).role).toBe('admin');
    const productId = (await server.ok('POST', '/classes/Product', { name: 'Kettle', price: 20 }, { session: admin })).objectId;
    expect(await server.run('restock', { productId, quantity: 3 }, { session: admin })).toEqual({ stock: 3 });
    const buyer = await server.signUp('ips');
    const bought = await server.run('checkout', { idempotencyKey: `ips-${randomBytes(4).toString('hex')}`, items: [{ productId, quantity: 2 }] }, { session: buyer });
    expect(bought.orders).toHaveLength(1);
    expect(bought.orders[0]).toMatchObject({ productId, quantity: 2, status: 'paid' });
    const catalog = await server.run('catalog');
    expect(catalog.products.find((p: any) => p.id === productId)).toMatchObject({ stock: 1 });
    const cancelled = await server.run('cancelOrder', { orderId: bought.orders[0].id }, { session: buyer });
    expect(cancelled.status).toBe('cancelled');
  });
});
