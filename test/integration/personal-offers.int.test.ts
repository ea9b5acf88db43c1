import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, parseDate, productRef, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
const DAY = 86_400_000;
const at = (ms: number) => parseDate(new Date(Date.now() + ms));
const key = () => `key-${randomUUID()}`;
const uniqueCode = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`.toUpperCase();
const userRef = (session: Session) => ({ __type: 'Pointer', className: '_User', objectId: session.userId });

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
});
afterAll(() => server?.stop());

async function offer(className: 'Coupon' | 'DiscountCode', users: Session[], fields: Record<string, unknown> = {}): Promise<{ id: string; code: string }> {
  const code = uniqueCode('VIP');
  const base = className === 'Coupon' ? { discount: 3 } : { percentage: 10, validUntil: at(DAY) };
  const body = { code, ...base, users: users.map(userRef), ...fields };
  const created = await server.ok('POST', `/classes/${className}`, body, { session: admin });
  return { id: created.objectId, code };
}

async function shopper(productId: string): Promise<Session> {
  const user = await server.signUp('offer');
  await server.run('addToCart', { productId, quantity: 1 }, { session: user });
  return user;
}

/** The 4010 message an unknown code gets, which a personal offer meant for someone else must match. */
const unknownMessage = (code: string) => `There is no code ${code}; check its spelling.`;

const GQL_APPLY = 'mutation Apply($code: String!) { applyCode(code: $code) { code total } }';
const GQL_CHECKOUT = 'mutation Buy($key: String!, $code: String) { checkout(idempotencyKey: $key, code: $code) { checkoutId total } }';
const GQL_OFFERS = 'query { myOffers { serverTime offers { code kind discount percentage products validUntil usesLeft } } }';

async function gqlError(query: string, variables: Record<string, unknown>, session: Session) {
  const { body } = await server.graphql(query, variables, { session });
  expect(body.data ?? null).toBeNull();
  return { code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
}

describe('a personal offer', () => {
  test('its user applies it, buys with it, and sees it in myOffers until it is used up', async () => {
    const productId = await server.product({ price: 20, stock: 5 });
    const owner = await shopper(productId);
    const { code } = await offer('Coupon', [owner], { validUntil: at(DAY) });

    const listed = await server.run('myOffers', {}, { session: owner });
    expect(listed.offers).toEqual([{ code, kind: 'coupon', discount: 3, percentage: null, products: null, validUntil: expect.any(String), usesLeft: 1 }]);
    expect(Math.abs(Date.parse(listed.serverTime) - Date.now())).toBeLessThan(10_000);

    const { data } = (await server.graphql(GQL_OFFERS, {}, { session: owner })).body;
    expect(data.myOffers.offers).toEqual(listed.offers);

    expect(await server.run('applyCode', { code: code.toLowerCase() }, { session: owner })).toMatchObject({ code, subtotal: 20, discount: 3, total: 17 });
    expect(await server.run('getCart', {}, { session: owner })).toMatchObject({ code, total: 17, problems: [] });
    const bought = await server.run('checkout', { idempotencyKey: key() }, { session: owner });
    expect(bought).toMatchObject({ total: 17, discount: 3 });

    expect((await server.run('myOffers', {}, { session: owner })).offers).toEqual([]);
  });

  test('lists only the caller\'s usable offers: a discount code with its products, not others\' or used-up ones', async () => {
    const productId = await server.product({ price: 10, stock: 5 });
    const [ana, bob] = await server.users(2, 'offer');
    const mine = await offer('DiscountCode', [ana, bob], { percentage: 15, products: [productRef(productId)], perUserLimit: 3 });
    await offer('Coupon', [bob]);
    await offer('Coupon', [ana], { active: false });
    await offer('Coupon', [ana], { usageLimit: 1, usedCount: undefined, validFrom: at(DAY), validUntil: at(2 * DAY) });
    await server.ok('POST', '/classes/Coupon', { code: uniqueCode('PUBLIC'), discount: 1 }, { session: admin });

    const { offers } = await server.run('myOffers', {}, { session: ana });
    expect(offers).toEqual([{ code: mine.code, kind: 'discountCode', discount: null, percentage: 15, products: [productId], validUntil: expect.any(String), usesLeft: 3 }]);
  });

  test('to anyone else it is an unknown code (4010, the same message) in every path', async () => {
    const productId = await server.product({ price: 20, stock: 5 });
    const owner = await server.signUp('offer');
    const other = await shopper(productId);
    for (const className of ['Coupon', 'DiscountCode'] as const) {
      const { code } = await offer(className, [owner]);
      const unknown = uniqueCode('NONE');
      for (const attempt of [code, unknown]) {
        const expected = { code: 4010, message: unknownMessage(attempt) };
        const applied = await failure(server.run('applyCode', { code: attempt }, { session: other }));
        expect({ code: applied.code, message: applied.message.replace(/^4010: /, '') }).toEqual(expected);
        const bought = await failure(server.run('checkout', { idempotencyKey: key(), code: attempt }, { session: other }));
        expect({ code: bought.code, message: bought.message.replace(/^4010: /, '') }).toEqual(expected);
        const buyNow = await failure(server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 1 }], code: attempt }, { session: other }));
        expect(buyNow.code).toBe(4010);
        expect(await gqlError(GQL_APPLY, { code: attempt }, other)).toEqual(expected);
        expect(await gqlError(GQL_CHECKOUT, { key: key(), code: attempt }, other)).toEqual(expected);
      }
      expect((await server.run('myOffers', {}, { session: other })).offers).toEqual([]);
    }
    expect(await server.stockOf(productId)).toBe(5);
    expect(await server.ordersOf(productId)).toHaveLength(0);
  });

  test('a user taken off the offer finds it gone from the cart and refused at checkout as unknown', async () => {
    const productId = await server.product({ price: 20, stock: 5 });
    const owner = await shopper(productId);
    const { id, code } = await offer('Coupon', [owner]);
    await server.run('applyCode', { code }, { session: owner });
    await server.ok('PUT', `/classes/Coupon/${id}`, { users: [] }, { session: admin });

    expect(await server.run('getCart', {}, { session: owner })).toMatchObject({ code, discount: 0, total: 20, problems: [{ code, reason: 'unknown' }] });
    const refused = await failure(server.run('checkout', { idempotencyKey: key() }, { session: owner }));
    expect([refused.code, refused.message]).toEqual([4010, `4010: ${unknownMessage(code)}`]);
  });

  test('two concurrent checkouts of its user with a once-per-user offer: exactly one gets it', async () => {
    const productId = await server.product({ price: 20, stock: 10 });
    const owner = await server.signUp('offer');
    const { code } = await offer('Coupon', [owner], { perUserLimit: 1 });
    const results = await Promise.allSettled(
      [1, 2].map(() => server.run('checkout', { idempotencyKey: key(), items: [{ productId, quantity: 1 }], code }, { session: owner })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual([4012]);
    expect(await server.stockOf(productId)).toBe(9);
    expect((await server.run('myOffers', {}, { session: owner })).offers).toEqual([]);
  });

  test.each([
    ['not a list', 'x'],
    ['a Product pointer', [productRef('abcdefghij')]],
    ['a duplicate', 'dup'],
    ['an unknown user', [{ __type: 'Pointer', className: '_User', objectId: 'nosuchuser' }]],
    ['1,001 users', 'many'],
  ])('refuses users as %s with 142 naming users', async (_name, users) => {
    const someone = await server.signUp('offer');
    const value =
      users === 'dup' ? [userRef(someone), userRef(someone)] : users === 'many' ? Array.from({ length: 1001 }, (_, i) => ({ ...userRef(someone), objectId: `u${i}` })) : users;
    const refused = await failure(server.ok('POST', '/classes/Coupon', { code: uniqueCode('BAD'), discount: 1, users: value }, { session: admin }));
    expect(refused.code).toBe(142);
    expect(refused.message).toContain('users');
  });
});
