import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, parseDate, productRef, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
const DAY = 86_400_000;
const at = (ms: number) => parseDate(new Date(Date.now() + ms));
const key = () => `key-${randomUUID()}`;
let codeCount = 0;
const uniqueCode = (prefix: string) => `${prefix}-${++codeCount}-${randomUUID().slice(0, 6)}`.toUpperCase();

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
});
afterAll(() => server?.stop());

async function coupon(fields: Record<string, unknown>): Promise<string> {
  return (await server.ok('POST', '/classes/Coupon', { validUntil: at(DAY), ...fields }, { session: admin })).objectId;
}

async function discountCode(fields: Record<string, unknown>): Promise<string> {
  return (await server.ok('POST', '/classes/DiscountCode', { validUntil: at(DAY), ...fields }, { session: admin })).objectId;
}

function checkout(session: Session, items: Array<{ productId: string; quantity: number }>, extra: Record<string, unknown> = {}) {
  return server.run('checkout', { idempotencyKey: key(), items, ...extra }, { session });
}

describe('code rules', () => {
  test('a code created as " summer-10 " is stored as SUMMER-10 and applies as "Summer-10"', async () => {
    const id = await coupon({ code: ' summer-10 ', discount: 2 });
    expect((await server.ok('GET', `/classes/Coupon/${id}`, undefined, { session: admin })).code).toBe('SUMMER-10');
    const user = await server.signUp();
    const productId = await server.product({ price: 10, stock: 5 });
    await server.run('addToCart', { productId, quantity: 1 }, { session: user });
    const cart = await server.run('applyCode', { code: 'Summer-10' }, { session: user });
    expect(cart).toMatchObject({ code: 'SUMMER-10', subtotal: 10, discount: 2, total: 8, problems: [] });
  });

  test('the same code again, as a Coupon or a DiscountCode, any case, is refused with 142', async () => {
    await coupon({ code: 'TWICE-1', discount: 1 });
    for (const create of [() => coupon({ code: 'twice-1', discount: 3 }), () => discountCode({ code: ' TWICE-1', percentage: 5 })]) {
      const error = await failure(create());
      expect(error.code).toBe(142);
      expect(error.message).toContain('TWICE-1 already exists');
    }
  });

  test('10 admins creating the same code at the same moment: exactly one lands', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? coupon({ code: 'RACE-CODE', discount: 1 }) : discountCode({ code: 'race-code', percentage: 10 }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(Array(9).fill(142));
    const found = [...(await server.find('Coupon', { code: 'RACE-CODE' })), ...(await server.find('DiscountCode', { code: 'RACE-CODE' }))];
    expect(found).toHaveLength(1);
  });

  test.each([
    ['Coupon', { code: 'ab', discount: 1 }, 'code: must be 3 to 32'],
    ['Coupon', { code: 'has space', discount: 1 }, 'code: must be 3 to 32'],
    ['Coupon', { code: 'NO-AMOUNT' }, 'discount: is required'],
    ['Coupon', { code: 'ZERO-OFF', discount: 0 }, 'discount: must be greater than 0'],
    ['Coupon', { code: 'CENTS-OFF', discount: 1.001 }, 'discount: must have at most two decimals'],
    ['Coupon', { code: 'BAD-WINDOW', discount: 1, validFrom: at(DAY), validUntil: at(1000) }, 'validUntil: must be after validFrom'],
    ['Coupon', { code: 'BAD-LIMIT', discount: 1, usageLimit: 0 }, 'usageLimit: must be a whole number'],
    ['Coupon', { code: 'SET-USED', discount: 1, usedCount: 3 }, 'usedCount: is maintained by the server'],
    ['DiscountCode', { code: 'PCT-101', percentage: 101 }, 'percentage: must be a whole percent from 1 to 100'],
    ['DiscountCode', { code: 'PCT-HALF', percentage: 12.5 }, 'percentage: must be a whole percent'],
    ['DiscountCode', { code: 'NO-PRODUCT', percentage: 10, products: [productRef('missing1')] }, 'products: no product with id missing1'],
  ])('%s %j is refused: %s', async (className, fields, message) => {
    const create = className === 'Coupon' ? coupon(fields) : discountCode(fields);
    const error = await failure(create);
    expect(error.code).toBe(142);
    expect(error.message).toContain(message);
  });

  test('a DiscountCode needs validUntil', async () => {
    const error = await failure(server.ok('POST', '/classes/DiscountCode', { code: 'NO-END', percentage: 10 }, { session: admin }));
    expect(error.code).toBe(142);
    expect(error.message).toContain('validUntil');
  });

  test('customers can neither list nor read codes', async () => {
    const user = await server.signUp();
    const id = await coupon({ code: uniqueCode('SECRET'), discount: 1 });
    expect((await failure(server.ok('GET', '/classes/Coupon', undefined, { session: user }))).code).toBe(119);
    expect((await failure(server.ok('GET', `/classes/Coupon/${id}`, undefined, { session: user }))).code).toBe(119);
    expect((await failure(server.ok('GET', '/classes/DiscountCode', undefined, { session: user }))).code).toBe(119);
  });
});

