import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APP_ID, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
let productId: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
  productId = await server.product({ name: 'Guarded', price: 10 });
});
afterAll(() => server?.stop());

const pointer = { __type: 'Pointer', className: 'Product', objectId: 'abc' };

// Each of these reached bare Parse Server 9.10 as an HTTP 500; a client must get a Parse error.
describe('malformed bodies get a Parse error, never a 500', () => {
  test.each([
    ['an unknown __op', 'PUT', 'product', { price: { __op: 'Hack', amount: 1 } }, 'price'],
    ['an AddRelation on a non-relation field', 'PUT', 'product', { name: { __op: 'AddRelation', objects: [pointer] } }, 'name'],
    ['a Batch __op', 'PUT', 'product', { name: { __op: 'Batch', ops: [] } }, 'name'],
    ['a Date with a bad iso', 'POST', '/classes/FlashSale', { product: { ...pointer }, discount: 10, startTime: { __type: 'Date', iso: 'not-a-date' }, endTime: { __type: 'Date', iso: '2099-01-01T00:00:00Z' } }, 'startTime'],
    ['a Date without iso', 'POST', '/classes/FlashSale', { product: { ...pointer }, discount: 10, startTime: { __type: 'Date' }, endTime: { __type: 'Date', iso: '2099-01-01T00:00:00Z' } }, 'startTime'],
    ['a NUL character in a string', 'PUT', 'product', { description: 'bad\u0000byte' }, 'description'],
    ['a NUL character in a field name', 'PUT', 'product', { 'na\u0000me': 'x' }, 'body'],
    ['a function parameter Pointer without its fields', 'POST', '/functions/serverTime', { at: { __type: 'Pointer' } }, 'at'],
    ['a nested Pointer without objectId', 'POST', '/functions/restock', { productId: 'x', quantity: 1, deep: [{ p: { __type: 'Pointer', className: 'Product' } }] }, 'deep.0.p'],
    ['an unknown __type', 'PUT', 'product', { description: { __type: 'Weird' } }, 'description'],
  ])('%s', async (_what, method, target, body, field) => {
    const path = target === 'product' ? `/classes/Product/${productId}` : target;
    const response = await server.request(method, path, body, { session: admin });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(142);
    expect(response.body.error).toContain(`${field}:`);
  });

  test('a body that is not JSON is 400 with code 107', async () => {
    const response = await server.request('POST', '/functions/serverTime', '{"broken":', { headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(107);
  });

  test('a NUL character in a where query is refused', async () => {
    const where = encodeURIComponent(JSON.stringify({ name: 'a\u0000b' }));
    const response = await server.request('GET', `/classes/Product?where=${where}`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(142);
  });

  test('a bad Date inside a where query is refused', async () => {
    const where = encodeURIComponent(JSON.stringify({ createdAt: { $gt: { __type: 'Date', iso: 'yesterday-ish' } } }));
    const response = await server.request('GET', `/classes/Product?where=${where}`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(142);
  });

  test('the product is unchanged after all of that', async () => {
    const product = await server.ok('GET', `/classes/Product/${productId}`);
    expect(product).toMatchObject({ name: 'Guarded', price: 10 });
    expect(product.description).toBeUndefined();
  });
});

describe('well-formed requests still pass the guard', () => {
  test('the JS SDK style: text/plain JSON with the app id in the body', async () => {
    const response = await server.request('POST', '/functions/serverTime', JSON.stringify({ _ApplicationId: APP_ID }), {
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(response.status).toBe(200);
    expect(typeof response.body.result.now).toBe('string');
  });

  test('valid operations, dates and pointers', async () => {
    const other = await server.product({ name: 'Second', price: 3 });
    await server.ok('PUT', `/classes/Product/${other}`, { price: { __op: 'Increment', amount: 1 }, description: { __op: 'Delete' } }, { session: admin });
    expect((await server.ok('GET', `/classes/Product/${other}`)).price).toBe(4);
    const sale = await server.ok(
      'POST',
      '/classes/FlashSale',
      {
        product: { __type: 'Pointer', className: 'Product', objectId: other },
        discount: 10,
        startTime: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' },
        endTime: { __type: 'Date', iso: '2099-01-02T00:00:00.000Z' },
      },
      { session: admin },
    );
    expect(sale.objectId).toBeTruthy();
  });
});
