/**
 * Recovery of checkouts interrupted by a crash (SPEC section 6). A checkout whose record is still
 * pending long after it started is rolled back: its orders are cancelled (refunded if charged, sale
 * units and code use given back) and the stock it took comes back through its holds on the
 * Inventory rows, each exactly once. Holds of completed checkouts are dropped.
 */
import { dateValue, deleteWhere, findRows, type Row } from '../edge/server-internals';
import { Code, isParseError } from '../edge/errors';
import { parseHold, releaseHold, returnHeldStock } from '../invariants/stock';
import { cancelOrder } from '../orders/cancel';

/** A checkout takes well under a second; one pending this long belongs to a process that died. */
export const STALE_AFTER_MS = 60_000;

export interface RecoveryReport {
  rolledBack: string[];
  ordersCancelled: number;
  unitsReturned: number;
  holdsReleased: number;
}

async function rollBack(checkoutId: string, heldRows: Array<{ productId: string; quantity: number }>, report: RecoveryReport) {
  const orders = await findRows('Order', { checkoutId, status: { $ne: 'cancelled' } }, { limit: 100 });
  for (const order of orders) {
    try {
      await cancelOrder(order, { stockHeld: true });
      report.ordersCancelled++;
    } catch (error) {
      if (!isParseError(error, Code.StatusChangeRefused)) throw error;
    }
  }
  for (const { productId, quantity } of heldRows) {
    if (await returnHeldStock(productId, checkoutId, quantity)) report.unitsReturned += quantity;
  }
  await deleteWhere('CheckoutRecord', { objectId: checkoutId, state: 'pending' });
  report.rolledBack.push(checkoutId);
}

/** Rolls back checkouts pending for longer than `olderThanMs` and drops holds of completed ones. */
export async function recoverCheckouts({ olderThanMs = STALE_AFTER_MS } = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledBack: [], ordersCancelled: 0, unitsReturned: 0, holdsReleased: 0 };
  const cutoff = new Date(Date.now() - olderThanMs);

  // Every hold, by checkout: which products' units each checkout took.
  const holdsByCheckout = new Map<string, Array<{ productId: string; quantity: number }>>();
  const held: Row[] = await findRows('Inventory', { holds: { $exists: true } }, { limit: 10_000, keys: ['product', 'holds'] });
  for (const row of held) {
    for (const hold of (row.holds ?? []) as string[]) {
      const { checkoutId, quantity } = parseHold(hold);
      holdsByCheckout.set(checkoutId, [...(holdsByCheckout.get(checkoutId) ?? []), { productId: row.product.objectId, quantity }]);
    }
  }

  const stale = await findRows('CheckoutRecord', { state: 'pending', createdAt: { $lt: dateValue(cutoff) } }, { limit: 1000, keys: ['objectId'] });
  for (const { objectId } of stale) {
    await rollBack(objectId, holdsByCheckout.get(objectId) ?? [], report);
    holdsByCheckout.delete(objectId);
  }

  // Holds left by checkouts that completed (a crash between completing and dropping them).
  const ids = [...holdsByCheckout.keys()];
  const records = ids.length === 0 ? [] : await findRows('CheckoutRecord', { objectId: { $in: ids } }, { limit: ids.length, keys: ['state'] });
  for (const record of records.filter((r) => r.state === 'completed')) {
    for (const { productId, quantity } of holdsByCheckout.get(record.objectId)!) {
      await releaseHold(productId, record.objectId, quantity);
      report.holdsReleased++;
    }
  }
  return report;
}

let timer: NodeJS.Timeout | undefined;

/** Runs the recovery sweep now (a restart after a crash) and then every half minute. */
export function startRecoverySweep(): void {
  if (timer) return;
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    recoverCheckouts()
      .then((report) => report.rolledBack.length > 0 && console.warn(`Recovered interrupted checkouts: ${JSON.stringify(report)}`))
      .catch((error) => console.error('The checkout recovery sweep failed', error))
      .finally(() => (running = false));
  };
  setTimeout(sweep, 1_000).unref();
  timer = setInterval(sweep, STALE_AFTER_MS / 2);
  timer.unref();
}