describe('applying a code', () => {
  async function cartWith(price: number, quantity = 1): Promise<{ user: Session; productId: string }> {
    const user = await server.signUp();
    const productId = await server.product({ price, stock: 50 });
    await server.run('addToCart', { productId, quantity }, { session: user });
    return { user, productId };
  }

  test.each([
    ['an unknown code', async () => 'NOPE-NOPE', 4010, 'There is no code NOPE-NOPE'],
    ['an inactive code', async () => { const c = uniqueCode('OFF'); await coupon({ code: c, discount: 1, active: false }); return c; }, 4010, 'is not active'],
    ['a code not valid yet', async () => { const c = uniqueCode('SOON'); await coupon({ code: c, discount: 1, validFrom: at(DAY), validUntil: at(2 * DAY) }); return c; }, 4010, 'is valid from'],
    ['an expired code', async () => { const c = uniqueCode('OLD'); await coupon({ code: c, discount: 1, validFrom: at(-2 * DAY), validUntil: at(-DAY) }); return c; }, 4011, 'expired at'],
    ['a subtotal below minSubtotal', async () => { const c = uniqueCode('MIN'); await coupon({ code: c, discount: 1, minSubtotal: 50 }); return c; }, 4013, 'needs a subtotal of at least 50.00; this one is 20.00'],
    ['a code for other products', async () => { const c = uniqueCode('ONLY'); const other = await server.product({ price: 1 }); await discountCode({ code: c, percentage: 10, products: [productRef(other)] }); return c; }, 4013, 'applies to none of the products'],
  ])('refuses %s with %i and a message that says why', async (_what, makeCode, code, message) => {
    const { user } = await cartWith(20);
    const error = await failure(server.run('applyCode', { code: await makeCode() }, { session: user }));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect((await server.run('getCart', {}, { session: user })).code).toBeNull();
  });

  test('refuses a used-up code with 4012: over usageLimit, and over the user’s perUserLimit', async () => {
    const code = uniqueCode('ONCE');
    await coupon({ code, discount: 1, usageLimit: 1 });
    const first = await cartWith(10);
    await checkout(first.user, [{ productId: first.productId, quantity: 1 }], { code });
    const second = await cartWith(10);
    const error = await failure(server.run('applyCode', { code }, { session: second.user }));
    expect(error.code).toBe(4012);
    expect(error.message).toContain('has been used as often as it allows');

    const mine = uniqueCode('MINE');
    await coupon({ code: mine, discount: 1 });
    await checkout(first.user, [{ productId: first.productId, quantity: 1 }], { code: mine });
    const again = await failure(server.run('applyCode', { code: mine }, { session: first.user }));
    expect(again.code).toBe(4012);
    expect(again.message).toContain('You have already used code');
  });

  test.each([[{}], [{ code: 'ab' }], [{ code: 5 }], [{ code: 'GOOD-CODE', extra: 1 }]])('applyCode refuses %j with 142', async (params) => {
    const user = await server.signUp();
    expect((await failure(server.run('applyCode', params, { session: user }))).code).toBe(142);
  });

  test('removeCode drops it; a code that stops applying shows under problems and the cart is priced without it', async () => {
    const code = uniqueCode('FADE');
    const id = await coupon({ code, discount: 3 });
    const { user } = await cartWith(10);
    expect((await server.run('applyCode', { code }, { session: user })).total).toBe(7);
    await server.ok('PUT', `/classes/Coupon/${id}`, { active: false }, { session: admin });
    const cart = await server.run('getCart', {}, { session: user });
    expect(cart).toMatchObject({ code, discount: 0, total: 10, problems: [{ code, reason: 'inactive' }] });
    const refused = await failure(server.run('checkout', { idempotencyKey: key() }, { session: user }));
    expect(refused.code).toBe(4010);
    expect((await server.run('removeCode', {}, { session: user }))).toMatchObject({ code: null, total: 10, problems: [] });
  });

  test('a code applies on top of the flash-sale price', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 100, stock: 5 });
    await server.sale(productId, { discountPrice: 80, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 600_000) });
    const code = uniqueCode('TOP');
    await discountCode({ code, percentage: 10 });
    const result = await checkout(user, [{ productId, quantity: 1 }], { code });
    expect(result).toMatchObject({ subtotal: 80, discount: 8, total: 72 });
    expect(result.orders[0]).toMatchObject({ unitPrice: 80, amount: 72 });
  });
});

