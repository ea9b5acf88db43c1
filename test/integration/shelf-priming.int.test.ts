/**
 * The first checkouts of a product this process has not seen (cloud/edge/records.ts
 * shelfWhenKnown): however many arrive at once, its shelf is read once for all of them, and each
 * then has the shelf from what that read left known. Run in-process against a real Parse Server
 * and PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { insertOne } from '../../cloud/edge/db';
import { shelfWhenKnown } from '../../cloud/edge/records';
import { pointerTo } from '../../cloud/edge/rows';
import { type InProcessParse, startInProcessParse } from '../helpers/in-process-parse';

let parse: InProcessParse;
beforeAll(async () => {
  parse = await startInProcessParse('shelf-priming');
});
afterAll(() => parse?.stop());

test('twenty checkouts arriving at once on a product this process has not seen read its shelf once', async () => {
  const product = await insertOne('Product', { name: 'Cold phone', price: 10, active: true, ACL: {} });
  await insertOne('Inventory', { product: pointerTo('Product', product.objectId), stock: 50, received: 50, version: 1, holds: [], ACL: {} });
  const client = new pg.Client({ connectionString: parse.databaseURI });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // This database's statements only: other test files count theirs at the same time.
    await client.query('SELECT pg_stat_statements_reset(0::oid, (SELECT oid FROM pg_database WHERE datname = current_database()), 0::bigint)');
    const shelves = await Promise.all(Array.from({ length: 20 }, () => shelfWhenKnown([{ productId: product.objectId, quantity: 1 }])));
    expect(shelves.map((found) => found?.shelf.stocks.get(product.objectId))).toEqual(Array(20).fill(50));
    const { rows } = await client.query(
      `SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query ILIKE '%"Inventory"%' AND query NOT ILIKE '%pg_stat_statements%'`,
    );
    expect(rows[0].calls).toBe(1);
  } finally {
    await client.end();
  }
});
