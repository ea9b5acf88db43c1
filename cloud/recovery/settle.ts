/**
 * Settling a checkout whose owner died (SPEC 6, prompt recovery). The record names what the
 * checkout may touch; recovery reads only those rows. A checkout whose orders and charges all
 * exist is completed (its result stored for retries to replay); any other is rolled back: its
 * orders are cancelled (refunded if charged) and each counter it changed comes back through the
 * hold written with the change, exactly once however many processes settle at the same time.
 */
import { type Cents, fromCents, toCents } from '../domain/money';
import { Code, isParseError } from '../edge/errors';
import { toSaleTerms } from '../edge/records';
import { findRows } from '../edge/db';
import { type Row } from '../edge/rows';
import { shopConfig } from '../../parse-config';
import { orderJSON } from '../checkout/order-fields';
import {
  type CheckoutTouches,
  completeCheckout,
  isRunningHere,
  pendingCheckoutsBefore,
  pendingCheckoutsOf,
  releaseCheckoutKey,
  takeOverCheckout,
} from '../invariants/checkout-keys';
import { findCode, releaseCodeHold, releaseCodeUse, releaseRedemption } from '../invariants/code-uses';
import { releaseSaleHold, releaseSaleUnits } from '../invariants/sale-quota';
import { releaseHold, returnHeldStock } from '../invariants/stock';
import { cancelOrder } from '../orders/cancel';
import { forgetLease, isLive, lapsedLeases, myLease, NO_OWNER } from './lease';

export type Settled = 'completed' | 'rolled back' | 'skipped';

export interface RecoveryReport {
  completed: string[];
  rolledBack: string[];
  ordersCancelled: number;
  unitsReturned: number;
}

const emptyReport = (): RecoveryReport => ({ completed: [], rolledBack: [], ordersCancelled: 0, unitsReturned: 0 });

/** What recovery tells retries: the same view a live checkout returns, rebuilt from its orders. */
function resultFromOrders(checkoutId: string, orders: Row[]) {
  const subtotal: Cents = orders.reduce((sum, o) => sum + (toCents(o.unitPrice) ?? 0) * o.quantity, 0);
  const total: Cents = orders.reduce((sum, o) => sum + (toCents(o.amount) ?? 0), 0);
  return {
    checkoutId,
    orders: orders.map(orderJSON),
    subtotal: fromCents(subtotal),
    discount: fromCents(subtotal - total),
    total: fromCents(total),
    currency: shopConfig().currency,
  };
}

/** Orders in the order of the lines, when every line has its standing order and every paid one its charge. */
function completeOrders(touches: CheckoutTouches, orders: Row[], charged: Set<string>): Row[] | null {
  const standing = orders.filter((o) => o.status !== 'cancelled');
  if (standing.length !== orders.length || standing.length !== touches.lines.length) return null;
  const inLineOrder = touches.lines.map((line) => standing.find((o) => o.product.objectId === line.productId));
  if (inLineOrder.some((o) => !o)) return null;
  if (standing.some((o) => o.status === 'paid' && !charged.has(o.objectId))) return null;
  return inLineOrder as Row[];
}

async function saleTermsOf(touches: CheckoutTouches) {
  const ids = [...new Set(touches.lines.map((line) => line.saleId).filter((id): id is string => id !== null))];
  const rows = ids.length === 0 ? [] : await findRows('FlashSale', { objectId: { $in: ids } }, { limit: ids.length });
  return new Map(rows.map((row) => [row.objectId, toSaleTerms(row)]));
}

/** Drops the holds of a checkout whose orders stand: what it took now belongs to them. */
async function dropHolds(checkoutId: string, touches: CheckoutTouches): Promise<void> {
  await Promise.all(
    touches.lines.flatMap((line) => [
      releaseHold(line.productId, checkoutId, line.quantity),
      ...(line.saleId ? [releaseSaleHold(line.saleId, checkoutId, line.quantity)] : []),
    ]),
  );
  const code = touches.code ? await findCode(touches.code) : null;
  if (code) await releaseCodeHold(code, checkoutId);
}

