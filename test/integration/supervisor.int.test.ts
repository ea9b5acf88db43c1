/**
 * The supervisor of `npm start` (SPEC 2) and prompt recovery (SPEC 6): a worker killed with SIGKILL
 * in the middle of a storm is replaced within 2 s, and 10 s after the kill every checkout it had in
 * flight is settled: the stock invariant holds, every paid order has exactly one charge, and every
 * key replays its first result or runs afresh, never "in progress". Shown with one worker (the
 * standby takes over and settles) and with two and Redis (the living worker settles, and the API
 * keeps answering).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { failure, ParseFailure, type Session, startTestServer, spawnServer, type TestServer } from '../helpers/server';

const STOCK = 1000;
const KILL_TO_SERVING_MS = 2_000;
const KILL_TO_SETTLED_MS = 10_000;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/parse/health`, { signal: AbortSignal.timeout(10_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

interface Attempt {
  params: Record<string, unknown>;
  buyer: Session;
  first: { checkoutId: string } | ParseFailure | 'lost';
}

/** Kills an active worker with SIGKILL once some checkouts finished and others are half-way; checks everything SPEC 6 promises. */
async function killMidStorm(s: TestServer, { workers }: { workers: number }) {
  await s.allWorkersReady(workers);
  const productIds = [await s.product({ price: 10, stock: STOCK }), await s.product({ price: 3, stock: STOCK })];
  const saleId = await s.sale(productIds[0], { discount: 20, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000), quantityLimit: 500, perUserLimit: 100 });
  const code = `KILL-${randomUUID().slice(0, 6)}`.toUpperCase();
  const couponId = (await s.ok('POST', '/classes/Coupon', { code, discount: 1, usageLimit: 1000, perUserLimit: 100 }, { session: await s.admin() })).objectId;
  const buyers = await s.users(50, 'kill');

  // Enough that some are still in flight on the victim when the kill lands: one-statement checkouts are fast.
  const attempts: Attempt[] = Array.from({ length: 400 }, (_, i) => ({
    buyer: buyers[i % buyers.length],
    params: { idempotencyKey: `kill-${randomUUID()}`, items: [{ productId: productIds[0], quantity: 1 + (i % 2) }, { productId: productIds[1], quantity: 1 }], code },
    first: 'lost',
  }));
  let answered = 0;
  const storm = Promise.all(
    attempts.map(async (attempt) => {
      try {
        attempt.first = await s.run('checkout', attempt.params, { session: attempt.buyer });
      } catch (error) {
        attempt.first = error instanceof ParseFailure ? error : 'lost';
      }
      answered++;
    }),
  );
  // Counted here, not by asking the server (whose answer, on a loaded machine, waits behind the storm).
  for (let i = 0; i < 2_000 && answered < 20; i++) await sleep(5);
  const [victim, ...survivors] = s.activeWorkers();
  process.kill(victim, 'SIGKILL');
  const killedAt = Date.now();
  const mark = (what: string) => console.log(`${what} ${Date.now() - killedAt} ms after the kill`);

  // The dead worker is replaced within 2 s: the standby takes over its place on the port.
  const polls: Array<Promise<{ sentAt: number; ok: boolean; answeredAt: number }>> = [];
  let replacedAt = Infinity;
  const takeover = /^Worker \d+ took over/m;
  while (Date.now() - killedAt < 2_500) {
    const sentAt = Date.now();
    polls.push(healthy(s.port).then((ok) => ({ sentAt, ok, answeredAt: Date.now() })));
    if (replacedAt === Infinity && takeover.test(s.spawned.output())) replacedAt = Date.now();
    await sleep(50);
  }
  console.log(`the standby took over ${replacedAt - killedAt} ms after the kill`);
  expect(replacedAt - killedAt).toBeLessThan(KILL_TO_SERVING_MS);
  const answers = await Promise.all(polls);
  if (survivors.length === 0) {
    // One worker: the port answers again within 2 s.
    const servingAt = Math.min(...answers.filter((a) => a.ok).map((a) => a.answeredAt));
    console.log(`the port answered again ${servingAt - killedAt} ms after the kill`);
    expect(servingAt - killedAt).toBeLessThan(KILL_TO_SERVING_MS);
  } else {
    // Two workers: the port never stops. Every request sent after the kill is answered, none refused
    // or reset; slowly, perhaps, as the survivor carries the rest of the storm.
    expect(answers.filter((a) => !a.ok && a.sentAt > killedAt + 100)).toEqual([]);
  }
  mark('serving');
  await storm;
  mark('storm answered');
  expect(attempts.some((a) => a.first === 'lost')).toBe(true);
  expect(s.spawned.output()).toMatch(new RegExp(`Worker ${victim} \\(active\\) died, killed by SIGKILL`));

  // 10 s after the kill, every interrupted checkout is settled.
  await sleep(Math.max(0, killedAt + KILL_TO_SETTLED_MS - Date.now()));
  expect(await s.find('CheckoutRecord', { state: 'pending' })).toEqual([]);

  const orders = [...(await s.ordersOf(productIds[0])), ...(await s.ordersOf(productIds[1]))];
  const standing = orders.filter((o) => o.status !== 'cancelled');
  for (const productId of productIds) {
    const [row] = await s.inventoryRows(productId);
    const units = standing.filter((o) => o.product.objectId === productId).reduce((n, o) => n + o.quantity, 0);
    expect(row.stock + units).toBe(STOCK);
    expect(row.received).toBe(STOCK);
  }
  const charges = new Map<string, number>();
  for (const t of await s.find('Transaction', { type: 'charge' })) charges.set(t.order.objectId, (charges.get(t.order.objectId) ?? 0) + 1);
  for (const order of orders.filter((o) => o.status === 'paid')) expect(charges.get(order.objectId)).toBe(1);
  for (const count of charges.values()) expect(count).toBe(1);
  const saleUnits = standing.filter((o) => o.flashSale?.objectId === saleId).reduce((n, o) => n + o.quantity, 0);
  expect((await s.ok('GET', `/classes/FlashSale/${saleId}`, undefined, { master: true })).soldCount).toBe(saleUnits);
  const checkoutsWithCode = new Set(standing.filter((o) => o.code === code).map((o) => o.checkoutId));
  expect((await s.ok('GET', `/classes/Coupon/${couponId}`, undefined, { master: true })).usedCount).toBe(checkoutsWithCode.size);

  mark('checked');
  // Every key answers definitively: the first result again, or a fresh attempt; never "in progress".
  const retries = await Promise.all(
    attempts.map((a) => s.run('checkout', a.params, { session: a.buyer }).then((r) => r, (e) => e)),
  );
  retries.forEach((retry, i) => {
    const first = attempts[i].first;
    if (retry instanceof ParseFailure) expect([4001, 4002, 4012]).toContain(retry.code);
    else if (first !== 'lost' && !(first instanceof ParseFailure)) expect(retry.checkoutId).toBe(first.checkoutId);
  });
  expect(retries.filter((r) => !(r instanceof ParseFailure)).length).toBeGreaterThan(0);
}

