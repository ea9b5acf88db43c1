/**
 * The typed GraphQL operations (SPEC section 10): each resolves to the cloud function of its name,
 * so it answers as REST does, with the same codes (in `extensions.code`) and checkout's key replay.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
});
afterAll(() => server?.stop());

const QUERIES = ['serverTime', 'catalog', 'flashSales', 'getCart', 'myOffers'];
const MUTATIONS = ['addToCart', 'setCartItem', 'applyCode', 'removeCode', 'checkout', 'cancelOrder', 'restock', 'updateOrderStatus'];

const SALE = 'id salePrice startTime endTime status startsInMs endsInMs remaining';
const CART = 'items { productId name quantity unitPrice salePrice lineTotal stock } code subtotal discount total currency problems { productId code reason }';
const CHECKOUT = 'checkoutId orders { id productId quantity unitPrice amount status } subtotal discount total currency';
const ORDER = 'id productId quantity unitPrice amount status code checkoutId';

const CATALOG = `query Catalog($limit: Int, $skip: Int, $search: String) {
  catalog(limit: $limit, skip: $skip, search: $search) { serverTime products { id name description imageUrl price stock sale { ${SALE} } } }
}`;
const FLASH_SALES = `query FlashSales($status: String) {
  flashSales(status: $status) { serverTime sales { ${SALE} product { id name imageUrl } price perUserLimit } }
}`;
const CHECKOUT_MUTATION = `mutation Checkout($idempotencyKey: String!, $items: [CartItemInput!], $code: String, $expectedTotal: Float) {
  checkout(idempotencyKey: $idempotencyKey, items: $items, code: $code, expectedTotal: $expectedTotal) { ${CHECKOUT} }
}`;

/** The data of a GraphQL answer that must have no errors. */
async function data(query: string, variables: Record<string, unknown> = {}, session?: Session): Promise<any> {
  const { status, body } = await server.graphql(query, variables, { session });
  if (body.errors) throw new Error(`GraphQL errors (HTTP ${status}): ${JSON.stringify(body.errors)}`);
  expect(status).toBe(200);
  return body.data;
}

/** The Parse code (extensions.code) of a GraphQL answer that must fail, with its message. */
async function refusal(query: string, variables: Record<string, unknown> = {}, session?: Session): Promise<{ code: unknown; message: string }> {
  const { body } = await server.graphql(query, variables, { session });
  expect(body.errors, `expected an error, got ${JSON.stringify(body)}`).toHaveLength(1);
  return { code: body.errors![0].extensions?.code, message: body.errors![0].message };
}

/** Countdowns tick between two calls; everything else must be equal. */
function withoutClock(value: any): any {
  return JSON.parse(JSON.stringify(value, (key, v) => (['serverTime', 'startsInMs', 'endsInMs'].includes(key) ? undefined : v)));
}

/** GraphQL answers null for a field the JSON leaves out (a cart problem has a productId or a code). */
function withNulls(cart: any): any {
  return { ...cart, problems: cart.problems.map((p: any) => ({ productId: p.productId ?? null, code: p.code ?? null, reason: p.reason })) };
}

const checkoutVariables = (productId: string, quantity = 1, key = `gql-${randomUUID()}`) => ({ idempotencyKey: key, items: [{ productId, quantity }] });

