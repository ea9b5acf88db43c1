import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { at, buyOn, key, MINUTE } from '../helpers/checkout';
import { subscribe } from '../helpers/live-query';
import { failure, ParseFailure, productRef, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ PAYMENT_MODE: 'auto' });
});
afterAll(() => server?.stop());

const buy = (session: Session, productId: string, quantity = 1, extra: Record<string, unknown> = {}) => buyOn(server, session, productId, quantity, extra);

describe('checkout', () => {
  test('buys items now: paid orders with the price snapshot, one charge each, stock taken', async () => {
    const user = await server.signUp();
    const a = await server.product({ name: 'Charger', price: 39.9, stock: 10 });
    const b = await server.product({ name: 'Cable', price: 9.99, stock: 10 });
    const result = await server.run('checkout', { idempotencyKey: key(), items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }] }, { session: user });
    expect(result).toMatchObject({ subtotal: 89.79, discount: 0, total: 89.79, currency: 'USD' });
    expect(result.orders).toEqual([
      { id: expect.any(String), productId: a, quantity: 2, unitPrice: 39.9, amount: 79.8, status: 'paid' },
      { id: expect.any(String), productId: b, quantity: 1, unitPrice: 9.99, amount: 9.99, status: 'paid' },
    ]);
    expect(await server.stockOf(a)).toBe(8);
    expect(await server.stockOf(b)).toBe(9);
    const charges = await server.find('Transaction', { checkoutId: result.checkoutId });
    expect(charges.map((c) => [c.order.objectId, c.amount, c.type]).sort()).toEqual(
      result.orders.map((o: any) => [o.id, o.amount, 'charge']).sort(),
    );
    const [order] = await server.ordersOf(a);
    expect(order).toMatchObject({ user: { objectId: user.userId }, checkoutId: result.checkoutId, status: 'paid' });
    expect(order.flashSale).toBeUndefined();
    // the buyer reads its own orders, nobody else does
    expect((await server.ok('GET', `/classes/Order/${order.objectId}`, undefined, { session: user })).amount).toBe(79.8);
    const other = await server.signUp();
    expect((await server.request('GET', `/classes/Order/${order.objectId}`, undefined, { session: other })).status).toBe(404);
  });

  test('duplicate lines of one product are summed before stock is claimed', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 1, stock: 3 });
    const error = await failure(
      server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 2 }, { productId, quantity: 2 }] }, { session: user }),
    );
    expect(error.code).toBe(4001);
    expect(await server.stockOf(productId)).toBe(3);
    const ok = await server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 1 }, { productId, quantity: 2 }] }, { session: user });
    expect(ok.orders).toHaveLength(1);
    expect(ok.orders[0].quantity).toBe(3);
  });

  test('buys the cart and empties it; an empty cart is 4020', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 5, stock: 10 });
    expect((await failure(server.run('checkout', { idempotencyKey: key() }, { session: user }))).code).toBe(4020);
    await server.run('addToCart', { productId, quantity: 4 }, { session: user });
    const result = await server.run('checkout', { idempotencyKey: key() }, { session: user });
    expect(result.orders).toMatchObject([{ productId, quantity: 4, amount: 20 }]);
    expect((await server.run('getCart', {}, { session: user })).items).toEqual([]);
    expect(await server.stockOf(productId)).toBe(6);
  });

  test('500 concurrent checkouts of 1 unit on 100 in stock: 100 orders, stock 0, the rest 4001, never a negative read', async () => {
    const productId = await server.product({ name: 'Storm phone', price: 499, stock: 100 });
    const buyers = await server.users(50, 'storm');
    let storming = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (storming) {
        reads.push(...(await server.inventoryRows(productId)).map((row) => row.stock));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => buy(buyers[i % 50], productId)));
    storming = false;
    await reader;

    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ParseFailure);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    expect(refused.map((e) => e.code)).toEqual(Array(400).fill(4001));
    expect(refused.every((e) => e.status < 500)).toBe(true);
    expect(await server.stockOf(productId)).toBe(0);
    const orders = await server.ordersOf(productId);
    expect(orders).toHaveLength(100);
    expect(reads.length).toBeGreaterThan(0);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(0);
  });

  test('20 concurrent retries of one key: one set of orders, one charge per order, one checkoutId', async () => {
    const user = await server.signUp();
    const a = await server.product({ price: 3, stock: 50 });
    const b = await server.product({ price: 4, stock: 50 });
    const params = { idempotencyKey: key(), items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }] };
    const results = await Promise.all(Array.from({ length: 20 }, () => server.run('checkout', params, { session: user })));
    expect(new Set(results.map((r) => r.checkoutId)).size).toBe(1);
    for (const result of results) expect(result).toEqual(results[0]);
    expect(await server.ordersOf(a)).toHaveLength(1);
    expect(await server.ordersOf(b)).toHaveLength(1);
    expect(await server.find('Transaction', { checkoutId: results[0].checkoutId })).toHaveLength(2);
    expect(await server.stockOf(a)).toBe(48);
    // a later retry still replays the first result
    expect(await server.run('checkout', params, { session: user })).toEqual(results[0]);
  });

  test('the same key from another user is a separate checkout; the same key for another request is 142', async () => {
    const [first, second] = await server.users(2);
    const productId = await server.product({ price: 2, stock: 10 });
    const shared = key();
    const one = await server.run('checkout', { idempotencyKey: shared, items: [{ productId, quantity: 1 }] }, { session: first });
    const two = await server.run('checkout', { idempotencyKey: shared, items: [{ productId, quantity: 1 }] }, { session: second });
    expect(one.checkoutId).not.toBe(two.checkoutId);
    const reused = await failure(server.run('checkout', { idempotencyKey: shared, items: [{ productId, quantity: 2 }] }, { session: first }));
    expect(reused.code).toBe(142);
    expect(reused.message).toContain('idempotencyKey');
    expect(await server.stockOf(productId)).toBe(8);
  });

  test('a two-line checkout whose second line is short of stock: 4001, and stock, sale quota, orders and cart as before', async () => {
    const user = await server.signUp();
    const plenty = await server.product({ price: 10, stock: 20 });
    const scarce = await server.product({ price: 10, stock: 1 });
    const saleId = await server.sale(plenty, { discount: 10, startTime: at(-MINUTE), endTime: at(10 * MINUTE), quantityLimit: 10 });
    await server.run('addToCart', { productId: plenty, quantity: 3 }, { session: user });
    await server.run('addToCart', { productId: scarce, quantity: 2 }, { session: user });
    const cartBefore = await server.run('getCart', {}, { session: user });

    const error = await failure(server.run('checkout', { idempotencyKey: key() }, { session: user }));
    expect(error.code).toBe(4001);
    expect(error.message).toContain('Only 1 left');
    expect(await server.stockOf(plenty)).toBe(20);
    expect(await server.stockOf(scarce)).toBe(1);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(0);
    const buyers = await server.find('SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: saleId } });
    expect(buyers.every((row) => row.units === 0)).toBe(true);
    expect(await server.ordersOf(plenty)).toEqual([]);
    expect(await server.run('getCart', {}, { session: user })).toEqual(cartBefore);
    expect(await server.find('CheckoutRecord', { user: { __type: 'Pointer', className: '_User', objectId: user.userId } })).toEqual([]);
  });

  test('40 concurrent two-line checkouts racing for 5 units of the second line: 5 succeed, the others undo their first line', async () => {
    const plenty = await server.product({ price: 10, stock: 100 });
    const scarce = await server.product({ price: 10, stock: 5 });
    const saleId = await server.sale(plenty, { discount: 10, startTime: at(-MINUTE), endTime: at(10 * MINUTE), quantityLimit: 50 });
    const buyers = await server.users(40, 'pair');
    const results = await Promise.allSettled(
      buyers.map((buyer) => server.run('checkout', { idempotencyKey: key(), items: [{ productId: plenty, quantity: 1 }, { productId: scarce, quantity: 1 }] }, { session: buyer })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(Array(35).fill(4001));
    expect(await server.stockOf(scarce)).toBe(0);
    expect(await server.stockOf(plenty)).toBe(95);
    expect(await server.ordersOf(plenty)).toHaveLength(5);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(5);
    const units = (await server.find('SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: saleId } })).reduce((n, row) => n + row.units, 0);
    expect(units).toBe(5);
  });

  test('a line refused with 4002 gives back the sale units an earlier line claimed', async () => {
    const user = await server.signUp();
    const first = await server.product({ price: 10, stock: 10 });
    const second = await server.product({ price: 10, stock: 10 });
    const firstSale = await server.sale(first, { discount: 50, startTime: at(-MINUTE), endTime: at(MINUTE), quantityLimit: 5 });
    await server.sale(second, { discount: 50, startTime: at(-MINUTE), endTime: at(MINUTE), quantityLimit: 5, perUserLimit: 1 });
    await buy(user, second, 1);
    const error = await failure(server.run('checkout', { idempotencyKey: key(), items: [{ productId: first, quantity: 2 }, { productId: second, quantity: 1 }] }, { session: user }));
    expect(error.code).toBe(4002);
    expect((await server.ok('GET', `/classes/FlashSale/${firstSale}`)).soldCount).toBe(0);
    expect(await server.stockOf(first)).toBe(10);
    expect(await server.stockOf(second)).toBe(9);
    expect(await server.ordersOf(first)).toEqual([]);
  });

  test('expectedTotal off by one cent: 4003 and nothing changed; the right total goes through', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 12.34, stock: 5 });
    const error = await failure(buy(user, productId, 2, { expectedTotal: 24.69 }));
    expect(error.code).toBe(4003);
    expect(error.message).toContain('24.68');
    expect(await server.stockOf(productId)).toBe(5);
    expect(await server.ordersOf(productId)).toEqual([]);
    const ok = await buy(user, productId, 2, { expectedTotal: 24.68 });
    expect(ok.total).toBe(24.68);
  });

  test('the sale price applies only inside [startTime, endTime) on the server clock', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 100, stock: 10 });
    const startTime = at(1500);
    const endTime = at(3000);
    await server.sale(productId, { discountPrice: 60, startTime, endTime });
    const before = await buy(user, productId);
    expect(before.orders[0].unitPrice).toBe(100);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startTime.getTime() - Date.now() + 100)));
    const during = await buy(user, productId);
    expect(during.orders[0].unitPrice).toBe(60);
    const [order] = (await server.ordersOf(productId)).filter((o) => o.objectId === during.orders[0].id);
    expect(order.flashSale).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, endTime.getTime() - Date.now() + 100)));
    const after = await buy(user, productId);
    expect(after.orders[0].unitPrice).toBe(100);
    const { serverTime } = await server.run('catalog', { limit: 100 });
    expect(Date.parse(serverTime)).toBeGreaterThanOrEqual(endTime.getTime());
  });

  test('quantityLimit 20, perUserLimit 1, 150 concurrent requests from 75 users: at most 20 at the sale price, at most one per user, no overselling', async () => {
    const productId = await server.product({ name: 'Drop', price: 50, stock: 100 });
    const saleId = await server.sale(productId, { discountPrice: 25, startTime: at(-MINUTE), endTime: at(10 * MINUTE), quantityLimit: 20, perUserLimit: 1 });
    const buyers = await server.users(75, 'drop');
    const results = await Promise.allSettled(Array.from({ length: 150 }, (_, i) => buy(buyers[i % 75], productId)));

    const orders = await server.ordersOf(productId);
    const atSalePrice = orders.filter((o) => o.flashSale?.objectId === saleId);
    expect(atSalePrice.length).toBeLessThanOrEqual(20);
    expect(atSalePrice.length).toBe(20); // 150 buyers want it: the quota is used up
    expect(atSalePrice.every((o) => o.unitPrice === 25)).toBe(true);
    expect(orders.filter((o) => !o.flashSale).every((o) => o.unitPrice === 50)).toBe(true);
    const perUser = new Map<string, number>();
    for (const o of atSalePrice) perUser.set(o.user.objectId, (perUser.get(o.user.objectId) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBe(1);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(20);
    const units = orders.reduce((sum, o) => sum + o.quantity, 0);
    expect(units).toBeLessThanOrEqual(100);
    expect(await server.stockOf(productId)).toBe(100 - units);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code);
    // past the stock: 4001; a second unit at the sale price for one user: 4002
    expect(refusals.filter((code) => code !== 4001 && code !== 4002)).toEqual([]);
    // at most 20 users can hit 4002, so at least 130 want a unit: all 100 sell, none twice
    expect(units).toBe(100);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(orders.length);
  });

  test('a line past perUserLimit while the sale price is on offer is refused with 4002', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 10, stock: 10 });
    await server.sale(productId, { discount: 50, startTime: at(-MINUTE), endTime: at(MINUTE), quantityLimit: 5, perUserLimit: 2 });
    expect((await buy(user, productId, 2)).orders[0].unitPrice).toBe(5);
    const error = await failure(buy(user, productId, 1));
    expect(error.code).toBe(4002);
    expect(error.message).toContain('2 unit(s) per customer');
    expect(await server.stockOf(productId)).toBe(8);
    // One line of more than perUserLimit, from a buyer with none yet: refused too, not sold at the list price.
    expect((await failure(buy(await server.signUp(), productId, 3))).code).toBe(4002);
    expect(await server.stockOf(productId)).toBe(8);
  });

  test('a line the remaining quota cannot cover is priced at the list price; expectedTotal at the sale price then gets 4003', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 10, stock: 10 });
    const saleId = await server.sale(productId, { discount: 50, startTime: at(-MINUTE), endTime: at(MINUTE), quantityLimit: 2 });
    expect((await failure(buy(user, productId, 3, { expectedTotal: 15 }))).code).toBe(4003);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(0);
    const listed = await buy(user, productId, 3, { expectedTotal: 30 });
    expect(listed.orders[0].unitPrice).toBe(10);
    expect((await server.run('flashSales', { status: 'live' })).sales.find((s: any) => s.id === saleId)).toMatchObject({ status: 'live', remaining: 2 });
  });

  test('stock changes reach Inventory subscribers and soldCount changes reach FlashSale subscribers', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 10, stock: 7 });
    const saleId = await server.sale(productId, { discount: 10, startTime: at(-MINUTE), endTime: at(MINUTE), quantityLimit: 5 });
    const [row] = await server.inventoryRows(productId);
    const stockFeed = await subscribe(server.port, 'Inventory', { product: productRef(productId) });
    const saleFeed = await subscribe(server.port, 'FlashSale', { objectId: saleId });
    try {
      await buy(user, productId, 2);
      const stockEvent = await stockFeed.waitFor((e) => e.op === 'update');
      expect(stockEvent.object).toMatchObject({ objectId: row.objectId, stock: 5 });
      const saleEvent = await saleFeed.waitFor((e) => e.op === 'update');
      expect(saleEvent.object).toMatchObject({ objectId: saleId, soldCount: 2 });
    } finally {
      stockFeed.close();
      saleFeed.close();
    }
  });

  test.each([
    [{ items: [{ productId: 'abc', quantity: 1 }] }, 'idempotencyKey'],
    [{ idempotencyKey: 'short', items: [{ productId: 'abc', quantity: 1 }] }, 'idempotencyKey'],
    [{ idempotencyKey: 'x'.repeat(65), items: [{ productId: 'abc', quantity: 1 }] }, 'idempotencyKey'],
    [{ idempotencyKey: 'has spaces in it', items: [{ productId: 'abc', quantity: 1 }] }, 'idempotencyKey'],
    [{ idempotencyKey: 'valid-key-1', items: [] }, 'items'],
    [{ idempotencyKey: 'valid-key-1', items: 'abc' }, 'items'],
    [{ idempotencyKey: 'valid-key-1', items: [{ productId: 'abc', quantity: 0 }] }, 'items.0.quantity'],
    [{ idempotencyKey: 'valid-key-1', items: [{ productId: 'abc', quantity: 100 }] }, 'items.0.quantity'],
    [{ idempotencyKey: 'valid-key-1', items: [{ productId: 'abc', quantity: 1, price: 1 }] }, 'items.0.price'],
    [{ idempotencyKey: 'valid-key-1', expectedTotal: -1 }, 'expectedTotal'],
    [{ idempotencyKey: 'valid-key-1', expectedTotal: 'abc' }, 'expectedTotal'],
    [{ idempotencyKey: 'valid-key-1', expectedTotal: 1.234 }, 'expectedTotal'],
    [{ idempotencyKey: 'valid-key-1', total: 1 }, 'total'],
  ])('refuses %j with 142 naming %s', async (params, field) => {
    const user = await server.signUp();
    const error = await failure(server.run('checkout', params, { session: user }));
    expect(error.code).toBe(142);
    expect(error.message).toContain(`142: ${field}:`);
  });

  test('refusals are answers, not server errors: nothing is logged at error level for them', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 1, stock: 1 });
    await failure(buy(user, productId, 5));
    await failure(server.run('checkout', { idempotencyKey: 'short' }, { session: user }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.spawned.output()).not.toMatch(/you asked for 5|idempotencyKey: must be/);
  });

  test('refuses anonymous callers (119), unknown products (101) and products not for sale (142)', async () => {
    const user = await server.signUp();
    expect((await failure(server.run('checkout', { idempotencyKey: key(), items: [{ productId: 'abc', quantity: 1 }] }))).code).toBe(119);
    expect((await failure(buy(user, 'nope123'))).code).toBe(101);
    const off = await server.product({ price: 1, stock: 5, active: false });
    expect((await failure(buy(user, off))).code).toBe(142);
    expect(await server.stockOf(off)).toBe(5);
  });
});
