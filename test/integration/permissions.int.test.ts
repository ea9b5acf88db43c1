import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, type Session, startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
let customer: Session;
let other: Session;
let productId: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
  [customer, other] = await server.users(2, 'perm');
  productId = await server.product({ name: 'Pixel 9', price: 799, stock: 5 });
});
afterAll(() => server?.stop());

/** A refusal is a Parse error with a 4xx status, never a 500. */
async function refused(promise: Promise<unknown>): Promise<number> {
  const error = await failure(promise);
  expect(error.status).toBeGreaterThanOrEqual(400);
  expect(error.status).toBeLessThan(500);
  return error.code;
}

describe('catalogue', () => {
  test('anonymous clients read Product and Inventory', async () => {
    const products = await server.ok('GET', '/classes/Product');
    expect(products.results.map((p: any) => p.objectId)).toContain(productId);
    const product = await server.ok('GET', `/classes/Product/${productId}`);
    expect(product).toMatchObject({ name: 'Pixel 9', price: 799, active: true });
    const where = encodeURIComponent(JSON.stringify({ product: { __type: 'Pointer', className: 'Product', objectId: productId } }));
    const inventory = await server.ok('GET', `/classes/Inventory?where=${where}`);
    expect(inventory.results).toHaveLength(1);
    expect(inventory.results[0].stock).toBe(5);
  });

  test('a customer cannot create, edit or delete a Product; an admin can', async () => {
    expect(await refused(server.ok('POST', '/classes/Product', { name: 'Fake', price: 1 }, { session: customer }))).toBe(119);
    expect(await refused(server.ok('POST', '/classes/Product', { name: 'Fake', price: 1 }))).toBe(119);
    expect(await refused(server.ok('PUT', `/classes/Product/${productId}`, { price: 1 }, { session: customer }))).toBe(119);
    expect(await refused(server.ok('DELETE', `/classes/Product/${productId}`, undefined, { session: customer }))).toBe(119);
    expect((await server.ok('GET', `/classes/Product/${productId}`)).price).toBe(799);

    const created = await server.ok('POST', '/classes/Product', { name: 'Real', price: 2.5 }, { session: admin });
    await server.ok('PUT', `/classes/Product/${created.objectId}`, { price: 3 }, { session: admin });
    expect((await server.ok('GET', `/classes/Product/${created.objectId}`)).price).toBe(3);
    await server.ok('DELETE', `/classes/Product/${created.objectId}`, undefined, { session: admin });
  });

  test('a client cannot set an ACL that opens a product to others', async () => {
    const created = await server.ok('POST', '/classes/Product', { name: 'Acl', price: 1, ACL: { '*': { read: true, write: true } } }, { session: admin });
    const stored = await server.ok('GET', `/classes/Product/${created.objectId}`, undefined, { master: true });
    expect(stored.ACL).toEqual({ '*': { read: true }, 'role:admin': { write: true } });
  });
});

describe('schema is locked', () => {
  test('a customer cannot create a class', async () => {
    const code = await refused(server.ok('POST', '/classes/Hack', { x: 1 }, { session: customer }));
    expect([119, 142]).toContain(code);
  });

  test('a customer or admin cannot add a field to a class', async () => {
    for (const session of [customer, admin]) {
      await refused(server.ok('POST', '/classes/Product', { name: 'With field', price: 1, hacked: true }, { session }));
    }
    await refused(server.ok('PUT', `/users/${customer.userId}`, { nickname: 'x' }, { session: customer }));
  });

  test('the schema endpoint refuses changes, even with the master key', async () => {
    await refused(server.ok('POST', '/schemas/Hack', { className: 'Hack', fields: { x: { type: 'String' } } }, { session: customer }));
    await refused(server.ok('POST', '/schemas/Hack', { className: 'Hack', fields: { x: { type: 'String' } } }, { master: true }));
  });
});

describe('codes are admin only', () => {
  let couponId: string;
  let discountCodeId: string;

  beforeAll(async () => {
    couponId = (await server.ok('POST', '/classes/Coupon', { code: 'PERM5', discount: 5 }, { master: true })).objectId;
    discountCodeId = (
      await server.ok('POST', '/classes/DiscountCode', { code: 'PERM10', percentage: 10, validUntil: { __type: 'Date', iso: '2099-01-01T00:00:00.000Z' } }, { master: true })
    ).objectId;
  });

  test.each(['Coupon', 'DiscountCode'])('a customer can neither find nor get %s rows', async (className) => {
    const id = className === 'Coupon' ? couponId : discountCodeId;
    for (const options of [{ session: customer }, {}]) {
      expect(await refused(server.ok('GET', `/classes/${className}`, undefined, options))).toBe(119);
      expect(await refused(server.ok('GET', `/classes/${className}/${id}`, undefined, options))).toBe(119);
      expect(await refused(server.ok('POST', `/classes/${className}`, { code: 'MINE', discount: 1, percentage: 1 }, options))).toBe(119);
    }
    const asAdmin = await server.ok('GET', `/classes/${className}`, undefined, { session: admin });
    expect(asAdmin.results.map((r: any) => r.objectId)).toContain(id);
  });
});

