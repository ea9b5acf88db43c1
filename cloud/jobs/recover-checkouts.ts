/**
 * Recovery of checkouts interrupted by a crash (SPEC section 6). A checkout whose record is still
 * pending long after it started is rolled back: its orders are cancelled (refunded if charged), and
 * everything it took comes back through its holds, each exactly once: the stock (Inventory), the
 * sale units (FlashSale, and the buyer's count) and the code's use (Coupon or DiscountCode, and
 * the user's count). Holds of completed checkouts are dropped.
 */
import { Code, isParseError } from '../edge/errors';
import { holding, parseHold, removeHold } from '../edge/holds';
import { toSaleTerms } from '../edge/records';
import { dateValue, deleteWhere, findRows, type Row, updateWhere } from '../edge/server-internals';
import { releaseCodeHold, releaseCodeUse, releaseRedemption } from '../invariants/code-uses';
import { releaseBuyerUnits, releaseSaleHold, releaseSaleUnits } from '../invariants/sale-quota';
import { releaseHold, returnHeldStock } from '../invariants/stock';
import { cancelOrder } from '../orders/cancel';
import { every } from './every';

/** A checkout takes well under a second; one pending this long belongs to a process that died. */
export const STALE_AFTER_MS = 60_000;

export interface RecoveryReport {
  rolledBack: string[];
  ordersCancelled: number;
  unitsReturned: number;
  holdsReleased: number;
}

interface Held {
  row: Row;
  className: string;
  quantity: number;
}

/** Every hold on the rows that carry them, by checkout. */
async function holdsByCheckout(): Promise<Map<string, Held[]>> {
  const held = new Map<string, Held[]>();
  for (const className of ['Inventory', 'FlashSale', 'SaleBuyer', 'Coupon', 'DiscountCode', 'CodeRedemption']) {
    for (const row of await findRows(className, { holds: { $exists: true } }, { limit: 10_000 })) {
      for (const hold of (row.holds ?? []) as string[]) {
        const { checkoutId, quantity } = parseHold(hold);
        held.set(checkoutId, [...(held.get(checkoutId) ?? []), { row, className, quantity }]);
      }
    }
  }
  return held;
}

/** Undoes one held change of a rolled-back checkout; false when it was already undone. */
async function giveBack({ row, className, quantity }: Held, checkoutId: string, userId: string): Promise<boolean> {
  if (className === 'Inventory') return returnHeldStock(row.product.objectId, checkoutId, quantity);
  if (className === 'FlashSale') {
    await releaseSaleUnits(toSaleTerms(row), userId, quantity, checkoutId);
    return true;
  }
  // The user's counts: their holds come back even where the crash came before the sale's or code's claim.
  if (className === 'SaleBuyer') {
    await releaseBuyerUnits(row.sale.objectId, row.user.objectId, quantity, checkoutId);
    return true;
  }
  if (className === 'CodeRedemption') {
    await releaseRedemption(row.code, row.user.objectId, checkoutId);
    return true;
  }
  await releaseCodeUse({ id: row.objectId, kind: className as 'Coupon' | 'DiscountCode', code: row.code }, userId, checkoutId);
  return true;
}

async function dropHold({ row, className, quantity }: Held, checkoutId: string): Promise<void> {
  if (className === 'Inventory') return releaseHold(row.product.objectId, checkoutId, quantity);
  if (className === 'FlashSale') return releaseSaleHold(row.objectId, checkoutId, quantity);
  if (className === 'Coupon' || className === 'DiscountCode') return releaseCodeHold({ id: row.objectId, kind: className }, checkoutId);
  // SaleBuyer and CodeRedemption: a per-user row, dropped here rather than on the checkout's hot path.
  await updateWhere(className, { objectId: row.objectId, holds: holding(checkoutId, quantity) }, { holds: removeHold(checkoutId, quantity) });
}

async function rollBack(record: Row, held: Held[], report: RecoveryReport): Promise<void> {
  const checkoutId = record.objectId;
  for (const order of await findRows('Order', { checkoutId, status: { $ne: 'cancelled' } }, { limit: 100 })) {
    try {
      await cancelOrder(order, { held: true });
      report.ordersCancelled++;
    } catch (error) {
      if (!isParseError(error, Code.StatusChangeRefused)) throw error;
    }
  }
  for (const hold of held) {
    if ((await giveBack(hold, checkoutId, record.user.objectId)) && hold.className === 'Inventory') report.unitsReturned += hold.quantity;
  }
  await deleteWhere('CheckoutRecord', { objectId: checkoutId, state: 'pending' });
  report.rolledBack.push(checkoutId);
}

/** Rolls back checkouts pending for longer than `olderThanMs` and drops holds of completed ones. */
export async function recoverCheckouts({ olderThanMs = STALE_AFTER_MS } = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledBack: [], ordersCancelled: 0, unitsReturned: 0, holdsReleased: 0 };
  const held = await holdsByCheckout();
  const cutoff = new Date(Date.now() - olderThanMs);
  const stale = await findRows('CheckoutRecord', { state: 'pending', createdAt: { $lt: dateValue(cutoff) } }, { limit: 1000, keys: ['objectId', 'user'] });
  for (const record of stale) {
    await rollBack(record, held.get(record.objectId) ?? [], report);
    held.delete(record.objectId);
  }

  // Holds left by checkouts that completed (a crash between completing and dropping them).
  const ids = [...held.keys()];
  const records = ids.length === 0 ? [] : await findRows('CheckoutRecord', { objectId: { $in: ids } }, { limit: ids.length, keys: ['objectId', 'state'] });
  for (const record of records.filter((r) => r.state === 'completed')) {
    for (const hold of held.get(record.objectId)!) {
      await dropHold(hold, record.objectId);
      report.holdsReleased++;
    }
  }
  return report;
}

/** Runs the recovery sweep soon after start (a restart after a crash) and then every half minute. */
export function startRecoverySweep(): void {
  every(
    'checkout recovery',
    STALE_AFTER_MS / 2,
    async () => {
      const report = await recoverCheckouts();
      if (report.rolledBack.length > 0) console.warn(`Recovered interrupted checkouts: ${JSON.stringify(report)}`);
    },
    1_000,
  );
}
