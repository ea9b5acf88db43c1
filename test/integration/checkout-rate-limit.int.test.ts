import { afterAll, beforeAll, expect, test } from 'vitest';
import { APP_ID, productRef, type Session, startTestServer, type TestServer } from '../helpers/server';

const PER_MINUTE = 3;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_CHECKOUT_PER_MINUTE: String(PER_MINUTE), RATE_LIMIT_APPLY_CODE_PER_MINUTE: String(PER_MINUTE) });
});
afterAll(() => server?.stop());

/** One GraphQL request; `body` is sent as it is (an array is a batch of operations). */
async function graphQL(session: Session, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: 'POST',
    headers: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Session-Token': session.sessionToken, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const CALL_CLOUD_CODE = 'mutation Run($fn: CloudCodeFunction!, $params: Object) { callCloudCode(input: { functionName: $fn, params: $params }) { result } }';

function checkoutParams(productId: string, key: string) {
  return { idempotencyKey: `rate-limit-${key}`, items: [{ productId, quantity: 1 }] };
}

function restCheckout(session: Session, productId: string, key: string) {
  return server.request('POST', '/functions/checkout', checkoutParams(productId, key), { session });
}

function graphQLCheckout(session: Session, productId: string, key: string) {
  return graphQL(session, { query: CALL_CLOUD_CODE, variables: { fn: 'checkout', params: checkoutParams(productId, key) } });
}

test(`checkout is limited per user: the ${PER_MINUTE + 1}th in a minute answers 429; another user is not affected`, async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [a, b] = await server.users(2);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    const body = { idempotencyKey: `limit-key-${i}`, items: [{ productId, quantity: 1 }] };
    statuses.push((await server.request('POST', '/functions/checkout', body, { session: a })).status);
  }
  expect(statuses).toEqual([200, 200, 200, 429]);
  const other = await server.request('POST', '/functions/checkout', { idempotencyKey: 'limit-key-b', items: [{ productId, quantity: 1 }] }, { session: b });
  expect(other.status).toBe(200);
  expect(await server.stockOf(productId)).toBe(100 - PER_MINUTE - 1);
});

test('POST /classes/Order has the same per-user limit', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [user] = await server.users(1);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    statuses.push((await server.request('POST', '/classes/Order', { product: productRef(productId), quantity: 1 }, { session: user })).status);
  }
  expect(statuses).toEqual([201, 201, 201, 429]);
});

test('applyCode is limited per user, so codes cannot be guessed by brute force', async () => {
  const [guesser, other] = await server.users(2);
  const statuses: number[] = [];
  for (let i = 0; i < PER_MINUTE + 2; i++) {
    statuses.push((await server.request('POST', '/functions/applyCode', { code: `GUESS-${i}` }, { session: guesser })).status);
  }
  expect(statuses).toEqual([400, 400, 400, 429, 429]);
  expect((await server.request('POST', '/functions/applyCode', { code: 'GUESS-X' }, { session: other })).body.code).toBe(4010);
});

test('REST checkouts, POST /classes/Order and batched orders share one counter per user', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [user] = await server.users(1);
  expect((await restCheckout(user, productId, 'shared-1')).status).toBe(200);
  expect((await server.request('POST', '/classes/Order', { product: productRef(productId), quantity: 1 }, { session: user })).status).toBe(201);
  const order = { method: 'POST', path: '/parse/classes/Order', body: { product: productRef(productId), quantity: 1 } };
  const batch = await server.request('POST', '/batch', { requests: [order] }, { session: user });
  expect(batch.status).toBe(200);
  const refused = await server.request('POST', '/batch', { requests: [order] }, { session: user });
  expect([refused.status, refused.body]).toEqual([429, { code: 100, error: 'Too many checkouts; wait a minute and try again.' }]);
  expect((await restCheckout(user, productId, 'shared-2')).status).toBe(429);
});

test('a batch of checkouts beyond the limit answers 429 like the function does', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [user] = await server.users(1);
  const requests = Array.from({ length: PER_MINUTE + 1 }, (_, i) => ({ method: 'POST', path: '/parse/functions/checkout', body: checkoutParams(productId, `batch-${i}`) }));
  const refused = await server.request('POST', '/batch', { requests }, { session: user });
  expect([refused.status, refused.body]).toEqual([429, { code: 100, error: 'Too many checkouts; wait a minute and try again.' }]);
  expect(await server.stockOf(productId)).toBe(100);
});

