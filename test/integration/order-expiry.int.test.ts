import { afterAll, beforeAll, expect, test } from 'vitest';
import { sweepIntervalMs } from '../../cloud/jobs/expire-pending-orders';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  // 0.05 minutes = 3 s: an order may outlive its deadline by at most max(5 s, 10%) = 5 s.
  server = await startTestServer({ PAYMENT_MODE: 'manual', PENDING_ORDER_TTL_MINUTES: '0.05' });
});
afterAll(() => server?.stop());

test('a pending order is cancelled within 8 s of its creation and its stock is back', async () => {
  const user = await server.signUp();
  const productId = await server.product({ price: 4, stock: 3 });
  const created = Date.now();
  const { orders } = await server.run('checkout', { idempotencyKey: 'expiry-key-1', items: [{ productId, quantity: 2 }] }, { session: user });
  expect(await server.stockOf(productId)).toBe(1);
  let status = 'pending';
  while (status === 'pending' && Date.now() - created < 8_000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = (await server.ok('GET', `/classes/Order/${orders[0].id}`, undefined, { master: true })).status;
  }
  expect(status).toBe('cancelled');
  expect(Date.now() - created).toBeLessThan(8_000);
  expect(await server.stockOf(productId)).toBe(3);
});

test('a pending order that is paid in time does not expire', async () => {
  const user = await server.signUp();
  const productId = await server.product({ price: 4, stock: 3 });
  const { orders } = await server.run('checkout', { idempotencyKey: 'expiry-key-2', items: [{ productId, quantity: 1 }] }, { session: user });
  await server.run('updateOrderStatus', { orderId: orders[0].id, status: 'paid' }, { master: true });
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  expect((await server.ok('GET', `/classes/Order/${orders[0].id}`, undefined, { master: true })).status).toBe('paid');
  expect(await server.stockOf(productId)).toBe(2);
});

test('two server processes sweeping the same database cancel each expired order once', async () => {
  const second = await startTestServer({ PAYMENT_MODE: 'manual', PENDING_ORDER_TTL_MINUTES: '0.05' }, server.databaseURI);
  try {
    const buyers = await server.users(6, 'sweep');
    const productId = await server.product({ price: 1, stock: 20 });
    await Promise.all(buyers.map((buyer, i) => server.run('checkout', { idempotencyKey: `sweep-key-${i}`, items: [{ productId, quantity: 2 }] }, { session: buyer })));
    expect(await server.stockOf(productId)).toBe(8);
    // the jobs of both processes race the timers of both
    await Promise.all([server.job('expirePendingOrders'), second.job('expirePendingOrders')]);
    const deadline = Date.now() + 10_000;
    while ((await server.ordersOf(productId)).some((o) => o.status === 'pending') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await Promise.all([server.job('expirePendingOrders'), second.job('expirePendingOrders')]);
    }
    expect((await server.ordersOf(productId)).map((o) => o.status)).toEqual(Array(6).fill('cancelled'));
    expect(await server.stockOf(productId)).toBe(20);
  } finally {
    await second.stop();
  }
});

test('the sweep interval keeps every order within max(5 s, 10% of the TTL) of its deadline', () => {
  expect(sweepIntervalMs(3_000)).toBe(2_500);
  expect(sweepIntervalMs(15 * 60_000)).toBe(45_000);
  expect(sweepIntervalMs(24 * 60 * 60_000)).toBe(60_000);
});
