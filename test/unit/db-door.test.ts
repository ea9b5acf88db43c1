/**
 * Parse Server's private internals are reached through one door (cloud/edge/db.ts), imported only
 * by the modules that own an invariant, recovery, the record loaders and Live Query publishing; and
 * the door's updateOne refuses a condition that could match more than one row.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { assertUniqueKey, newObjectId } from '../../cloud/edge/db';

const CLOUD = path.resolve(__dirname, '..', '..', 'cloud');
const ALLOWED = [
  /^invariants\//,
  /^recovery\//,
  /^cart\/store\.ts$/, // the only writer of Cart rows
  /^edge\/(records|live|lock|save-checks)\.ts$/, // record loaders, Live Query publishing, the save lease, schema checks
  /^setup\/unique-indexes\.ts$/,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

test('only invariant owners, recovery, loaders and publishing import the database door', () => {
  const importers = files(CLOUD)
    .filter((file) => /from '(\.\.?\/)+(edge\/)?db'/.test(readFileSync(file, 'utf8')))
    .map((file) => path.relative(CLOUD, file));
  expect(importers.length).toBeGreaterThan(5);
  expect(importers.filter((file) => !ALLOWED.some((rule) => rule.test(file)))).toEqual([]);
  expect(files(CLOUD).some((file) => /require\(\s*'parse-server\/lib/.test(readFileSync(file, 'utf8')))).toBe(false);
});

test.each([
  ['Inventory', { product: { __type: 'Pointer', className: 'Product', objectId: 'p1' }, stock: { $gte: 1 } }],
  ['Order', { objectId: 'o1', status: 'paid' }],
  ['SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: 's' }, user: { __type: 'Pointer', className: '_User', objectId: 'u' } }],
  ['Lock', { key: 'k' }],
])('updateOne(%s) accepts a condition that pins one row', (className, where) => {
  expect(() => assertUniqueKey(className, where)).not.toThrow();
});

test.each([
  ['Inventory', { stock: { $gte: 1 } }],
  ['Order', { status: 'paid' }],
  ['Order', { objectId: { $in: ['a', 'b'] } }],
  ['SaleBuyer', { sale: { __type: 'Pointer', className: 'FlashSale', objectId: 's' } }],
  ['Inventory', { product: { $in: [] } }],
])('updateOne(%s) refuses %j: it could update every matching row', (className, where) => {
  expect(() => assertUniqueKey(className, where)).toThrow(/needs objectId or a unique key/);
});

test('newObjectId gives 10 alphanumerics, distinct across many refills of its random bytes', () => {
  const ids = Array.from({ length: 5_000 }, newObjectId);
  for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{10}$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect(new Set(ids.map((id) => id[0])).size).toBeGreaterThan(50); // every position draws from the whole alphabet
});
