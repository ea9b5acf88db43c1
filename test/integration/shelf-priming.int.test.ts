/**
 * The first checkouts of a product this process has not seen (cloud/edge/records.ts
 * shelfWhenKnown): however many arrive at once, its shelf is read once for all of them, and each
 * then has the shelf from what that read left known. Run in-process against a real Parse Server
 * and PostgreSQL.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { insertOne } from '../../cloud/edge/db';
import { shelfWhenKnown } from '../../cloud/edge/records';
import { pointerTo } from '../../cloud/edge/rows';
import { type InProcessParse, startInProcessParse } from '../helpers/in-process-parse';
import { statementCounter } from '../helpers/server';

let parse: InProcessParse;
beforeAll(async () => {
  parse = await startInProcessParse('shelf-priming');
});
afterAll(() => parse?.stop());

test('twenty checkouts arriving at once on a product this process has not seen read its shelf once', async () => {
  const product = await insertOne('Product', { name: 'Cold phone', price: 10, active: true, ACL: {} });
  await insertOne('Inventory', { product: pointerTo('Product', product.objectId), stock: 50, received: 50, version: 1, holds: [], ACL: {} });
  const counter = await statementCounter(parse);
  try {
    const before = await counter.count();
    const shelves = await Promise.all(Array.from({ length: 20 }, () => shelfWhenKnown([{ productId: product.objectId, quantity: 1 }])));
    expect(shelves.map((found) => found?.shelf.stocks.get(product.objectId))).toEqual(Array(20).fill(50));
    expect((await counter.count()) - before).toBe(1);
  } finally {
    await counter.close();
  }
});