test(`REST and GraphQL checkouts count together: ${PER_MINUTE - 1} REST + 1 GraphQL, then both answer 429`, async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [user, other] = await server.users(2);
  for (let i = 0; i < PER_MINUTE - 1; i++) expect((await restCheckout(user, productId, `mixed-${i}`)).status).toBe(200);
  const last = await graphQLCheckout(user, productId, 'mixed-graphql');
  expect(last.status).toBe(200);
  expect(last.body.data.callCloudCode.result.orders).toHaveLength(1);

  const viaGraphQL = await graphQLCheckout(user, productId, 'mixed-over-graphql');
  expect(viaGraphQL).toEqual({ status: 429, body: { errors: [{ message: 'Too many checkouts; wait a minute and try again.', extensions: { code: 429 } }] } });
  expect((await restCheckout(user, productId, 'mixed-over-rest')).status).toBe(429);
  expect(await server.stockOf(productId)).toBe(100 - PER_MINUTE);
  expect((await graphQLCheckout(other, productId, 'mixed-other')).status).toBe(200);
});

test('every checkout in one GraphQL request counts: aliases, fragments, batched operations, createOrder', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [aliases, batched, generated] = await server.users(3);
  const twice = `mutation Two($a: Object, $b: Object) {
    a: callCloudCode(input: { functionName: checkout, params: $a }) { result }
    ...More
  }
  fragment More on Mutation { b: callCloudCode(input: { functionName: checkout, params: $b }) { result } }`;
  const both = await graphQL(aliases, { query: twice, variables: { a: checkoutParams(productId, 'alias-a'), b: checkoutParams(productId, 'alias-b') } });
  expect(both.body.errors).toBeUndefined();
  expect([both.body.data.a.result.orders.length, both.body.data.b.result.orders.length]).toEqual([1, 1]);
  expect((await restCheckout(aliases, productId, 'alias-rest')).status).toBe(200);
  expect((await restCheckout(aliases, productId, 'alias-over')).status).toBe(429);

  const operation = (key: string) => ({ query: CALL_CLOUD_CODE, variables: { fn: 'checkout', params: checkoutParams(productId, key) } });
  const overBatch = await graphQL(batched, [operation('b-1'), operation('b-2'), operation('b-3'), operation('b-4')]);
  expect(overBatch.status).toBe(429);

  const createOrder = `mutation { createOrder(input: { fields: { product: { link: "${productId}" }, quantity: 1 } }) { order { id } } }`;
  const statuses = [];
  for (let i = 0; i < PER_MINUTE + 1; i++) statuses.push((await graphQL(generated, { query: createOrder })).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
});

test('applyCode through GraphQL and REST shares one counter per user', async () => {
  const [guesser] = await server.users(1);
  const guess = (code: string) => graphQL(guesser, { query: CALL_CLOUD_CODE, variables: { fn: 'applyCode', params: { code } } });
  expect((await guess('GUESS-G1')).body.errors[0].extensions.code).toBe(4010);
  expect((await server.request('POST', '/functions/applyCode', { code: 'GUESS-R1' }, { session: guesser })).body.code).toBe(4010);
  expect((await guess('GUESS-G2')).body.errors[0].extensions.code).toBe(4010);
  expect((await guess('GUESS-G3')).status).toBe(429);
  expect((await server.request('POST', '/functions/applyCode', { code: 'GUESS-R2' }, { session: guesser })).status).toBe(429);
});

test('the typed checkout and applyCode mutations count with REST', async () => {
  const productId = await server.product({ price: 1, stock: 100 });
  const [buyer, guesser] = await server.users(2);
  const checkout = 'mutation Checkout($key: String!, $items: [CartItemInput!]) { checkout(idempotencyKey: $key, items: $items) { checkoutId } }';
  const typedCheckout = (key: string) => graphQL(buyer, { query: checkout, variables: { key: `rate-limit-${key}`, items: [{ productId, quantity: 1 }] } });
  expect((await typedCheckout('typed-1')).body.data.checkout.checkoutId).toEqual(expect.any(String));
  expect((await restCheckout(buyer, productId, 'typed-rest')).status).toBe(200);
  expect((await typedCheckout('typed-2')).body.data.checkout.checkoutId).toEqual(expect.any(String));
  expect((await typedCheckout('typed-3')).status).toBe(429);
  expect((await restCheckout(buyer, productId, 'typed-over')).status).toBe(429);

  const typedApplyCode = (code: string) => graphQL(guesser, { query: `mutation { applyCode(code: "${code}") { total } }` });
  expect((await typedApplyCode('GUESS-T1')).body.errors[0].extensions.code).toBe(4010);
  expect((await server.request('POST', '/functions/applyCode', { code: 'GUESS-T2' }, { session: guesser })).body.code).toBe(4010);
  expect((await typedApplyCode('GUESS-T3')).body.errors[0].extensions.code).toBe(4010);
  expect((await typedApplyCode('GUESS-T4')).status).toBe(429);
});
