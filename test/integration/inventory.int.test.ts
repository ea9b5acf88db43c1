import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { subscribe } from '../helpers/live-query';
import { failure, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
});
afterAll(() => server?.stop());

describe('Product validation', () => {
  test.each([
    ['price', 19.999, 'price: must have at most two decimals'],
    ['price', -1, 'price: must not be negative'],
    ['price', 'abc', 'price: must be a number'],
    ['price', 2_000_000, 'price: must not be above 1,000,000'],
    ['price', 0, 'price: must be greater than 0'],
    ['name', '', 'name: must not be empty'],
    ['name', '   ', 'name: must not be empty'],
    ['name', 'x'.repeat(201), 'name: must be at most 200 characters'],
    ['imageUrl', 'javascript:x', 'imageUrl: must be an http or https URL'],
    ['imageUrl', 'data:image/png;base64,AAAA', 'imageUrl: must be an http or https URL'],
    ['active', 'yes', 'active: must be true or false'],
  ])('refuses %s = %j with 142 naming the field', async (field, value, message) => {
    const error = await failure(server.ok('POST', '/classes/Product', { name: 'Phone', price: 10, [field]: value }, { session: admin }));
    expect(error.code).toBe(142);
    expect(error.message).toBe(`142: ${message}`);
  });

  test('refuses a product without a name or price', async () => {
    expect((await failure(server.ok('POST', '/classes/Product', { price: 10 }, { session: admin }))).message).toBe('142: name: is required');
    expect((await failure(server.ok('POST', '/classes/Product', { name: 'x' }, { session: admin }))).message).toBe('142: price: is required');
  });

  test('checks an update of the price too, also for the master key', async () => {
    const productId = await server.product({ price: 5 });
    const byAdmin = await failure(server.ok('PUT', `/classes/Product/${productId}`, { price: 1.234 }, { session: admin }));
    expect(byAdmin.code).toBe(142);
    const byMaster = await failure(server.ok('PUT', `/classes/Product/${productId}`, { price: -3 }, { master: true }));
    expect(byMaster.code).toBe(142);
    await server.ok('PUT', `/classes/Product/${productId}`, { price: 6.5, imageUrl: 'https://img.example.com/a.png' }, { session: admin });
    const stored = await server.ok('GET', `/classes/Product/${productId}`);
    expect(stored).toMatchObject({ price: 6.5, imageUrl: 'https://img.example.com/a.png', active: true });
  });
});

describe('Inventory', () => {
  test('a new product gets exactly one Inventory row with stock 0', async () => {
    const productId = await server.product();
    const rows = await server.inventoryRows(productId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stock: 0, received: 0 });
  });

  test('a second Inventory row for a product is refused, also when created concurrently', async () => {
    const productId = await server.product();
    const pointer = { __type: 'Pointer', className: 'Product', objectId: productId };
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => server.request('POST', '/classes/Inventory', { product: pointer, stock: 5 }, { master: true })),
    );
    expect(attempts.every((a) => a.status === 400 && a.body.code === 137)).toBe(true);
    expect(await server.inventoryRows(productId)).toHaveLength(1);
  });

  test('concurrently created products each get one row', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => server.product()));
    for (const id of ids) expect(await server.inventoryRows(id)).toHaveLength(1);
  });

  test('50 concurrent restocks of 1 give stock 50 (a cloud function running Parse.Query works)', async () => {
    const productId = await server.product();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => server.run('restock', { productId, quantity: 1 }, { session: admin })),
    );
    expect(results.map((r) => r.stock).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await server.stockOf(productId)).toBe(50);
    expect((await server.inventoryRows(productId))[0].received).toBe(50);
  });

  test('an absolute stock overwrite is refused with 142 pointing to restock, for admins and the master key', async () => {
    const productId = await server.product({ stock: 7 });
    const [row] = await server.inventoryRows(productId);
    for (const options of [{ session: admin }, { master: true }]) {
      const error = await failure(server.ok('PUT', `/classes/Inventory/${row.objectId}`, { stock: 1000 }, options));
      expect(error.code).toBe(142);
      expect(error.message).toContain('restock');
    }
    const decrement = await failure(
      server.ok('PUT', `/classes/Inventory/${row.objectId}`, { stock: { __op: 'Increment', amount: -100 } }, { session: admin }),
    );
    expect(decrement.code).toBe(142);
    expect(await server.stockOf(productId)).toBe(7);
  });

  test('customers can neither create nor edit Inventory rows', async () => {
    const customer = await server.signUp();
    const productId = await server.product({ stock: 3 });
    const [row] = await server.inventoryRows(productId);
    const pointer = { __type: 'Pointer', className: 'Product', objectId: productId };
    expect((await failure(server.ok('POST', '/classes/Inventory', { product: pointer, stock: 1 }, { session: customer }))).code).toBe(119);
    const edit = await server.request('PUT', `/classes/Inventory/${row.objectId}`, { stock: 99 }, { session: customer });
    expect(edit.status).toBeGreaterThanOrEqual(400);
    expect(edit.status).toBeLessThan(500);
    expect(await server.stockOf(productId)).toBe(3);
  });

  test.each([
    [{ quantity: 0 }, 'quantity'],
    [{ quantity: -5 }, 'quantity'],
    [{ quantity: 1.5 }, 'quantity'],
    [{ quantity: 1_000_001 }, 'quantity'],
    [{ quantity: '3' }, 'quantity'],
    [{}, 'quantity'],
    [{ quantity: 1, extra: true }, 'extra'],
  ])('restock refuses %j with 142 naming %s', async (params, field) => {
    const productId = await server.product();
    const error = await failure(server.run('restock', { productId, ...params }, { session: admin }));
    expect(error.code).toBe(142);
    expect(error.message).toContain(`142: ${field}:`);
    expect(await server.stockOf(productId)).toBe(0);
  });

  test('restock of an unknown product is 101; by a customer or anonymously 119', async () => {
    expect((await failure(server.run('restock', { productId: 'nope123', quantity: 1 }, { session: admin }))).code).toBe(101);
    const productId = await server.product();
    const customer = await server.signUp();
    expect((await failure(server.run('restock', { productId, quantity: 1 }, { session: customer }))).code).toBe(119);
    expect((await failure(server.run('restock', { productId, quantity: 1 }))).code).toBe(119);
    expect(await server.stockOf(productId)).toBe(0);
  });

  test('restock reaches Live Query subscribers of the Inventory row with the new stock', async () => {
    const productId = await server.product({ stock: 2 });
    const [row] = await server.inventoryRows(productId);
    const live = await subscribe(server.port, 'Inventory', { objectId: row.objectId });
    try {
      await server.run('restock', { productId, quantity: 5 }, { session: admin });
      const event = await live.waitFor((e) => e.op === 'update');
      expect(event.object).toMatchObject({ objectId: row.objectId, stock: 7 });
      expect(event.original).toMatchObject({ stock: 2 });
    } finally {
      live.close();
    }
  });
});

describe('serverTime', () => {
  test('answers the server clock as an ISO string', async () => {
    const before = Date.now();
    const { now } = await server.run('serverTime');
    expect(typeof now).toBe('string');
    expect(Date.parse(now)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(now)).toBeLessThanOrEqual(Date.now() + 1000);
  });
});
