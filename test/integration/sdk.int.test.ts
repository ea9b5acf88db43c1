/** The README's SDK example, run with the real Parse JS SDK against a real server. */
import Parse from 'parse/node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { APP_ID, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
  Parse.initialize(APP_ID);
  Parse.serverURL = server.apiURL;
  Parse.liveQueryServerURL = `ws://127.0.0.1:${server.port}/parse`;
});
afterAll(async () => {
  await Parse.LiveQuery.close();
  await server?.stop();
});

test('queries products and reads the server clock', async () => {
  const productId = await server.product({ name: 'SDK phone', price: 99.5 });
  const products = await new Parse.Query('Product').equalTo('active', true).find();
  expect(products.map((p) => p.id)).toContain(productId);
  const { now } = await Parse.Cloud.run('serverTime');
  expect(Number.isNaN(Date.parse(now))).toBe(false);
});

test('a subscription to Inventory sees a restock as an update with the new stock', async () => {
  const productId = await server.product({ name: 'Live phone', price: 10, stock: 1 });
  const subscription = await new Parse.Query('Inventory').subscribe();
  const update = new Promise<Parse.Object>((resolve) => subscription.on('update', (row: Parse.Object) => resolve(row)));
  await new Promise((resolve) => subscription.on('open', resolve));
  await server.run('restock', { productId, quantity: 4 }, { session: admin });
  const row = await update;
  expect(row.get('product').id).toBe(productId);
  expect(row.get('stock')).toBe(5);
  subscription.unsubscribe();
});

test('a signed-up user sees only itself and cannot write the catalogue', async () => {
  const user = await Parse.User.signUp(`sdk-${Date.now()}`, 'password-123', { email: `sdk-${Date.now()}@example.com` });
  const token = user.getSessionToken() ?? undefined;
  const others = await new Parse.Query(Parse.User).find({ sessionToken: token });
  expect(others.map((u) => u.id)).toEqual([user.id]);
  const attempt = new Parse.Object('Product').save({ name: 'Nope', price: 1 }, { sessionToken: token });
  await expect(attempt).rejects.toMatchObject({ code: 119 });
});
