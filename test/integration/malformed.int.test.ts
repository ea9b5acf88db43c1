import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { subscribe } from '../helpers/live-query';
import { APP_ID, productRef, type Session, startTestServer, type TestServer } from '../helpers/server';

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

// The cases that took the server down or answered 500 before values were checked against the schema.
describe('values that do not fit the schema get 142 naming the field, and the server stays up', () => {
  let customer: Session;
  beforeAll(async () => {
    customer = await server.signUp('malformed');
  });

  const graphQL = (query: string, variables: Record<string, unknown>, session: Session) =>
    fetch(`http://127.0.0.1:${server.port}/graphql`, {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': session.sessionToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));

  test('a customer\'s Order with a whole object for its product (this used to stop the server)', async () => {
    const response = await server.request('POST', '/classes/Order', { product: { __type: 'Object', className: 'X' }, quantity: 1 }, { session: customer });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 142 });
    expect(response.body.error).toMatch(/^product: /);
    expect(await server.request('GET', '/health')).toMatchObject({ status: 200 });
    expect(server.spawned.child.exitCode).toBeNull();
  });

  test.each([
    ['Product', 'active', { name: 'Nulled', price: 1, active: null }],
    ['Coupon', 'perUserLimit', { code: 'NULLED1', discount: 1, perUserLimit: null }],
    ['Coupon', 'active', { code: 'NULLED2', discount: 1, active: null }],
    ['DiscountCode', 'perUserLimit', { code: 'NULLED3', percentage: 5, validUntil: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' }, perUserLimit: null }],
  ])('an admin\'s %s with null for %s (this used to answer 500)', async (className, field, body) => {
    const response = await server.request('POST', `/classes/${className}`, body, { session: admin });
    expect(response).toMatchObject({ status: 400, body: { code: 142 } });
    expect(response.body.error).toBe(`${field}: cannot be null; send {"__op": "Delete"} to remove it`);
  });

  test.each([
    ['a Relation value', { description: { __type: 'Relation', className: 'Product' } }, 'description'],
    ['a Polygon in a text field', { description: { __type: 'Polygon', coordinates: [[0, 0], [1, 1], [2, 2]] } }, 'description'],
    ['a GeoPoint out of range', { description: { __type: 'GeoPoint', latitude: 91, longitude: 0 } }, 'description'],
    ['text for a number', { price: 'ten' }, 'price'],
    ['an object for text', { name: { first: 'x' } }, 'name'],
    ['an Increment of text', { price: { __op: 'Increment', amount: 'x' } }, 'price'],
    ['an operation inside a value', { description: { text: { __op: 'Delete' } } }, 'description'],
  ])('%s in an update', async (_what, body, field) => {
    const response = await server.request('PUT', `/classes/Product/${productId}`, body, { session: admin });
    expect(response).toMatchObject({ status: 400, body: { code: 142 } });
    expect(response.body.error).toMatch(new RegExp(`^${field}: `));
  });

  test('a batch sub-request is checked like a request of its own', async () => {
    const response = await server.request(
      'POST', '/batch',
      { requests: [{ method: 'PUT', path: `/parse/classes/Product/${productId}`, body: { price: { __type: 'Object', className: 'X' } } }] },
      { session: admin },
    );
    expect(response).toMatchObject({ status: 400, body: { code: 142 } });
    expect(response.body.error).toMatch(/^requests\.0\.body\.price: /);
  });

  test('GraphQL inputs have no holds, and a bad value in a variable is 142', async () => {
    for (const className of ['FlashSale', 'Coupon', 'DiscountCode']) {
      const query = `mutation($fields: Create${className}FieldsInput) { create${className}(input: { fields: $fields }) { clientMutationId } }`;
      const answer = await graphQL(query, { fields: { holds: [] } }, admin);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.errors)).toContain('holds');
    }
    const query = 'mutation($fields: CreateDiscountCodeFieldsInput) { createDiscountCode(input: { fields: $fields }) { clientMutationId } }';
    const answer = await graphQL(query, { fields: { code: 'GQLBAD', percentage: 5, products: [{ __type: 'Object', className: 'X' }] } }, admin);
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toMatchObject({ extensions: { code: 142 } });
    expect(answer.body.errors[0].message).toMatch(/^variables\.fields\.products\.0: /);
    expect(JSON.stringify(answer.body)).not.toContain('stacktrace');
  });

  test.each([
    ['/requestPasswordReset', { email: 'someone@example.com' }, 'sends no email'],
    ['/verificationEmailRequest', { email: 'someone@example.com' }, 'sends no email'],
    ['/upgradeToRevocableSession', {}, 'revocable already'],
  ])('%s, a feature this server does not have, is 108 (Parse answered 500)', async (path, body, says) => {
    const response = await server.request('POST', path, body, { session: customer });
    expect(response).toMatchObject({ status: 400, body: { code: 108 } });
    expect(response.body.error).toContain(says);
  });

  test('the server is still up after all of that', async () => {
    expect(await server.request('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(server.spawned.child.exitCode).toBeNull();
  });
});

describe('internal fields never reach a client and no client writes them', () => {
  test('an admin cannot write holds; REST, GraphQL and Live Query never show them', async () => {
    const product = await server.product({ name: 'Held', price: 5, stock: 3 });
    const sale = await server.sale(product, { discount: 10, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000) });
    const write = await server.request('PUT', `/classes/FlashSale/${sale}`, { holds: ['x:1'] }, { session: admin });
    expect(write).toMatchObject({ status: 400, body: { code: 142, error: 'holds: is maintained by the server' } });

    const customer = await server.signUp('held');
    const live = await subscribe(server.port, 'Inventory', { product: productRef(product) });
    const result = await server.run('checkout', { idempotencyKey: 'held-checkout-1', items: [{ productId: product, quantity: 1 }] }, { session: customer });
    expect(result.orders).toHaveLength(1);
    await live.waitFor((event) => event.object?.stock === 2);
    live.close();
    expect(live.events.length).toBeGreaterThan(0);
    for (const event of live.events) expect(Object.keys(event.object ?? {})).not.toContain('holds');

    for (const className of ['Inventory', 'FlashSale']) {
      const { results } = await server.ok('GET', `/classes/${className}?where=${encodeURIComponent(JSON.stringify({ product: productRef(product) }))}`, undefined, { session: admin });
      expect(results.length).toBe(1);
      expect(Object.keys(results[0])).not.toContain('holds');
    }
    const typeFields = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
      method: 'POST',
      headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': admin.sessionToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ inventories { edges { node { holds } } } }' }),
    }).then((response) => response.json() as Promise<any>);
    expect(typeFields.errors[0].message).toContain('Cannot query field "holds"');
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
