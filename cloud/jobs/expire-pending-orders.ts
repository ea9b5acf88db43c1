/**
 * Unpaid pending orders expire after PENDING_ORDER_TTL_MINUTES and are cancelled like any cancel.
 * Parse jobs never run on their own, so a timer in the server process sweeps; several processes may
 * sweep at once, and the conditional status move lets exactly one of them cancel each order.
 */
import { shopConfig } from '../../parse-config';
import { Code, isParseError } from '../edge/errors';
import { duePendingOrders } from '../edge/records';
import { dateValue } from '../edge/rows';
import { cancelOrder } from '../orders/cancel';
import { every } from './every';

const BATCH = 200;

/** Cancels every pending order whose deadline has passed at `now`. Returns how many this call cancelled. */
export async function expirePendingOrders(now = new Date()): Promise<number> {
  let cancelled = 0;
  for (;;) {
    const due = await duePendingOrders(now, BATCH);
    for (const order of due) {
      try {
        await cancelOrder(order);
        cancelled++;
      } catch (error) {
        // Another sweep, a cancel or a payment got there first.
        if (!isParseError(error, Code.StatusChangeRefused)) console.error(`Expiring order ${order.objectId} failed`, error);
      }
    }
    if (due.length < BATCH) return cancelled;
  }
}

/**
 * How often to sweep so that no order outlives its deadline by more than max(5 s, 10% of the TTL):
 * half that allowance, between 1 s and 60 s.
 */
export function sweepIntervalMs(ttlMs: number): number {
  const allowance = Math.max(5_000, ttlMs / 10);
  return Math.min(60_000, Math.max(1_000, Math.floor(allowance / 2)));
}

/** Starts this process's sweep timer. */
export function startExpirySweep(): void {
  every('pending-order', sweepIntervalMs(shopConfig().pendingOrderTtlMs), expirePendingOrders);
}