describe('users', () => {
  test('a user reads its own email, never another user’s', async () => {
    const own = await server.ok('GET', `/users/me`, undefined, { session: customer });
    expect(own.email).toBe(`${customer.username}@example.com`);
    const theirs = await server.request('GET', `/users/${other.userId}`, undefined, { session: customer });
    expect(theirs.status).toBe(404);
    const list = await server.ok('GET', '/users', undefined, { session: customer });
    expect(list.results.map((u: any) => u.objectId)).toEqual([customer.userId]);
    // Searching by a protected field would reveal it: Parse refuses the query.
    const byEmail = server.ok('GET', `/users?where=${encodeURIComponent(JSON.stringify({ email: `${other.username}@example.com` }))}`, undefined, { session: customer });
    expect(await refused(byEmail)).toBe(119);
  });

  test('a user cannot edit another user', async () => {
    await refused(server.ok('PUT', `/users/${other.userId}`, { email: 'stolen@example.com' }, { session: customer }));
  });

  test('role is customer for new users and cannot be set or changed by a client', async () => {
    expect((await server.ok('GET', '/users/me', undefined, { session: customer })).role).toBe('customer');
    const changed = await failure(server.ok('PUT', `/users/${customer.userId}`, { role: 'admin' }, { session: customer }));
    expect(changed.code).toBe(142);
    expect(changed.message).toContain('role');
    const signUp = await failure(server.ok('POST', '/users', { username: `sneaky-${Date.now()}`, password: 'password-123', role: 'admin' }));
    expect(signUp.code).toBe(142);
    expect((await server.ok('GET', '/users/me', undefined, { session: customer })).role).toBe('customer');
  });

  test('the admin user has role admin, mirrored from the admin role', async () => {
    expect((await server.ok('GET', '/users/me', undefined, { session: admin })).role).toBe('admin');
  });

  test('a customer cannot read or join the admin role', async () => {
    expect(await refused(server.ok('GET', '/roles', undefined, { session: customer }))).toBe(119);
    const roles = await server.ok('GET', `/roles?where=${encodeURIComponent(JSON.stringify({ name: 'admin' }))}`, undefined, { master: true });
    const roleId = roles.results[0].objectId;
    const join = { users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: customer.userId }] } };
    await refused(server.ok('PUT', `/roles/${roleId}`, join, { session: customer }));
    await refused(server.ok('POST', '/roles', { name: 'admin2', ACL: {} }, { session: customer }));
    expect((await server.ok('GET', '/users/me', undefined, { session: customer })).role).toBe('customer');
  });

  test('adding a user to the admin role with the master key makes its role admin; removing makes it customer', async () => {
    const promoted = await server.signUp('promoted');
    const roles = await server.ok('GET', `/roles?where=${encodeURIComponent(JSON.stringify({ name: 'admin' }))}`, undefined, { master: true });
    const roleId = roles.results[0].objectId;
    const pointer = [{ __type: 'Pointer', className: '_User', objectId: promoted.userId }];
    await server.ok('PUT', `/roles/${roleId}`, { users: { __op: 'AddRelation', objects: pointer } }, { master: true });
    expect((await server.ok('GET', '/users/me', undefined, { session: promoted })).role).toBe('admin');
    await server.ok('PUT', `/roles/${roleId}`, { users: { __op: 'RemoveRelation', objects: pointer } }, { master: true });
    expect((await server.ok('GET', '/users/me', undefined, { session: promoted })).role).toBe('customer');
  });
});

describe('orders and money records', () => {
  test('Transaction rows cannot be created, updated or deleted by clients, admins included', async () => {
    const order = await server.ok(
      'POST',
      '/classes/Order',
      { product: { __type: 'Pointer', className: 'Product', objectId: productId }, quantity: 1, user: { __type: 'Pointer', className: '_User', objectId: customer.userId }, ACL: { [customer.userId]: { read: true } } },
      { master: true },
    );
    const tx = await server.ok(
      'POST',
      '/classes/Transaction',
      {
        user: { __type: 'Pointer', className: '_User', objectId: customer.userId },
        order: { __type: 'Pointer', className: 'Order', objectId: order.objectId },
        amount: 799,
        type: 'charge',
        ACL: { [customer.userId]: { read: true }, 'role:admin': { read: true } },
      },
      { master: true },
    );
    for (const session of [customer, admin]) {
      expect(await refused(server.ok('PUT', `/classes/Transaction/${tx.objectId}`, { amount: 1 }, { session }))).toBe(119);
      expect(await refused(server.ok('DELETE', `/classes/Transaction/${tx.objectId}`, undefined, { session }))).toBe(119);
      const forged = { user: { __type: 'Pointer', className: '_User', objectId: session.userId }, order: { __type: 'Pointer', className: 'Order', objectId: order.objectId }, amount: -799, type: 'refund' };
      expect(await refused(server.ok('POST', '/classes/Transaction', forged, { session }))).toBe(119);
    }
    const own = await server.ok('GET', `/classes/Transaction/${tx.objectId}`, undefined, { session: customer });
    expect(own.amount).toBe(799);
    expect((await server.request('GET', `/classes/Transaction/${tx.objectId}`, undefined, { session: other })).status).toBe(404);
    expect((await server.ok('GET', '/classes/Order', undefined, { session: other })).results).toEqual([]);
  });

  test('anonymous reads of orders, transactions and carts are refused with 119 (log in)', async () => {
    for (const className of ['Order', 'Transaction', 'Cart']) {
      expect(await refused(server.ok('GET', `/classes/${className}`))).toBe(119);
    }
  });

  test('internal bookkeeping classes are master-key only', async () => {
    for (const className of ['CheckoutRecord', 'SaleBuyer', 'CodeRedemption']) {
      expect(await refused(server.ok('GET', `/classes/${className}`, undefined, { session: admin }))).toBe(119);
      expect(await refused(server.ok('GET', `/classes/${className}`, undefined, { session: customer }))).toBe(119);
    }
  });
});
