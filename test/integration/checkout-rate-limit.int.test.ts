import { afterAll, beforeAll, expect, test } from 'vitest';
import { productRef, startTestServer, type TestServer } from '../helpers/server';

const PER_MINUTE = 3;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_CHECKOUT_PER_MINUTE: String(PER_MINUTE), RATE_LIMIT_APPLY_CODE_PER_MINUTE: String(PER_MINUTE) });
});
afterAll(() => server?.stop());

test(`checkout is limited per user: the ${PER_MINUTE + 1}th in a minute answers 429; another user is not affected`, async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [a, b] = await server.users(2);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    const body = { idempotencyKey: `limit-key-${i}`, items: [{ productId, quantity: 1 }] };
    statuses.push((await server.request('POST', '/functions/checkout', body, { session: a })).status);
  }
  expect(statuses).toEqual([200, 200, 200, 429]);
  const other = await server.request('POST', '/functions/checkout', { idempotencyKey: 'limit-key-b', items: [{ productId, quantity: 1 }] }, { session: b });
  expect(other.status).toBe(200);
  expect(await server.stockOf(productId)).toBe(100 - PER_MINUTE - 1);
});

test('POST /classes/Order has the same per-user limit', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [user] = await server.users(1);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    statuses.push((await server.request('POST', '/classes/Order', { product: productRef(productId), quantity: 1 }, { session: user })).status);
  }
  expect(statuses).toEqual([201, 201, 201, 429]);
});

test('applyCode is limited per user, so codes cannot be guessed by brute force', async () => {
  const [guesser, other] = await server.users(2);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 2; i++) {
    statuses.push((await server.request('POST', '/functions/applyCode', { code: `GUESS-${i}` }, { session: guesser })).status);
  }
  expect(statuses).toEqual([400, 400, 400, 429, 429]);
  expect((await server.request('POST', '/functions/applyCode', { code: 'GUESS-X' }, { session: other })).body.code).toBe(4010);
});
