import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { subscribe } from '../helpers/live-query';
import { failure, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const ALLOWED = new Set(['pending>paid', 'pending>cancelled', 'paid>shipped', 'paid>cancelled', 'shipped>delivered']);

beforeAll(async () => {
  server = await startTestServer({ PAYMENT_MODE: 'manual', PENDING_ORDER_TTL_MINUTES: '30' });
  admin = await server.admin();
});
afterAll(() => server?.stop());

async function pendingOrder(user: Session, productId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const result = await server.run('checkout', { idempotencyKey: `key-${randomUUID()}`, items: [{ productId, quantity: 1 }], ...extra }, { session: user });
  return result.orders[0].id;
}

/** An order of `user` brought to `status` through the allowed path. */
async function orderIn(status: Status, user: Session, productId: string): Promise<string> {
  const id = await pendingOrder(user, productId);
  const path: Record<Status, Status[]> = { pending: [], paid: ['paid'], shipped: ['paid', 'shipped'], delivered: ['paid', 'shipped', 'delivered'], cancelled: ['cancelled'] };
  for (const next of path[status]) await server.run('updateOrderStatus', { orderId: id, status: next }, { master: true });
  return id;
}

const statusOf = async (orderId: string) => (await server.ok('GET', `/classes/Order/${orderId}`, undefined, { master: true })).status;
const transactionsOf = (orderId: string) => server.find('Transaction', { order: { __type: 'Pointer', className: 'Order', objectId: orderId } });

describe('the status machine', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  test.each(pairs)('%s -> %s', async (from, to) => {
    const user = await server.signUp();
    const productId = await server.product({ price: 5, stock: 10 });
    const orderId = await orderIn(from, user, productId);
    const move = server.run('updateOrderStatus', { orderId, status: to }, { session: admin });
    if (ALLOWED.has(`${from}>${to}`)) {
      expect((await move).status).toBe(to);
      expect(await statusOf(orderId)).toBe(to);
    } else {
      const error = await failure(move);
      expect(error.code).toBe(4030);
      expect(error.message).toContain(from);
      expect(error.message).toContain(to);
      expect(await statusOf(orderId)).toBe(from);
    }
  });
});

describe('cancelOrder and updateOrderStatus', () => {
  test('the payment webhook (master key) marks a pending order paid and records its one charge', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 7.5, stock: 5 });
    const orderId = await pendingOrder(user, productId);
    expect(await transactionsOf(orderId)).toEqual([]);
    await server.run('updateOrderStatus', { orderId, status: 'paid' }, { master: true });
    expect(await transactionsOf(orderId)).toMatchObject([{ type: 'charge', amount: 7.5 }]);
  });

  test('the owner cancels a pending order: stock back, no refund (nothing was paid)', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 3, stock: 5 });
    const orderId = await pendingOrder(user, productId);
    expect(await server.stockOf(productId)).toBe(4);
    expect((await server.run('cancelOrder', { orderId }, { session: user })).status).toBe('cancelled');
    expect(await server.stockOf(productId)).toBe(5);
    expect(await transactionsOf(orderId)).toEqual([]);
  });

  test('a customer cannot cancel a shipped order (4030) or someone else’s order (119)', async () => {
    const [owner, other] = await server.users(2);
    const productId = await server.product({ price: 3, stock: 5 });
    const shipped = await orderIn('shipped', owner, productId);
    expect((await failure(server.run('cancelOrder', { orderId: shipped }, { session: owner }))).code).toBe(4030);
    const mine = await orderIn('paid', owner, productId);
    expect((await failure(server.run('cancelOrder', { orderId: mine }, { session: other }))).code).toBe(119);
    expect(await statusOf(mine)).toBe('paid');
  });

  test('an admin cancels a customer’s paid order; a customer cannot use updateOrderStatus', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 3, stock: 5 });
    const orderId = await orderIn('paid', user, productId);
    expect((await failure(server.run('updateOrderStatus', { orderId, status: 'shipped' }, { session: user }))).code).toBe(119);
    expect((await server.run('cancelOrder', { orderId }, { session: admin })).status).toBe('cancelled');
    expect(await server.stockOf(productId)).toBe(5);
  });

  test.each([
    ['cancelOrder', {}, 'orderId'],
    ['cancelOrder', { orderId: 'a b' }, 'orderId'],
    ['updateOrderStatus', { orderId: 'abc', status: 'lost' }, 'status'],
    ['updateOrderStatus', { orderId: 'abc' }, 'status'],
  ])('%s refuses %j with 142 naming %s', async (fn, params, field) => {
    const error = await failure(server.run(fn, params, { session: admin }));
    expect(error.code).toBe(142);
    expect(error.message).toContain(`${field}:`);
  });

  test('an unknown order is 101', async () => {
    expect((await failure(server.run('cancelOrder', { orderId: 'nope123' }, { session: admin }))).code).toBe(101);
  });
});

