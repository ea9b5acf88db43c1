import { afterAll, beforeAll, expect, test } from 'vitest';
import { productRef, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ PAYMENT_MODE: 'manual', PENDING_ORDER_TTL_MINUTES: '30' });
});
afterAll(() => server?.stop());

test('PAYMENT_MODE=manual: checkout makes pending orders with expiresAt and no charge', async () => {
  const user = await server.signUp();
  const productId = await server.product({ price: 15, stock: 4 });
  const before = Date.now();
  const result = await server.run('checkout', { idempotencyKey: 'manual-key-1', items: [{ productId, quantity: 2 }] }, { session: user });
  expect(result.orders).toMatchObject([{ productId, quantity: 2, amount: 30, status: 'pending' }]);
  const [order] = await server.ordersOf(productId);
  const expiresAt = Date.parse(order.expiresAt.iso);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 1000);
  expect(await server.find('Transaction', { checkoutId: result.checkoutId })).toEqual([]);
  expect(await server.stockOf(productId)).toBe(2);
});

test('PAYMENT_MODE=manual: POST /classes/Order is pending without a charge too', async () => {
  const user = await server.signUp();
  const productId = await server.product({ price: 15, stock: 4 });
  const created = await server.ok('POST', '/classes/Order', { product: productRef(productId), quantity: 1 }, { session: user });
  const order = await server.ok('GET', `/classes/Order/${created.objectId}`, undefined, { session: user });
  expect(order.status).toBe('pending');
  expect(order.expiresAt).toBeDefined();
  expect(await server.find('Transaction', { order: { __type: 'Pointer', className: 'Order', objectId: created.objectId } })).toEqual([]);
});