describe('pricing to the cent', () => {
  test('10% on 3 lines of 0.05 rounds half up per line', async () => {
    const user = await server.signUp();
    const ids = await Promise.all([0, 1, 2].map(() => server.product({ price: 0.05, stock: 5 })));
    const code = uniqueCode('TENPCT');
    await discountCode({ code, percentage: 10 });
    const result = await checkout(user, ids.map((productId) => ({ productId, quantity: 1 })), { code });
    expect(result).toMatchObject({ subtotal: 0.15, discount: 0.03, total: 0.12 });
    expect(result.orders.map((o: any) => o.amount)).toEqual([0.04, 0.04, 0.04]);
  });

  test('a 10.00 coupon on lines of 3.33, 3.33 and 3.34 splits into parts that add up to exactly 10.00', async () => {
    const user = await server.signUp();
    const ids = await Promise.all([3.33, 3.33, 3.34].map((price) => server.product({ price, stock: 5 })));
    const code = uniqueCode('TENOFF');
    await coupon({ code, discount: 10 });
    const result = await checkout(user, ids.map((productId) => ({ productId, quantity: 1 })), { code });
    expect(result).toMatchObject({ subtotal: 10, discount: 10, total: 0 });
    expect(result.orders.map((o: any) => o.amount)).toEqual([0, 0, 0]);
    const orders = await Promise.all(ids.map((id) => server.ordersOf(id)));
    expect(orders.flat().every((o) => o.code === code)).toBe(true);
  });

  test('a coupon larger than the subtotal takes it to zero, never below', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 4, stock: 5 });
    const code = uniqueCode('BIG');
    await coupon({ code, discount: 25 });
    const result = await checkout(user, [{ productId, quantity: 1 }], { code });
    expect(result).toMatchObject({ subtotal: 4, discount: 4, total: 0 });
  });

  test('a discount code for some products discounts only their lines; amounts add up to the total', async () => {
    const user = await server.signUp();
    const eligible = await server.product({ price: 10, stock: 5 });
    const other = await server.product({ price: 7, stock: 5 });
    const code = uniqueCode('SOME');
    await discountCode({ code, percentage: 25, products: [productRef(eligible)] });
    const result = await checkout(user, [{ productId: eligible, quantity: 2 }, { productId: other, quantity: 1 }], { code });
    expect(result).toMatchObject({ subtotal: 27, discount: 5, total: 22 });
    expect(result.orders.map((o: any) => o.amount)).toEqual([15, 7]);
  });

  test('expectedTotal is compared with the total after the code', async () => {
    const user = await server.signUp();
    const productId = await server.product({ price: 10, stock: 5 });
    const code = uniqueCode('EXP');
    await coupon({ code, discount: 1 });
    expect((await failure(checkout(user, [{ productId, quantity: 1 }], { code, expectedTotal: 10 }))).code).toBe(4003);
    expect((await checkout(user, [{ productId, quantity: 1 }], { code, expectedTotal: 9 })).total).toBe(9);
  });
});

describe('redemption limits under concurrency', () => {
  test('usageLimit 5 under 30 concurrent checkouts by 30 users: exactly 5 succeed with the code', async () => {
    const productId = await server.product({ price: 10, stock: 100 });
    const code = uniqueCode('FIVE');
    const id = await coupon({ code, discount: 2, usageLimit: 5, perUserLimit: 1 });
    const buyers = await server.users(30, 'five');
    const results = await Promise.allSettled(buyers.map((buyer) => checkout(buyer, [{ productId, quantity: 1 }], { code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(Array(25).fill(4012));
    expect((await server.ok('GET', `/classes/Coupon/${id}`, undefined, { session: admin })).usedCount).toBe(5);
    expect(await server.stockOf(productId)).toBe(95);
    expect((await server.ordersOf(productId)).filter((o) => o.code === code)).toHaveLength(5);
  });

  test('perUserLimit 2 under 6 concurrent checkouts by one user: exactly 2 succeed', async () => {
    const productId = await server.product({ price: 10, stock: 100 });
    const code = uniqueCode('TWO');
    const id = await discountCode({ code, percentage: 10, perUserLimit: 2 });
    const user = await server.signUp();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => checkout(user, [{ productId, quantity: 1 }], { code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(Array(4).fill(4012));
    expect((await server.ok('GET', `/classes/DiscountCode/${id}`, undefined, { session: admin })).usedCount).toBe(2);
    expect(await server.stockOf(productId)).toBe(98);
  });

  test('a checkout refused after its code was redeemed gives the use back', async () => {
    const user = await server.signUp();
    const plenty = await server.product({ price: 10, stock: 10 });
    const code = uniqueCode('BACK');
    const id = await coupon({ code, discount: 1, usageLimit: 1 });
    const error = await failure(checkout(user, [{ productId: plenty, quantity: 1 }], { code, expectedTotal: 1 }));
    expect(error.code).toBe(4003);
    expect((await server.ok('GET', `/classes/Coupon/${id}`, undefined, { session: admin })).usedCount).toBe(0);
    expect((await checkout(user, [{ productId: plenty, quantity: 1 }], { code })).discount).toBe(1);
  });
});
