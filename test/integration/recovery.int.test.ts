/**
 * A server killed with SIGKILL while checkouts are in flight, then restarted: no unit is lost or
 * sold twice and every paid order has one charge. On PostgreSQL a checkout lands in one statement,
 * so a kill leaves none half-done; run as steps (as on MongoDB), recovery rolls back every
 * interrupted one.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Session, startTestServer, type TestServer } from '../helpers/server';

const STOCK = 1000;

describe.each<{ path: string; env: Record<string, string>; halfDone: boolean; inFlight: number }>([
  // One statement is fast enough that 200 checkouts can all finish before the kill lands.
  { path: 'in one statement', env: {}, halfDone: false, inFlight: 600 },
  { path: 'as steps', env: { TEST_CHECKOUT_IN_STEPS: '1' }, halfDone: true, inFlight: 200 },
])('checkouts $path', ({ env, halfDone, inFlight: count }) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ PAYMENT_MODE: 'auto', ...env });
  });
  afterAll(() => server?.stop());

  test(`SIGKILL with ${count} checkouts in flight, then restart: nothing lost, nothing sold twice, every paid order charged once`, async () => {
    const productIds = [await server.product({ price: 10, stock: STOCK }), await server.product({ price: 3, stock: STOCK })];
    const saleId = await server.sale(productIds[0], { discount: 20, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000), quantityLimit: 500, perUserLimit: 100 });
    const code = `CRASH-${randomUUID().slice(0, 6)}`.toUpperCase();
    const couponId = (await server.ok('POST', '/classes/Coupon', { code, discount: 1, usageLimit: 1000, perUserLimit: 100 }, { session: await server.admin() })).objectId;
    const buyers: Session[] = await server.users(100, 'crash');
    const inFlight = Array.from({ length: count }, (_, i) =>
      server
        .run(
          'checkout',
          { idempotencyKey: `crash-${randomUUID()}`, items: [{ productId: productIds[0], quantity: 1 + (i % 2) }, { productId: productIds[1], quantity: 1 }], code },
          { session: buyers[i % 100] },
        )
        .then(() => 'done', () => 'lost'),
    );
    // Kill once some checkouts have finished and others are half-way.
    for (let i = 0; i < 100 && (await server.stockOf(productIds[0])) > STOCK - 30; i++) await new Promise((r) => setTimeout(r, 20));
    server.spawned.child.kill('SIGKILL');
    await server.spawned.exited;
    const outcomes = await Promise.all(inFlight);
    expect(outcomes).toContain('lost');

    if (!halfDone) expect(await pendingAfterKill(server.databaseURI)).toBe(0);
    // The dead process's lease lapses and the restarted server settles its checkouts by itself.
    server = await startTestServer({ PAYMENT_MODE: 'auto', ...env }, server.databaseURI);
    const deadline = Date.now() + 15_000;
    while ((await server.find('CheckoutRecord', { state: 'pending' })).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await server.find('CheckoutRecord', { state: 'pending' })).toEqual([]);
    if (halfDone) expect(server.spawned.output()).toContain('Settled interrupted checkouts');

    const reconcile = await server.job('reconcileInventory');
    expect(reconcile.broken).toEqual([]);

    for (const productId of productIds) {
      const [row] = await server.inventoryRows(productId);
      const open = (await server.ordersOf(productId)).filter((o) => o.status !== 'cancelled');
      expect(row.stock + open.reduce((n, o) => n + o.quantity, 0)).toBe(STOCK);
      expect(row.received).toBe(STOCK);
      expect(row.holds ?? []).toEqual([]);
    }

    const orders = [...(await server.ordersOf(productIds[0])), ...(await server.ordersOf(productIds[1]))];
    const transactions = await server.find('Transaction', {});
    const charges = new Map<string, number>();
    for (const t of transactions.filter((t) => t.type === 'charge')) charges.set(t.order.objectId, (charges.get(t.order.objectId) ?? 0) + 1);
    for (const order of orders.filter((o) => o.status === 'paid')) expect(charges.get(order.objectId)).toBe(1);
    expect(Math.max(0, ...charges.values())).toBeLessThanOrEqual(1);
    // every completed checkout kept its orders; no key produced two sets
    const byCheckout = new Map<string, number>();
    for (const o of orders.filter((o) => o.status !== 'cancelled')) byCheckout.set(o.checkoutId, (byCheckout.get(o.checkoutId) ?? 0) + 1);
    expect([...byCheckout.values()].every((n) => n === 2)).toBe(true);

    // the sale's quota and the code's uses match the orders that stand, overall and per user
    const open = orders.filter((o) => o.status !== 'cancelled');
    const saleUnits = open.filter((o) => o.flashSale?.objectId === saleId).reduce((n, o) => n + o.quantity, 0);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`, undefined, { master: true })).soldCount).toBe(saleUnits);
    const buyerUnits = new Map<string, number>();
    for (const o of open.filter((o) => o.flashSale)) buyerUnits.set(o.user.objectId, (buyerUnits.get(o.user.objectId) ?? 0) + o.quantity);
    for (const row of await server.find('SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: saleId } })) {
      expect(row.units).toBe(buyerUnits.get(row.user.objectId) ?? 0);
    }
    const checkoutsWithCode = new Set(open.filter((o) => o.code === code).map((o) => o.checkoutId));
    expect((await server.ok('GET', `/classes/Coupon/${couponId}`, undefined, { master: true })).usedCount).toBe(checkoutsWithCode.size);
    const usesByUser = new Map<string, Set<string>>();
    for (const o of open.filter((o) => o.code === code)) usesByUser.set(o.user.objectId, (usesByUser.get(o.user.objectId) ?? new Set()).add(o.checkoutId));
    for (const row of await server.find('CodeRedemption', { code })) expect(row.uses).toBe(usesByUser.get(row.user.objectId)?.size ?? 0);

    // the restarted server sells again
    const after = await server.run('checkout', { idempotencyKey: `after-${randomUUID()}`, items: [{ productId: productIds[1], quantity: 1 }] }, { session: buyers[0] });
    expect(after.orders).toHaveLength(1);
  });
});

/** Pending checkout records in the database of a server that is down. */
async function pendingAfterKill(databaseURI: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseURI });
  await client.connect();
  try {
    return (await client.query(`SELECT count(*)::int AS n FROM "CheckoutRecord" WHERE state = 'pending'`)).rows[0].n;
  } finally {
    await client.end();
  }
}
