import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);

beforeAll(async () => {
  server = await startTestServer({ CURRENCY: 'EUR' });
  admin = await server.admin();
});
afterAll(() => server?.stop());

describe('cart', () => {
  test('needs a logged-in user', async () => {
    expect((await failure(server.run('getCart'))).code).toBe(119);
    expect((await failure(server.run('addToCart', { productId: 'x', quantity: 1 }))).code).toBe(119);
  });

  test('a new user has an empty cart', async () => {
    const user = await server.signUp();
    expect(await server.run('getCart', {}, { session: user })).toEqual({
      items: [], code: null, subtotal: 0, discount: 0, total: 0, currency: 'EUR', problems: [],
    });
  });

  test('adds, merges by product, sets and removes lines, and prices them', async () => {
    const user = await server.signUp();
    const a = await server.product({ name: 'Cable', price: 9.99, stock: 50 });
    const b = await server.product({ name: 'Case', price: 19.5, stock: 50 });
    await server.run('addToCart', { productId: a, quantity: 2 }, { session: user });
    await server.run('addToCart', { productId: b, quantity: 1 }, { session: user });
    const merged = await server.run('addToCart', { productId: a, quantity: 3 }, { session: user });
    expect(merged.items).toEqual([
      { productId: a, name: 'Cable', quantity: 5, unitPrice: 9.99, salePrice: null, lineTotal: 49.95, stock: 50 },
      { productId: b, name: 'Case', quantity: 1, unitPrice: 19.5, salePrice: null, lineTotal: 19.5, stock: 50 },
    ]);
    expect(merged).toMatchObject({ subtotal: 69.45, discount: 0, total: 69.45, problems: [] });

    const set = await server.run('setCartItem', { productId: a, quantity: 1 }, { session: user });
    expect(set.items[0]).toMatchObject({ productId: a, quantity: 1, lineTotal: 9.99 });
    const removed = await server.run('setCartItem', { productId: a, quantity: 0 }, { session: user });
    expect(removed.items.map((i: any) => i.productId)).toEqual([b]);
    expect(removed.total).toBe(19.5);
  });

  test('a live sale prices the line at the sale price', async () => {
    const user = await server.signUp();
    const productId = await server.product({ name: 'Sale phone', price: 200, stock: 10 });
    await server.sale(productId, { discount: 25, startTime: at(-1), endTime: at(30) });
    const cart = await server.run('addToCart', { productId, quantity: 2 }, { session: user });
    expect(cart.items[0]).toMatchObject({ unitPrice: 200, salePrice: 150, lineTotal: 300 });
    expect(cart.total).toBe(300);
  });

  test('a line the sale quota cannot cover is at the list price', async () => {
    const user = await server.signUp();
    const productId = await server.product({ name: 'Scarce', price: 100, stock: 10 });
    await server.sale(productId, { discount: 50, startTime: at(-1), endTime: at(30), quantityLimit: 2 });
    const cart = await server.run('addToCart', { productId, quantity: 3 }, { session: user });
    expect(cart.items[0]).toMatchObject({ unitPrice: 100, salePrice: null, lineTotal: 300 });
  });

  test('shows problems instead of failing: inactive, deleted and short of stock', async () => {
    const user = await server.signUp();
    const inactive = await server.product({ name: 'Soon inactive', price: 1, stock: 5 });
    const deleted = await server.product({ name: 'Soon deleted', price: 2, stock: 5 });
    const scarce = await server.product({ name: 'Only two', price: 3, stock: 2 });
    const fine = await server.product({ name: 'Fine', price: 4, stock: 5 });
    for (const productId of [inactive, deleted, scarce, fine]) {
      await server.run('addToCart', { productId, quantity: 3 }, { session: user });
    }
    await server.ok('PUT', `/classes/Product/${inactive}`, { active: false }, { session: admin });
    await server.ok('DELETE', `/classes/Product/${deleted}`, undefined, { session: admin });
    const cart = await server.run('getCart', {}, { session: user });
    expect(cart.problems).toEqual([
      { productId: inactive, reason: 'inactive' },
      { productId: deleted, reason: 'deleted' },
      { productId: scarce, reason: 'out_of_stock' },
    ]);
    expect(cart.items.map((i: any) => i.productId)).toEqual([inactive, scarce, fine]);
    expect(cart.items.find((i: any) => i.productId === scarce).stock).toBe(2);
    expect(cart.subtotal).toBe(12);
  });

  test.each([
    ['addToCart', { productId: 'abc', quantity: 0 }, 'quantity'],
    ['addToCart', { productId: 'abc', quantity: 100 }, 'quantity'],
    ['addToCart', { productId: 'abc', quantity: 1.5 }, 'quantity'],
    ['addToCart', { productId: 'abc' }, 'quantity'],
    ['addToCart', { productId: 'a/b', quantity: 1 }, 'productId'],
    ['addToCart', { quantity: 1 }, 'productId'],
    ['setCartItem', { productId: 'abc', quantity: -1 }, 'quantity'],
    ['setCartItem', { productId: 'abc', quantity: 1, price: 1 }, 'price'],
    ['getCart', { user: 'someone' }, 'user'],
  ])('%s refuses %j with 142 naming %s', async (fn, params, field) => {
    const user = await server.signUp();
    const error = await failure(server.run(fn, params, { session: user }));
    expect(error.code).toBe(142);
    expect(error.message).toContain(`142: ${field}:`);
  });

  test('refuses an unknown product (101), an inactive one (142), and more than 99 of one product', async () => {
    const user = await server.signUp();
    expect((await failure(server.run('addToCart', { productId: 'nope123', quantity: 1 }, { session: user }))).code).toBe(101);
    const off = await server.product({ price: 1, active: false });
    expect((await failure(server.run('addToCart', { productId: off, quantity: 1 }, { session: user }))).code).toBe(142);
    const productId = await server.product({ price: 1, stock: 200 });
    await server.run('addToCart', { productId, quantity: 60 }, { session: user });
    const over = await failure(server.run('addToCart', { productId, quantity: 40 }, { session: user }));
    expect(over.code).toBe(142);
    expect(over.message).toContain('at most 99');
    expect((await server.run('getCart', {}, { session: user })).items[0].quantity).toBe(60);
  });

  test('10 concurrent adds of one unit give quantity 10 (no lost update)', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 1, stock: 100 });
    await Promise.all(Array.from({ length: 10 }, () => server.run('addToCart', { productId, quantity: 1 }, { session: user })));
    expect((await server.run('getCart', {}, { session: user })).items[0].quantity).toBe(10);
  });

  test('a cart is its owner’s alone: others cannot read it and nobody writes it over REST', async () => {
    const [owner, other] = await server.users(2);
    const productId = await server.product({ price: 1, stock: 5 });
    await server.run('addToCart', { productId, quantity: 1 }, { session: owner });
    const mine = await server.ok('GET', '/classes/Cart', undefined, { session: owner });
    expect(mine.results).toHaveLength(1);
    expect((await server.ok('GET', '/classes/Cart', undefined, { session: other })).results).toEqual([]);
    expect((await server.request('GET', `/classes/Cart/${mine.results[0].objectId}`, undefined, { session: other })).status).toBe(404);
    const write = await server.request('PUT', `/classes/Cart/${mine.results[0].objectId}`, { items: [] }, { session: owner });
    expect(write.status).toBe(400);
    expect(write.body.code).toBe(119);
  });
});
