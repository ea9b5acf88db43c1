/**
 * The only code that changes Inventory.stock and Inventory.received. Every change is one
 * conditional atomic write in the database, never read-compute-write in Node, and every change is
 * published to Live Query subscribers of the Inventory row. Each stock change adds one to the row's
 * `version` in the same write, so subscribers can order its events (SPEC 9).
 */
import { catalogueACL } from '../edge/access';
import { addHold, holding, removeHold } from '../edge/holds';
import { Code, fail, isParseError } from '../edge/errors';
import { NEXT_VERSION, publishUpdate } from '../edge/live';
import { type BatchPart, findRows, updateOne } from '../edge/db';
import { type Row } from '../edge/rows';
import { stockHints } from '../edge/counter-hints';

const INVENTORY = 'Inventory';

function productPointer(productId: string) {
  return { __type: 'Pointer', className: 'Product', objectId: productId };
}

/** Creates the product's Inventory row with stock 0, exactly once (a unique index on product settles races). */
export async function createInventory(productId: string): Promise<void> {
  const row = new Parse.Object(INVENTORY);
  row.set({ product: Parse.Object.extend('Product').createWithoutData(productId), stock: 0, received: 0, version: 0 });
  row.setACL(catalogueACL());
  try {
    await row.save(null, { useMasterKey: true });
  } catch (error) {
    if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
  }
}

async function publishStock(productId: string, row: Row, stockChange: number, receivedChange: number) {
  const stock = Number(row.stock);
  stockHints.seen(productId, stock);
  const received = Number(row.received ?? 0);
  const version = Number(row.version);
  await publishUpdate(
    INVENTORY,
    { objectId: row.objectId, product: productPointer(productId), stock, received, version, updatedAt: row.updatedAt },
    { stock: stock - stockChange, received: received - receivedChange, version: version - 1 },
  ).catch((error) => console.error(`Live Query publish of Inventory ${row.objectId} failed`, error));
}

/** Adds `quantity` units received from a supplier. Returns the new stock; 101 when the product has no row. */
export async function addStock(productId: string, quantity: number): Promise<number> {
  const row = await updateOne(
    INVENTORY,
    { product: productPointer(productId) },
    { stock: { __op: 'Increment', amount: quantity }, received: { __op: 'Increment', amount: quantity }, ...NEXT_VERSION },
  );
  if (!row) fail(Code.NotFound, `Product ${productId} has no inventory row`);
  await publishStock(productId, row, quantity, quantity);
  return Number(row.stock);
}

/**
 * Takes `quantity` units or refuses with 4001; stock never goes below zero. With `checkoutId`, the
 * take is recorded as a hold on the row until the checkout completes. Returns the new stock.
 */
export async function takeStock(productId: string, quantity: number, productName = 'this product', checkoutId?: string): Promise<number> {
  const update: Record<string, unknown> = takeChange(quantity);
  if (checkoutId) update.holds = addHold(checkoutId, quantity);
  const row = await updateOne(INVENTORY, takeCondition(productId, quantity), update);
  if (!row) {
    const left = await stockOf(productId);
    fail(Code.OutOfStock, `Only ${left} left of ${productName}; you asked for ${quantity}.`);
  }
  await publishStock(productId, row, -quantity, 0);
  return Number(row.stock);
}

/** The product has `quantity` units to take. */
const takeCondition = (productId: string, quantity: number) => ({ product: productPointer(productId), stock: { $gte: quantity } });
const takeChange = (quantity: number) => ({ stock: { __op: 'Increment', amount: -quantity }, ...NEXT_VERSION });

/**
 * takeStock as a part of an all-or-nothing batch (checkout-claim.ts): the same condition and
 * change, without a hold, since the batch lands whole or not at all.
 */
export function stockTakePart(productId: string, quantity: number): BatchPart {
  return {
    write: {
      kind: 'update',
      className: INVENTORY,
      where: takeCondition(productId, quantity),
      update: takeChange(quantity),
      returning: ['stock', 'received', 'version', 'updatedAt'],
    },
    announce: (row) => publishStock(productId, row, -quantity, 0),
  };
}

/** Puts back units that were taken (a cancelled order). Returns the new stock. */
export async function returnStock(productId: string, quantity: number): Promise<number> {
  const row = await updateOne(
    INVENTORY,
    { product: productPointer(productId) },
    { stock: { __op: 'Increment', amount: quantity }, ...NEXT_VERSION },
  );
  if (!row) fail(Code.NotFound, `Product ${productId} has no inventory row`);
  await publishStock(productId, row, quantity, 0);
  return Number(row.stock);
}

/**
 * Puts back the units a checkout holds and drops its hold, in one conditional write: done at most
 * once however often it is called (an undo, the recovery sweep). Returns whether it did.
 */
export async function returnHeldStock(productId: string, checkoutId: string, quantity: number): Promise<boolean> {
  const row = await updateOne(
    INVENTORY,
    { product: productPointer(productId), holds: holding(checkoutId, quantity) },
    { stock: { __op: 'Increment', amount: quantity }, holds: removeHold(checkoutId, quantity), ...NEXT_VERSION },
  );
  if (row) await publishStock(productId, row, quantity, 0);
  return row !== null;
}

/** Drops a completed checkout's hold: its units now belong to its orders. */
export async function releaseHold(productId: string, checkoutId: string, quantity: number): Promise<void> {
  await updateOne(INVENTORY, { product: productPointer(productId), holds: holding(checkoutId, quantity) }, { holds: removeHold(checkoutId, quantity) });
}

/** The current stock of a product (0 when it has no row). For messages and reads, never for decisions. */
export async function stockOf(productId: string): Promise<number> {
  const [row] = await findRows(INVENTORY, { product: productPointer(productId) }, { limit: 1, keys: ['stock'] });
  return Number(row?.stock ?? 0);
}

/**
 * Sets stock to `expected` by an atomic increment, only if it is still `observed` (the reconcile
 * job's repair; a concurrent change makes it refuse, returning false, rather than overwrite).
 */
export async function correctStock(productId: string, observed: number, expected: number): Promise<boolean> {
  const delta = expected - observed;
  const row = await updateOne(
    INVENTORY,
    { product: productPointer(productId), stock: observed },
    { stock: { __op: 'Increment', amount: delta }, ...NEXT_VERSION },
  );
  if (row) await publishStock(productId, row, delta, 0);
  return row !== null;
}
