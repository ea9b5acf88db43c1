/**
 * SPEC 12: on PostgreSQL a checkout is one statement once the buyer's session, the product's
 * definitions and its counters are known to the process (the sale price claimed, the stock taken,
 * the per-user units, the order, its charge and the completed record); when the process has not
 * seen the counters, one read comes first; run as steps, as on MongoDB, it is several times that.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { type Session, startTestServer, type TestServer } from '../helpers/server';

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.stop())));

/** Statements the checkout's own requests made: the server's timers (leases, sweeps) left out. */
async function statementsOf(server: TestServer, work: () => Promise<unknown>): Promise<string[]> {
  const client = new pg.Client({ connectionString: server.databaseURI });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // This database's statements only: other test files count theirs at the same time.
    await client.query('SELECT pg_stat_statements_reset(0::oid, (SELECT oid FROM pg_database WHERE datname = current_database()), 0::bigint)');
    await work();
    const { rows } = await client.query(
      `SELECT calls, query FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'
         AND query NOT ILIKE '%"ProcessLease"%' AND query NOT ILIKE '%"expiresAt" <=%' AND query NOT ILIKE '%FROM "CheckoutRecord" WHERE "state"%'
         AND query NOT ILIKE '%"_SCHEMA"%'`,
    );
    return rows.flatMap((row) => Array(Number(row.calls)).fill(row.query));
  } finally {
    await client.end();
  }
}

describe.each<{ path: string; env: Record<string, string>; most: number }>([
  { path: 'in one statement', env: {}, most: 1 },
  { path: 'as steps', env: { TEST_CHECKOUT_IN_STEPS: '1' }, most: Infinity },
])('a checkout $path', ({ env, most }) => {
  test('with a live sale, a known session and cached definitions', async () => {
    const server = await startTestServer(env);
    servers.push(server);
    const productId = await server.product({ price: 100, stock: 10 });
    await server.sale(productId, { discount: 20, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000), quantityLimit: 10, perUserLimit: 10 });
    const buyer: Session = await server.signUp();
    const buy = (key: string) => server.run('checkout', { idempotencyKey: key, items: [{ productId, quantity: 1 }] }, { session: buyer });
    await buy('statements-warm-up'); // the session and the product's definitions are now cached

    // The fewest of three: a timer's statement can land inside any one measurement.
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const statements = await statementsOf(server, async () => {
        const result = await buy(`statements-${i}-${Date.now()}`);
        expect(result.orders).toMatchObject([{ unitPrice: 80, quantity: 1 }]);
      });
      counts.push(statements.length);
    }
    if (most === 1) expect(Math.min(...counts)).toBe(1);
    else expect(Math.min(...counts)).toBeGreaterThanOrEqual(8);
  });
});

test('a counter gone stale behind this process costs one refused write, then the read answers; after that only the read', async () => {
  const server = await startTestServer();
  servers.push(server);
  const productId = await server.product({ price: 100, stock: 10 });
  const buyer: Session = await server.signUp();
  const buy = (key: string) => server.run('checkout', { idempotencyKey: key, items: [{ productId, quantity: 1 }] }, { session: buyer });
  await buy('counters-warm-up');
  // A restock through the database alone (another process, a repair) leaves this one's counter behind.
  const client = new pg.Client({ connectionString: server.databaseURI });
  await client.connect();
  await client.query(`UPDATE "Inventory" SET stock = 0 WHERE product = $1`, [productId]);
  await client.end();
  await expect(buy('counters-sold-out')).rejects.toMatchObject({ code: 4001 }); // the write refused, the read says why
  const statements = await statementsOf(server, () => expect(buy('counters-still-sold-out')).rejects.toMatchObject({ code: 4001 }));
  expect(statements).toHaveLength(1); // the counter it now knows says "sold out": only the read
});

test('a sale quota this process saw used up prices at the list price only while it still is: units given back elsewhere sell at the sale price', async () => {
  const server = await startTestServer();
  servers.push(server);
  const productId = await server.product({ price: 100, stock: 10 });
  const saleId = await server.sale(productId, { discount: 20, startTime: new Date(Date.now() - 60_000), endTime: new Date(Date.now() + 3_600_000), quantityLimit: 1, perUserLimit: 5 });
  const [first, second, third] = await server.users(3);
  const buy = (session: Session, key: string) => server.run('checkout', { idempotencyKey: key, items: [{ productId, quantity: 1 }] }, { session });
  expect((await buy(first, 'quota-first')).orders[0].unitPrice).toBe(80); // the quota's one unit: now used up
  expect((await buy(second, 'quota-second')).orders[0].unitPrice).toBe(100);
  // Another process gives the unit back (a cancel there): this one's counter still says used up.
  const client = new pg.Client({ connectionString: server.databaseURI });
  await client.connect();
  await client.query(`UPDATE "FlashSale" SET "soldCount" = 0 WHERE "objectId" = $1`, [saleId]);
  await client.end();
  expect((await buy(third, 'quota-third')).orders[0].unitPrice).toBe(80);
});

/** Buyers whose sessions the server knows: each bought once from a product of its own first. */
async function knownBuyers(server: TestServer, count: number): Promise<Session[]> {
  const buyers = await server.users(count, 'known');
  const warmUpId = await server.product({ price: 1, stock: count });
  await Promise.all(buyers.map((session, i) => server.run('checkout', { idempotencyKey: `known-buyer-${i}`, items: [{ productId: warmUpId, quantity: 1 }] }, { session })));
  return buyers;
}

test('at a product\'s last units, checkouts wait for this process\'s own in flight: each refusal costs one read, made once they landed', async () => {
  const server = await startTestServer();
  servers.push(server);
  const buyers = await knownBuyers(server, 30);
  const productId = await server.product({ price: 100, stock: 3 });
  await server.run('catalog', {}); // the product and its stock are now known to the process
  const statements = await statementsOf(server, async () => {
    const answers = await Promise.allSettled(buyers.map((session, i) => server.run('checkout', { idempotencyKey: `last-units-${i}`, items: [{ productId, quantity: 1 }] }, { session })));
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(3);
    expect(answers.flatMap((answer) => (answer.status === 'rejected' ? [answer.reason.code] : []))).toEqual(Array(27).fill(4001));
  });
  // 3 writes and 27 reads (and a timer's statement or two); a refusal that read the stock before
  // the last units landed would read it again.
  expect(statements.length).toBeLessThanOrEqual(3 + 27 + 3);
});
