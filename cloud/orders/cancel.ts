/**
 * Cancelling an order gives back, exactly once, what its checkout took: the stock, the sale quota
 * and the buyer's sale count, the code's use once every order of the checkout is cancelled, and a
 * `refund` Transaction for a paid order. "Exactly once" comes from the status move: only the one
 * request whose conditional write moved the order gives anything back.
 */
import { hasStandingOrders, isCharged, loadSale } from '../edge/records';
import { pointerTo, type Row } from '../edge/rows';
import { claimCodeRelease } from '../invariants/checkout-keys';
import { findCode, releaseCodeUse } from '../invariants/code-uses';
import { moveOrderStatus } from '../invariants/order-status';
import { releaseSaleUnits } from '../invariants/sale-quota';
import { returnStock } from '../invariants/stock';
import { insertTransaction } from '../invariants/order-rows';

/** The code's use comes back when the last order of the checkout is cancelled, once (a flag on the record). */
async function releaseCodeIfCheckoutCancelled(order: Row): Promise<void> {
  if (await hasStandingOrders(order.checkoutId)) return;
  if (!(await claimCodeRelease(order.checkoutId))) return;
  const terms = await findCode(order.code);
  if (terms) await releaseCodeUse(terms, order.user.objectId);
}

/** A refund of minus the amount, for an order that was charged (a crashed checkout may not have been). */
async function refund(order: Row): Promise<void> {
  if (await isCharged(order.objectId)) await insertTransaction(order, 'refund');
}

/**
 * Cancels the order (as loaded) or refuses with 4030, then gives back what it took. The recovery
 * sweep passes `held` for orders whose checkout never completed: what they took comes back through
 * the checkout's holds instead (stock, sale units, the code's use), each once.
 */
export async function cancelOrder(order: Row, { held = false } = {}): Promise<Row> {
  const cancelled = await moveOrderStatus(order, 'cancelled');
  if (order.status === 'paid') await refund(order);
  if (held) return cancelled;
  await returnStock(order.product.objectId, order.quantity);
  if (order.flashSale) {
    const sale = await loadSale(order.flashSale.objectId);
    if (sale) await releaseSaleUnits(sale, order.user.objectId, order.quantity);
  }
  if (order.code) await releaseCodeIfCheckoutCancelled(order);
  return cancelled;
}
