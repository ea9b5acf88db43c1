// SPEC 9: Inventory events carry the row's version and never go back in time; a failed checkout
// announces nothing. Order events: test/integration/orders.int.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type LiveEvent, subscribe } from '../helpers/live-query';
import { failure, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeAll(async () => {
  // The charge step fails after the orders were inserted: the checkout must undo and announce nothing.
  server = await startTestServer({ TEST_FAIL_STEP: 'record charges' });
});
afterAll(() => server?.stop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inventoryFeed(productId: string) {
  const [row] = await server.inventoryRows(productId);
  return { row, feed: await subscribe(server.port, 'Inventory', { objectId: row.objectId }) };
}

const versions = (events: LiveEvent[]) => events.map((e) => e.object?.version);

describe('Inventory events', () => {
  test('a new row starts at version 0; every change adds one, and nobody can set it', async () => {
    const productId = await server.product({ price: 1, stock: 0 });
    const [row] = await server.inventoryRows(productId);
    expect(row.version).toBe(0);
    const admin = await server.admin();
    const refused = await failure(server.ok('PUT', `/classes/Inventory/${row.objectId}`, { version: 99 }, { session: admin }));
    expect(refused.code).toBe(142);
    expect(refused.message).toContain('version');
    await server.run('restock', { productId, quantity: 3 }, { session: admin });
    expect((await server.inventoryRows(productId))[0]).toMatchObject({ stock: 3, version: 1 });
  });

  test('20 restocks of 1, one after another, give 20 updates, each exactly 1 unit and 1 version more', async () => {
    const admin = await server.admin();
    const productId = await server.product({ price: 1, stock: 5 });
    const { row, feed } = await inventoryFeed(productId);
    try {
      for (let i = 0; i < 20; i++) await server.run('restock', { productId, quantity: 1 }, { session: admin });
      await feed.waitFor((e) => e.object?.stock === 25);
      await pause(200);
      expect(feed.events.map((e) => e.op)).toEqual(Array(20).fill('update'));
      expect(feed.events.map((e) => e.object?.stock)).toEqual(Array.from({ length: 20 }, (_, i) => 6 + i));
      expect(versions(feed.events)).toEqual(Array.from({ length: 20 }, (_, i) => row.version + 1 + i));
    } finally {
      feed.close();
    }
  });

  test('20 concurrent restocks never go back in time, and the last event carries the current stock', async () => {
    const admin = await server.admin();
    const productId = await server.product({ price: 1, stock: 10 });
    const { row, feed } = await inventoryFeed(productId);
    try {
      await Promise.all(Array.from({ length: 20 }, () => server.run('restock', { productId, quantity: 1 }, { session: admin })));
      await feed.waitFor((e) => e.object?.version === row.version + 20);
      await pause(300);
      const seen = versions(feed.events) as number[];
      expect(seen.every((version, i) => i === 0 || version > seen[i - 1])).toBe(true);
      expect(feed.events.at(-1)?.object).toMatchObject({ stock: 30, version: row.version + 20 });
      // Each event's stock is the stock of its version: 10 plus one per change.
      expect(feed.events.every((e) => e.object?.stock === 10 + e.object?.version - row.version)).toBe(true);
      expect(await server.stockOf(productId)).toBe(30);
    } finally {
      feed.close();
    }
  });
});

describe('a checkout that fails after creating its orders', () => {
  test('announces no order and no stock change, and puts everything back', async () => {
    const [buyer] = await server.users(1);
    const admin = await server.admin();
    const productId = await server.product({ price: 5, stock: 4 });
    const { feed: stock } = await inventoryFeed(productId);
    const mine = await subscribe(server.port, 'Order', {}, buyer.sessionToken);
    const everyone = await subscribe(server.port, 'Order', {}, admin.sessionToken);
    try {
      const refused = await server.request('POST', '/functions/checkout', { idempotencyKey: 'fails-after-orders', items: [{ productId, quantity: 2 }] }, { session: buyer });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await pause(500);
      expect(mine.events).toEqual([]);
      expect(everyone.events).toEqual([]);
      expect(stock.events).toEqual([]);
      expect(await server.stockOf(productId)).toBe(4);
      expect(await server.ordersOf(productId)).toEqual([]);
    } finally {
      stock.close();
      mine.close();
      everyone.close();
    }
  });
});
