/**
 * The invariant of SPEC section 6, checked per product: stock + units in non-cancelled orders =
 * units ever put in stock (Inventory.received). Reports every product that breaks it and, with
 * `fix`, repairs the stock (an atomic increment, refused if the stock moved meanwhile).
 */
import { eachRow } from '../edge/records';
import { correctStock } from '../invariants/stock';

export interface BrokenProduct {
  productId: string;
  stock: number;
  received: number;
  unitsInOrders: number;
  /** What stock should be: received - unitsInOrders. */
  expectedStock: number;
  fixed?: boolean;
}

async function unitsInOpenOrders(): Promise<Map<string, number>> {
  const units = new Map<string, number>();
  await eachRow('Order', { status: { $ne: 'cancelled' } }, ['product', 'quantity'], (order) => {
    units.set(order.product.objectId, (units.get(order.product.objectId) ?? 0) + order.quantity);
  });
  return units;
}

export async function reconcileInventory({ fix = false } = {}): Promise<{ checked: number; broken: BrokenProduct[] }> {
  const units = await unitsInOpenOrders();
  const broken: BrokenProduct[] = [];
  let checked = 0;
  await eachRow('Inventory', {}, undefined, async (row) => {
    checked++;
    const productId = row.product.objectId;
    const unitsInOrders = units.get(productId) ?? 0;
    const expectedStock = (row.received ?? 0) - unitsInOrders;
    if (row.stock === expectedStock) return;
    const entry: BrokenProduct = { productId, stock: row.stock, received: row.received ?? 0, unitsInOrders, expectedStock };
    if (fix) entry.fixed = await correctStock(productId, row.stock, expectedStock);
    broken.push(entry);
  });
  return { checked, broken };
}