async function rollBack(checkoutId: string, userId: string, touches: CheckoutTouches, orders: Row[], report: RecoveryReport): Promise<void> {
  for (const order of orders.filter((o) => o.status !== 'cancelled')) {
    // What the order took comes back through the holds below, so the cancel gives back nothing itself.
    try {
      await cancelOrder(order, { held: true });
      report.ordersCancelled++;
    } catch (error) {
      if (!isParseError(error, Code.StatusChangeRefused)) throw error; // cancelled meanwhile
    }
  }
  const sales = await saleTermsOf(touches);
  for (const line of touches.lines) {
    if (await returnHeldStock(line.productId, checkoutId, line.quantity)) report.unitsReturned += line.quantity;
    const sale = line.saleId ? sales.get(line.saleId) : undefined;
    if (sale) await releaseSaleUnits(sale, userId, line.quantity, checkoutId);
  }
  if (touches.code) {
    const code = await findCode(touches.code);
    if (code) await releaseCodeUse(code, userId, checkoutId);
    else await releaseRedemption(touches.code, userId, checkoutId);
  }
  await releaseCheckoutKey(checkoutId);
}

/**
 * Settles one pending checkout whose owner is gone: takes it over (one process wins), then
 * completes or rolls it back. A checkout recorded before records named what they touch is rolled
 * back only as far as its orders show.
 */
export async function settleCheckout(record: Row, report: RecoveryReport = emptyReport()): Promise<Settled> {
  const taken = await takeOverCheckout(record);
  if (!taken) return 'skipped';
  const checkoutId = record.objectId;
  const [orders, charges] = await Promise.all([
    findRows('Order', { checkoutId }, { limit: 100 }),
    findRows('Transaction', { checkoutId, type: 'charge' }, { limit: 100, keys: ['order'] }),
  ]);
  const touches: CheckoutTouches = record.touches ?? { lines: orders.map((o) => ({ productId: o.product.objectId, quantity: o.quantity, saleId: o.flashSale?.objectId ?? null })), code: orders[0]?.code ?? null };
  const standing = completeOrders(touches, orders, new Set(charges.map((c) => c.order.objectId)));
  if (standing) {
    await dropHolds(checkoutId, touches);
    await completeCheckout(checkoutId, resultFromOrders(checkoutId, standing));
    report.completed.push(checkoutId);
    return 'completed';
  }
  await rollBack(checkoutId, record.user.objectId, touches, orders, report);
  report.rolledBack.push(checkoutId);
  return 'rolled back';
}

/** Settles every pending checkout of processes whose lease lapsed, and of checkouts handed to recovery. */
export async function settleDeadOwners(): Promise<RecoveryReport> {
  const report = emptyReport();
  const me = await myLease();
  const lapsed = (await lapsedLeases()).filter((id) => id !== me);
  for (;;) {
    const records = await pendingCheckoutsOf([...lapsed, NO_OWNER]);
    for (const record of records) await settleCheckout(record, report);
    if (records.length < 100) break;
  }
  for (const id of lapsed) await forgetLease(id);
  return report;
}

/**
 * The recoverCheckouts job: settles pending checkouts older than `olderThanMs` whose owner is not
 * alive (also records written before they named an owner), and this process's own that it no
 * longer runs.
 */
export async function recoverCheckouts({ olderThanMs = 60_000 } = {}): Promise<RecoveryReport> {
  const report = await settleDeadOwners();
  const me = await myLease();
  const records = await pendingCheckoutsBefore(new Date(Date.now() - olderThanMs), 1000);
  for (const record of records) {
    const leftHere = record.owner === me && !isRunningHere(record.objectId); // e.g. Parse failed to insert an Order
    if (leftHere || (record.owner !== me && !(await isLive(record.owner)))) await settleCheckout(record, report);
  }
  return report;
}