describe('a cancel gives back exactly once', () => {
  test('10 concurrent cancels of one paid order: one cancel, one refund, stock, sale units and code use back once', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 40, stock: 10 });
    const saleId = await server.sale(productId, { discount: 50, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 600_000), quantityLimit: 5, perUserLimit: 1 });
    const code = `ONCE-${randomUUID().slice(0, 8)}`.toUpperCase();
    const codeId = (await server.ok('POST', '/classes/Coupon', { code, discount: 5, usageLimit: 10 }, { session: admin })).objectId;
    const orderId = await pendingOrder(user, productId, { code });
    await server.run('updateOrderStatus', { orderId, status: 'paid' }, { master: true });
    expect(await server.stockOf(productId)).toBe(9);

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => server.run('cancelOrder', { orderId }, { session: user })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(Array(9).fill(4030));
    expect(await server.stockOf(productId)).toBe(10);
    const transactions = await transactionsOf(orderId);
    expect(transactions.map((t) => [t.type, t.amount]).sort()).toEqual([['charge', 15], ['refund', -15]]);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(0);
    const [buyer] = await server.find('SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: saleId } });
    expect(buyer.units).toBe(0);
    expect((await server.ok('GET', `/classes/Coupon/${codeId}`, undefined, { master: true })).usedCount).toBe(0);
    // the sale and the code can be used again by the same user
    const again = await server.run('checkout', { idempotencyKey: `key-${randomUUID()}`, items: [{ productId, quantity: 1 }], code }, { session: user });
    expect(again.orders[0]).toMatchObject({ unitPrice: 20, amount: 15 });
  });

  test('a code’s use comes back only when every order of its checkout is cancelled', async () => {
    const user = await server.signUp();
    const a = await server.product({ price: 10, stock: 5 });
    const b = await server.product({ price: 10, stock: 5 });
    const code = `PAIR-${randomUUID().slice(0, 8)}`.toUpperCase();
    const codeId = (await server.ok('POST', '/classes/Coupon', { code, discount: 2 }, { session: admin })).objectId;
    const result = await server.run('checkout', { idempotencyKey: `key-${randomUUID()}`, items: [{ productId: a, quantity: 1 }, { productId: b, quantity: 1 }], code }, { session: user });
    const usedCount = async () => (await server.ok('GET', `/classes/Coupon/${codeId}`, undefined, { master: true })).usedCount;
    expect(await usedCount()).toBe(1);
    await server.run('cancelOrder', { orderId: result.orders[0].id }, { session: user });
    expect(await usedCount()).toBe(1);
    await server.run('cancelOrder', { orderId: result.orders[1].id }, { session: user });
    expect(await usedCount()).toBe(0);
  });
});

describe('order events', () => {
  test('a new order reaches its owner and the admins, never another customer; anonymous subscribers are refused', async () => {
    const [owner, other] = await server.users(2);
    const productId = await server.product({ price: 2, stock: 10 });
    const feeds = {
      owner: await subscribe(server.port, 'Order', {}, owner.sessionToken),
      other: await subscribe(server.port, 'Order', {}, other.sessionToken),
      admin: await subscribe(server.port, 'Order', {}, admin.sessionToken),
    };
    try {
      await expect(subscribe(server.port, 'Order', {})).rejects.toThrow('Permission denied');
      const orderId = await pendingOrder(owner, productId);
      expect((await feeds.owner.waitFor((e) => e.object?.objectId === orderId)).op).toBe('create');
      expect((await feeds.admin.waitFor((e) => e.object?.objectId === orderId)).op).toBe('create');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(feeds.other.events).toEqual([]);
    } finally {
      Object.values(feeds).forEach((feed) => feed.close());
    }
  });

  test('a customer subscribed to Order sees its own order’s status change and never another user’s', async () => {
    const [owner, other] = await server.users(2);
    const productId = await server.product({ price: 2, stock: 10 });
    const mine = await subscribe(server.port, 'Order', {}, owner.sessionToken);
    const theirs = await subscribe(server.port, 'Order', {}, other.sessionToken);
    try {
      const orderId = await pendingOrder(owner, productId);
      await server.run('updateOrderStatus', { orderId, status: 'paid' }, { master: true });
      const event = await mine.waitFor((e) => e.op === 'update' && e.object?.objectId === orderId);
      expect(event.object).toMatchObject({ status: 'paid' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(theirs.events.filter((e) => e.object?.objectId === orderId)).toEqual([]);
    } finally {
      mine.close();
      theirs.close();
    }
  });
});

describe('reconcileInventory', () => {
  const runJob = (params: Record<string, unknown>) => server.job('reconcileInventory', params);

  test('reports a product whose stock breaks the invariant, and repairs it with fix: true', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 1, stock: 10 });
    await pendingOrder(user, productId);
    expect((await runJob({})).broken.filter((b: any) => b.productId === productId)).toEqual([]);

    const client = new pg.Client({ connectionString: server.databaseURI });
    await client.connect();
    await client.query('UPDATE "Inventory" SET stock = stock + 3 WHERE product = $1', [productId]);
    await client.end();

    const report = await runJob({});
    expect(report.broken.filter((b: any) => b.productId === productId)).toEqual([
      { productId, stock: 12, received: 10, unitsInOrders: 1, expectedStock: 9 },
    ]);
    const fixed = await runJob({ fix: true });
    expect(fixed.broken.find((b: any) => b.productId === productId)).toMatchObject({ expectedStock: 9, fixed: true });
    expect(await server.stockOf(productId)).toBe(9);
    expect((await runJob({})).broken).toEqual([]);
  });
});