describe('schema', () => {
  test('every shopping operation is typed: its result is an object type, not a scalar', async () => {
    const { status, body } = await server.graphql(
      `{ __schema { queryType { fields { name type { kind ofType { kind name } } } } mutationType { fields { name type { kind ofType { kind name } } } } } }`,
      {},
      { master: true },
    );
    expect(status).toBe(200);
    const kindOf = (fields: any[], name: string) => {
      const field = fields.find((f) => f.name === name);
      if (!field) return 'missing';
      return field.type.kind === 'NON_NULL' ? field.type.ofType.kind : field.type.kind;
    };
    const schema = body.data!.__schema;
    expect(Object.fromEntries(QUERIES.map((name) => [name, kindOf(schema.queryType.fields, name)]))).toEqual(Object.fromEntries(QUERIES.map((name) => [name, 'OBJECT'])));
    expect(Object.fromEntries(MUTATIONS.map((name) => [name, kindOf(schema.mutationType.fields, name)]))).toEqual(Object.fromEntries(MUTATIONS.map((name) => [name, 'OBJECT'])));
    expect(schema.queryType.fields.find((f: any) => f.name === 'flashSales').type.ofType.name).toBe('FlashSalesResult');
    // The generated FlashSale class query that used the name is off; getting one sale still works.
    expect(schema.queryType.fields.map((f: any) => f.name)).toContain('flashSale');
  });

  test('every GraphQL example in docs/API.md is valid against the running schema', async () => {
    const { body } = await server.graphql(getIntrospectionQuery(), {}, { master: true });
    const schema = buildClientSchema(body.data);
    const api = readFileSync(path.join(ROOT, 'docs', 'API.md'), 'utf8');
    const examples = [...api.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(examples.length).toBeGreaterThanOrEqual(QUERIES.length + MUTATIONS.length);
    const used = new Set(examples.flatMap((example) => [...example.matchAll(/^\s*(?:query|mutation)\b[^{]*\{\s*(\w+)/gm)].map((m) => m[1])));
    expect([...QUERIES, ...MUTATIONS].filter((name) => !used.has(name))).toEqual([]);
    for (const example of examples) expect(validate(schema, parse(example)).map((error) => error.message), example).toEqual([]);
  });

  test('Parse’s generated operations still answer beside the typed ones', async () => {
    const productId = await server.product({ name: 'Generated beside typed', price: 4 });
    const answer = await data(`query One($id: ID!) { product(id: $id) { objectId name price } serverTime { now } }`, { id: productId });
    expect(answer.product).toEqual({ objectId: productId, name: 'Generated beside typed', price: 4 });
    expect(Date.parse(answer.serverTime.now)).toBeGreaterThan(0);
  });

  test('createOrder offers no user input: a nested createAndLink would sign a user up past the sign-up limit', async () => {
    const [buyer] = await server.users(1);
    const productId = await server.product({ price: 2, stock: 10 });
    const username = `nested-sign-up-${Date.now()}`;
    const query = `mutation { createOrder(input: { fields: { product: { link: "${productId}" }, quantity: 1, user: { createAndLink: { username: "${username}", password: "nested-password" } } } }) { order { objectId } } }`;
    const answer = await server.graphql(query, {}, { session: buyer });
    expect(answer.body.errors?.length).toBeGreaterThan(0);
    expect(await server.find('_User', { username })).toEqual([]);
    expect(await server.ordersOf(productId)).toEqual([]);
  });
});

describe('queries answer as REST does', () => {
  test('serverTime is the server’s clock', async () => {
    const before = Date.now();
    const { serverTime } = await data('{ serverTime { now } }');
    expect(Date.parse(serverTime.now)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(serverTime.now)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test('catalog and flashSales carry the same products, prices, stock and sales as the functions', async () => {
    const marker = `GQL${randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const live = await server.product({ name: `${marker} live`, price: 19.99, stock: 7, description: 'On sale', imageUrl: 'https://example.com/a.png' });
    const later = await server.product({ name: `${marker} later`, price: 5.5, stock: 3 });
    await server.product({ name: `${marker} plain`, price: 1.25 });
    await server.sale(live, { discount: 25, startTime: new Date(now - 60_000), endTime: new Date(now + 3_600_000), quantityLimit: 5, perUserLimit: 2 });
    // Far enough away that its countdown is past what a GraphQL Int could carry.
    await server.sale(later, { discountPrice: 4.99, startTime: new Date(now + 30 * 86_400_000), endTime: new Date(now + 31 * 86_400_000) });

    const rest = await server.run('catalog', { search: marker, limit: 10 });
    const { catalog } = await data(CATALOG, { search: marker, limit: 10 });
    expect(rest.products).toHaveLength(3);
    expect(withoutClock(catalog)).toEqual(withoutClock(rest));
    const upcoming = catalog.products.find((p: any) => p.id === later);
    expect(upcoming.sale).toMatchObject({ status: 'upcoming', salePrice: 4.99 });
    expect(upcoming.sale.startsInMs).toBeGreaterThan(2 ** 31);

    for (const status of ['live', 'upcoming', 'all']) {
      const restSales = await server.run('flashSales', { status });
      const { flashSales } = await data(FLASH_SALES, { status });
      expect(withoutClock(flashSales)).toEqual(withoutClock(restSales));
    }
    const { flashSales } = await data(FLASH_SALES, { status: 'live' });
    expect(flashSales.sales.find((s: any) => s.product.id === live)).toMatchObject({ price: 19.99, salePrice: 14.99, remaining: 5, perUserLimit: 2, status: 'live' });
  });

  test('myOffers answers the caller’s personal offers', async () => {
    const [user] = await server.users(1, 'gql-offers');
    const rest = await server.run('myOffers', {}, { session: user });
    const { myOffers } = await data('{ myOffers { serverTime offers { code kind discount percentage products validUntil usesLeft } } }', {}, user);
    expect(withoutClock(myOffers)).toEqual(withoutClock(rest));
    expect(myOffers.offers).toEqual([]);
    expect((await refusal('{ myOffers { serverTime } }')).code).toBe(119);
  });
});

describe('cart mutations answer as REST does', () => {
  test('addToCart, setCartItem, applyCode, removeCode and getCart give the REST cart', async () => {
    const [viaGraphQL, viaREST] = await server.users(2, 'gql-cart');
    const first = await server.product({ name: 'Cart first', price: 12.5, stock: 10 });
    const second = await server.product({ name: 'Cart second', price: 3.33, stock: 1 });
    await server.ok('POST', '/classes/Coupon', { code: 'GQLTWO', discount: 2 }, { master: true });

    const steps: Array<[string, string, Record<string, unknown>]> = [
      ['addToCart', 'mutation Add($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { CART } }', { productId: first, quantity: 2 }],
      ['addToCart', 'mutation Add($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { CART } }', { productId: second, quantity: 3 }],
      ['setCartItem', 'mutation Set($productId: ID!, $quantity: Int!) { setCartItem(productId: $productId, quantity: $quantity) { CART } }', { productId: first, quantity: 4 }],
      ['applyCode', 'mutation Apply($code: String!) { applyCode(code: $code) { CART } }', { code: 'gqltwo' }],
      ['getCart', '{ getCart { CART } }', {}],
      ['removeCode', 'mutation { removeCode { CART } }', {}],
      ['setCartItem', 'mutation Set($productId: ID!, $quantity: Int!) { setCartItem(productId: $productId, quantity: $quantity) { CART } }', { productId: second, quantity: 0 }],
    ];
    for (const [name, query, variables] of steps) {
      const answer = await data(query.replace('CART', CART), variables, viaGraphQL);
      const rest = await server.run(name, variables, { session: viaREST });
      expect(answer[name], name).toEqual(withNulls(rest));
    }
    const { getCart } = await data(`{ getCart { ${CART} } }`, {}, viaGraphQL);
    expect(getCart).toMatchObject({ items: [{ productId: first, quantity: 4, unitPrice: 12.5, lineTotal: 50 }], code: null, total: 50, currency: 'USD', problems: [] });
  });

  test('a cart with a line short of stock lists the problem, typed', async () => {
    const [user] = await server.users(1, 'gql-short');
    const productId = await server.product({ name: 'Short', price: 2, stock: 1 });
    const { addToCart } = await data(`mutation { addToCart(productId: "${productId}", quantity: 2) { ${CART} } }`, {}, user);
    expect(addToCart.problems).toEqual([{ productId, code: null, reason: 'out_of_stock' }]);
    expect(addToCart.total).toBe(0);
  });
});

describe('checkout', () => {
  test('answers as REST does and takes the stock', async () => {
    const [user] = await server.users(1, 'gql-checkout');
    const productId = await server.product({ name: 'Checked out', price: 9.99, stock: 5 });
    const { checkout } = await data(CHECKOUT_MUTATION, { ...checkoutVariables(productId, 2), expectedTotal: 19.98 }, user);
    expect(checkout).toMatchObject({ subtotal: 19.98, discount: 0, total: 19.98, currency: 'USD' });
    expect(checkout.orders).toEqual([{ id: expect.any(String), productId, quantity: 2, unitPrice: 9.99, amount: 19.98, status: 'paid' }]);
    expect(await server.stockOf(productId)).toBe(3);
  });

  test('the cart checkout buys the cart, as REST does', async () => {
    const [user] = await server.users(1, 'gql-cart-checkout');
    const productId = await server.product({ name: 'From the cart', price: 4, stock: 5 });
    await data(`mutation { addToCart(productId: "${productId}", quantity: 3) { total } }`, {}, user);
    const { checkout } = await data(CHECKOUT_MUTATION, { idempotencyKey: `gql-${randomUUID()}` }, user);
    expect(checkout.total).toBe(12);
    expect((await data('{ getCart { items { productId } } }', {}, user)).getCart.items).toEqual([]);
    expect(await server.stockOf(productId)).toBe(2);
  });

  test('retried with one key, one after another and 5 at once: one checkoutId, one set of orders, stock taken once', async () => {
    const [user] = await server.users(1, 'gql-replay');
    const productId = await server.product({ name: 'Replayed', price: 7, stock: 20 });
    const sequential = checkoutVariables(productId, 2);
    const first = (await data(CHECKOUT_MUTATION, sequential, user)).checkout;
    const again = (await data(CHECKOUT_MUTATION, sequential, user)).checkout;
    expect(again).toEqual(first);

    const concurrent = checkoutVariables(productId, 3);
    const answers = await Promise.all(Array.from({ length: 5 }, () => data(CHECKOUT_MUTATION, concurrent, user)));
    const results = answers.map((answer) => answer.checkout);
    expect(new Set(results.map((r) => r.checkoutId)).size).toBe(1);
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0].checkoutId).not.toBe(first.checkoutId);

    const orders = await server.ordersOf(productId);
    expect(orders.map((o) => o.checkoutId).sort()).toEqual([first.checkoutId, results[0].checkoutId].sort());
    expect(await server.stockOf(productId)).toBe(15);
  });

  test('anonymous is 119, a bad parameter 142 naming it, too many units 4001, all in extensions.code', async () => {
    const [user] = await server.users(1, 'gql-refused');
    const productId = await server.product({ name: 'Refused', price: 3, stock: 2 });
    expect(await refusal(CHECKOUT_MUTATION, checkoutVariables(productId))).toMatchObject({ code: 119 });
    const badKey = await refusal(CHECKOUT_MUTATION, checkoutVariables(productId, 1, 'short'), user);
    expect(badKey.code).toBe(142);
    expect(badKey.message).toMatch(/^idempotencyKey: /);
    const badQuantity = await refusal(CHECKOUT_MUTATION, checkoutVariables(productId, 100), user);
    expect(badQuantity).toMatchObject({ code: 142, message: expect.stringMatching(/^items\.0\.quantity: /) });
    const badTotal = await refusal(CHECKOUT_MUTATION, { ...checkoutVariables(productId), expectedTotal: 1.234 }, user);
    expect(badTotal).toMatchObject({ code: 142, message: expect.stringMatching(/^expectedTotal: /) });
    // null for an optional argument is a value the function refuses, as over REST
    expect(await refusal(CHECKOUT_MUTATION, { ...checkoutVariables(productId), code: null }, user)).toMatchObject({ code: 142, message: expect.stringMatching(/^code: /) });
    const short = await refusal(CHECKOUT_MUTATION, checkoutVariables(productId, 3), user);
    expect(short.code).toBe(4001);
    const changed = await refusal(CHECKOUT_MUTATION, { ...checkoutVariables(productId), expectedTotal: 2.5 }, user);
    expect(changed.code).toBe(4003);
    expect(await server.stockOf(productId)).toBe(2);
    expect(await server.ordersOf(productId)).toEqual([]);
  });

  test('other refusals keep their codes: an unknown code 4010, an unknown product 101', async () => {
    const [user] = await server.users(1, 'gql-codes');
    const productId = await server.product({ name: 'Coded', price: 3, stock: 2 });
    expect((await refusal('mutation { applyCode(code: "NOSUCHCODE") { total } }', {}, user)).code).toBe(4010);
    expect((await refusal('mutation { addToCart(productId: "nosuchprod", quantity: 1) { total } }', {}, user)).code).toBe(101);
    expect((await refusal(CHECKOUT_MUTATION, { ...checkoutVariables(productId), code: 'NOSUCHCODE' }, user)).code).toBe(4010);
  });
});

describe('admin operations and orders', () => {
  const RESTOCK = 'mutation Restock($productId: ID!, $quantity: Int!) { restock(productId: $productId, quantity: $quantity) { stock } }';
  const CANCEL = `mutation Cancel($orderId: ID!) { cancelOrder(orderId: $orderId) { ${ORDER} } }`;
  const UPDATE = `mutation Update($orderId: ID!, $status: String!) { updateOrderStatus(orderId: $orderId, status: $status) { ${ORDER} } }`;

  test('a customer calling restock gets 119; an admin’s restock adds the units', async () => {
    const [customer] = await server.users(1, 'gql-restock');
    const productId = await server.product({ name: 'Restocked', price: 1, stock: 2 });
    expect((await refusal(RESTOCK, { productId, quantity: 5 }, customer)).code).toBe(119);
    expect((await refusal(RESTOCK, { productId, quantity: 5 })).code).toBe(119);
    expect((await refusal(RESTOCK, { productId, quantity: 0 }, admin)).code).toBe(142);
    expect((await data(RESTOCK, { productId, quantity: 5 }, admin)).restock).toEqual({ stock: 7 });
    expect(await server.stockOf(productId)).toBe(7);
  });

  test('updateOrderStatus: admins move an order along, customers get 119, a wrong move 4030', async () => {
    const [customer] = await server.users(1, 'gql-status');
    const productId = await server.product({ name: 'Shipped', price: 6, stock: 3 });
    const { checkout } = await data(CHECKOUT_MUTATION, checkoutVariables(productId), customer);
    const orderId = checkout.orders[0].id;
    expect((await refusal(UPDATE, { orderId, status: 'shipped' }, customer)).code).toBe(119);
    expect((await refusal(UPDATE, { orderId, status: 'lost' }, admin)).code).toBe(142);
    const { updateOrderStatus } = await data(UPDATE, { orderId, status: 'shipped' }, admin);
    expect(updateOrderStatus).toEqual({ id: orderId, productId, quantity: 1, unitPrice: 6, amount: 6, status: 'shipped', code: null, checkoutId: checkout.checkoutId });
    expect((await refusal(UPDATE, { orderId, status: 'paid' }, admin)).code).toBe(4030);
    expect((await refusal(CANCEL, { orderId }, customer)).code).toBe(4030);
  });

  test('cancelOrder: the owner cancels, another customer gets 119, and the stock comes back', async () => {
    const [owner, other] = await server.users(2, 'gql-cancel');
    const productId = await server.product({ name: 'Cancelled', price: 8, stock: 4 });
    const { checkout } = await data(CHECKOUT_MUTATION, checkoutVariables(productId, 2), owner);
    const orderId = checkout.orders[0].id;
    expect(await server.stockOf(productId)).toBe(2);
    expect((await refusal(CANCEL, { orderId }, other)).code).toBe(119);
    expect((await refusal(CANCEL, { orderId })).code).toBe(119);
    const { cancelOrder } = await data(CANCEL, { orderId }, owner);
    expect(cancelOrder).toMatchObject({ id: orderId, status: 'cancelled', quantity: 2, amount: 16 });
    expect(await server.stockOf(productId)).toBe(4);

    const second = (await data(CHECKOUT_MUTATION, checkoutVariables(productId), owner)).checkout.orders[0].id;
    expect((await data(CANCEL, { orderId: second }, admin)).cancelOrder.status).toBe('cancelled');
  });
});

test('a value of the wrong GraphQL type is refused by GraphQL with HTTP 400 before any function runs', async () => {
  const [user] = await server.users(1, 'gql-types');
  const productId = await server.product({ name: 'Typed', price: 1, stock: 1 });
  const { status, body } = await server.graphql('mutation Add($q: Int!) { addToCart(productId: "' + productId + '", quantity: $q) { total } }', { q: 'two' }, { session: user });
  expect(status).toBe(400);
  expect(body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  expect((await server.run('getCart', {}, { session: user })).items).toEqual([]);
});

describe('the guard', () => {
  test('still refuses Parse-encoded values in the typed operations’ variables with 142', async () => {
    const [user] = await server.users(1, 'gql-guard');
    const { status, body } = await server.graphql(CHECKOUT_MUTATION, { idempotencyKey: 'guarded-key-1', items: [{ productId: { __op: 'Delete' }, quantity: 1 }] }, { session: user });
    expect(status).toBe(400);
    expect(body.errors![0].extensions.code).toBe(142);
  });
});