describe('a worker killed mid-storm', () => {
  test('WORKERS=1: the standby answers within 2 s and settles every interrupted checkout within 10 s', async () => {
    server = await startTestServer({ PAYMENT_MODE: 'auto' });
    await killMidStorm(server, { workers: 1 });
  }, 180_000);

  test('WORKERS=2 with Redis: the living worker keeps answering and settles every interrupted checkout within 10 s', async () => {
    server = await startTestServer({ PAYMENT_MODE: 'auto', WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6379' });
    await killMidStorm(server, { workers: 2 });
  }, 180_000);
});

describe('the supervisor', () => {
  test('WORKERS=2 without REDIS_URL refuses to start, naming the variable', async () => {
    const error = (await spawnServer({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', WORKERS: '2', DATABASE_URI: 'postgres://127.0.0.1:1/none' }, 20_000).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/exited with 2/);
    expect(error.message).toMatch(/WORKERS: 2 processes need REDIS_URL/);
  });

  test('a worker that dies of its own accord is replaced and its cause logged', async () => {
    server = await startTestServer();
    await server.allWorkersReady(1);
    const [victim] = server.activeWorkers();
    process.kill(victim, 'SIGTERM'); // a worker stopped from outside: drains, exits, is replaced
    await sleep(1_500);
    expect(await healthy(server.port)).toBe(true);
    expect(server.spawned.output()).toMatch(new RegExp(`Worker ${victim} \\(active\\) died, exited with code 0`));
    expect(server.activeWorkers()).not.toContain(victim);
    expect(server.activeWorkers()).toHaveLength(1);
  });

  test('SIGTERM lets the checkouts in flight finish, then stops', async () => {
    server = await startTestServer();
    const productId = await server.product({ price: 5, stock: 100 });
    const buyers = await server.users(20, 'drain');
    const inFlight = buyers.map((buyer, i) =>
      server!.run('checkout', { idempotencyKey: `drain-${i}-${randomUUID()}`, items: [{ productId, quantity: 1 }] }, { session: buyer }).then(() => 'done', (e) => String(e)),
    );
    await sleep(30);
    server.spawned.child.kill('SIGTERM');
    const outcomes = await Promise.all(inFlight);
    expect(await server.spawned.exited).toBe(0);
    // Whatever was accepted was answered; whatever was answered stands.
    const done = outcomes.filter((o) => o === 'done').length;
    expect(done).toBeGreaterThan(0);
    server = await startTestServer({}, server.databaseURI);
    expect((await server.ordersOf(productId)).length).toBe(done);
    expect(await server.stockOf(productId)).toBe(100 - done);
  });
});

test('a refused checkout whose undo fails is left for recovery, which settles it', async () => {
  server = await startTestServer({ TEST_FAIL_UNDO: 'claim sale units' });
  const productId = await server.product({ price: 20, stock: 10 });
  const saleId = await server.sale(productId, { discountPrice: 15, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000), quantityLimit: 5, perUserLimit: 2 });
  const [buyer] = await server.users(1, 'undo');

  // The sale units are claimed, then the expected total is wrong (4003), and giving the units back fails.
  const key = `undo-fail-${randomUUID()}`;
  const request = { idempotencyKey: key, items: [{ productId, quantity: 2 }], expectedTotal: 40 };
  const refused = await failure(server.run('checkout', request, { session: buyer }));
  expect(refused.code).toBe(4003);
  expect(server.spawned.output()).toContain('Undoing checkout step "claim sale units" failed');

  // Recovery gives the units back within seconds, and the record goes, so the key runs afresh.
  const soldCount = async () => (await server!.ok('GET', `/classes/FlashSale/${saleId}`, undefined, { master: true })).soldCount;
  const deadline = Date.now() + 5_000;
  while ((await soldCount()) !== 0 && Date.now() < deadline) await sleep(100);
  expect(await soldCount()).toBe(0);
  expect(await server.find('CheckoutRecord', { idempotencyKey: key })).toEqual([]);
  const [buyerRow] = await server.find('SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: saleId } });
  expect(buyerRow.units).toBe(0);
  expect(await server.stockOf(productId)).toBe(10);

  const fresh = await server.run('checkout', { ...request, expectedTotal: 30 }, { session: buyer });
  expect(fresh.total).toBe(30);
  expect(await soldCount()).toBe(2);
  expect(await server.stockOf(productId)).toBe(8);
});
