/**
 * The one-statement batches behind the database door (cloud/edge/sql-batch.ts): the encoding of
 * Parse's PostgreSQL columns, the guard that makes writes all-or-nothing, and reading rows back
 * into REST format. What PostgreSQL does with them is shown in db.contract.int.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { allOrNothingStatement, type FieldTypes, findsStatement, rowsFromJSON } from '../../cloud/edge/sql-batch';

const TYPES: Record<string, FieldTypes> = {
  Inventory: { product: { type: 'Pointer', targetClass: 'Product' }, stock: { type: 'Number' }, version: { type: 'Number' }, holds: { type: 'Array' } },
  Order: { user: { type: 'Pointer', targetClass: '_User' }, quantity: { type: 'Number' }, status: { type: 'String' }, expiresAt: { type: 'Date' }, touches: { type: 'Object' } },
};
const typesOf = (className: string) => TYPES[className];
const NOW = '2026-12-01T12:00:00.000Z';
const product = { __type: 'Pointer', className: 'Product', objectId: 'p1' };

describe('allOrNothingStatement', () => {
  const take = {
    kind: 'update' as const,
    className: 'Inventory',
    where: { product, stock: { $gte: 2 } },
    update: { stock: { __op: 'Increment', amount: -2 }, version: { __op: 'Increment', amount: 1 } },
    returning: ['stock'],
  };
  const order = {
    kind: 'insert' as const,
    className: 'Order',
    row: { objectId: 'o1', createdAt: NOW, updatedAt: NOW, user: { __type: 'Pointer', className: '_User', objectId: 'u1' }, quantity: 2, status: 'paid', touches: { a: 1 }, ACL: { u1: { read: true }, 'role:admin': { read: true } } },
  };

  test('each write is a CTE, and the statement divides by the product of their row counts', () => {
    const { text, values } = allOrNothingStatement([take, order], typesOf, NOW);
    expect(text).toMatch(/^WITH w0 AS \(UPDATE "Inventory" SET .* WHERE "Inventory"\."product" = \$\d+ AND "Inventory"\."stock" >= \$\d+ RETURNING "objectId", "stock"\), w1 AS \(INSERT INTO "Order" /);
    expect(text).toContain('SELECT 1 / ((SELECT count(*) FROM w0) * (SELECT count(*) FROM w1)) AS landed');
    // The update's returning columns come back as its row; the insert, which asked for none, as its objectId.
    expect(text).toContain('(SELECT row_to_json(w0) FROM w0) AS w0, (SELECT "objectId" FROM w1) AS w1');
    expect(text).toContain('"stock" = COALESCE("Inventory"."stock", 0) + $');
    expect(values).toContain('p1'); // a pointer is stored as its objectId
    expect(values).toContain(-2);
    expect(values).toContain(NOW); // updatedAt of the update
  });

  test('inserts encode ACLs as _rperm/_wperm, objects as jsonb, and keep values out of the text', () => {
    const { text, values } = allOrNothingStatement([order], typesOf, NOW);
    expect(text).toContain('"_rperm", "_wperm"');
    expect(text).toMatch(/::text\[\], \$\d+::text\[\]/);
    expect(values).toContainEqual(['u1', 'role:admin']);
    expect(values).toContainEqual([]);
    expect(values).toContain(JSON.stringify({ a: 1 }));
    expect(text).not.toContain('paid');
  });

  test('an upsert updates an existing row only where its condition holds', () => {
    const { text } = allOrNothingStatement(
      [{ kind: 'upsert', className: 'Order', row: { objectId: 'o2', quantity: 1 }, conflict: ['user', 'status'], update: { quantity: { __op: 'Increment', amount: 1 } }, where: { quantity: { $lte: 2 } } }],
      typesOf,
      NOW,
    );
    expect(text).toMatch(/ON CONFLICT \("user", "status"\) DO UPDATE SET "quantity" = COALESCE\("Order"\."quantity", 0\) \+ \$\d+, "updatedAt" = \$\d+::timestamptz WHERE "Order"\."quantity" <= \$\d+ RETURNING "objectId"/);
  });

  test('a check writes nothing and counts in the guard like a write', () => {
    const { text } = allOrNothingStatement([take, { kind: 'check', className: 'Inventory', where: { product, stock: { $lt: 5 } } }], typesOf, NOW);
    expect(text).toMatch(/w1 AS \(SELECT "objectId" FROM "Inventory" WHERE "Inventory"\."product" = \$\d+ AND "Inventory"\."stock" < \$\d+ LIMIT 1\)/);
    expect(text).toContain('(SELECT count(*) FROM w0) * (SELECT count(*) FROM w1)');
  });

  test('a locking check locks its row by objectId (FOR UPDATE), then asks the rest of its condition of the row as it is then', () => {
    const { text } = allOrNothingStatement([take, { kind: 'check', className: 'Inventory', where: { objectId: 'inv1', stock: { $lt: 5 } }, lock: true }], typesOf, NOW);
    expect(text).toMatch(
      /w1 AS \(SELECT "objectId" FROM \(SELECT \* FROM "Inventory" WHERE "Inventory"\."objectId" = \$\d+ OFFSET 0 FOR UPDATE\) AS "Inventory" WHERE "Inventory"\."stock" < \$\d+\)/,
    );
    expect(() => allOrNothingStatement([{ kind: 'check', className: 'Inventory', where: { product, stock: { $lt: 5 } }, lock: true }], typesOf, NOW)).toThrow(/needs the objectId/);
  });

  test('refuses what it cannot encode faithfully rather than guess', () => {
    const write = (update: Record<string, unknown>) => allOrNothingStatement([{ ...take, update }], typesOf, NOW);
    expect(() => write({ holds: { __op: 'Add', objects: ['x'] } })).toThrow(/operation Add is not supported/);
    expect(() => write({ color: 'red' })).toThrow(/Inventory\.color: field type \(not in the schema\)/);
    expect(() => write({ stock: { nested: 1 } })).toThrow(/is a Number/);
    expect(() => allOrNothingStatement([{ ...take, where: { stock: { $regex: 'x' } } }], typesOf, NOW)).toThrow(/condition \$regex is not supported/);
    expect(() => allOrNothingStatement([{ ...take, className: 'Inventory"; DROP TABLE x; --' }], () => TYPES.Inventory, NOW)).toThrow(/Not a column or class name/);
    expect(() => allOrNothingStatement([], typesOf, NOW)).toThrow(/at least one write/);
  });
});

describe('findsStatement and rowsFromJSON', () => {
  test('several finds, one statement; $in as = ANY of an array', () => {
    const { text, values } = findsStatement(
      [
        { className: 'Inventory', where: { product: { $in: [product] } }, limit: 1, keys: ['product', 'stock'] },
        { className: 'Order', where: { status: 'paid', expiresAt: { $gt: { __type: 'Date', iso: NOW } } }, limit: 5, sort: { expiresAt: 1 } },
      ],
      typesOf,
    );
    expect(text).toMatch(/^SELECT \(SELECT coalesce\(json_agg\(t\), '\[\]'::json\) FROM \(SELECT "objectId", "product", "stock" FROM "Inventory" WHERE "Inventory"\."product" = ANY\(\$1::text\[\]\) LIMIT \$2::int\) t\) AS f0, /);
    expect(text).toContain('ORDER BY "expiresAt" ASC LIMIT');
    expect(values).toEqual([['p1'], 1, 'paid', NOW, 5]);
  });

  test('rows come back as findRows gives them: pointers, dates and timestamps in REST format, no ACL columns', () => {
    const [row] = rowsFromJSON(
      [{ objectId: 'o1', user: 'u1', expiresAt: '2026-12-01T13:00:00.5+00:00', createdAt: '2026-12-01T12:00:00+00:00', quantity: 2, touches: { a: 1 }, status: null, _rperm: ['u1'] }],
      TYPES.Order,
    );
    expect(row).toEqual({
      objectId: 'o1',
      user: { __type: 'Pointer', className: '_User', objectId: 'u1' },
      expiresAt: { __type: 'Date', iso: '2026-12-01T13:00:00.500Z' },
      createdAt: '2026-12-01T12:00:00.000Z',
      quantity: 2,
      touches: { a: 1 },
    });
  });
});
