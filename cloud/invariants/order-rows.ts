/**
 * The only writer of Order and Transaction rows (status moves aside, see order-status.ts): the
 * orders of a checkout, their charges, refunds, and the removal of a failed checkout's orders.
 * Transactions are append-only: nothing here updates one.
 */
import { fromCents, toCents } from '../domain/money';
import { ownerACL, orderFields } from '../checkout/order-fields';
import type { CheckoutCtx } from '../checkout/context';
import { type BatchPart, deleteWhere, insertOne, newRow } from '../edge/db';
import { publishCreate } from '../edge/live';
import { pointerTo, type Row } from '../edge/rows';

/** Inserts the orders and tells Live Query subscribers (the owner) about them. */
export async function insertOrders(ctx: CheckoutCtx): Promise<Row[]> {
  const orders: Row[] = [];
  for (const line of ctx.lines) {
    const order = await insertOne('Order', orderFields(ctx, line));
    orders.push(order);
    ctx.orders.push(order);
    publishCreate('Order', order).catch((error) => console.error('Live Query publish of a new Order failed', error));
  }
  return orders;
}

/**
 * The checkout's orders and the charges of the paid ones (in ctx.orders and ctx.charges) as parts
 * of an all-or-nothing batch (checkout-claim.ts); each order is announced once the batch landed.
 */
export function orderParts(ctx: CheckoutCtx): BatchPart[] {
  ctx.orders = ctx.lines.map((line) => newRow(orderFields(ctx, line)));
  ctx.charges = ctx.orders.filter((order) => order.status === 'paid').map((order) => newRow(transactionFields(order, 'charge')));
  return [
    ...ctx.orders.map((order) => ({ write: { kind: 'insert', className: 'Order', row: order }, announce: () => publishCreate('Order', order) }) as BatchPart),
    ...ctx.charges.map((charge) => ({ write: { kind: 'insert', className: 'Transaction', row: charge } }) as BatchPart),
  ];
}

/** A Transaction for an order (as a row): its `charge` of the amount, or a `refund` of minus it. */
export function insertTransaction(order: Row, type: 'charge' | 'refund'): Promise<Row> {
  return insertOne('Transaction', transactionFields(order, type));
}

function transactionFields(order: Row, type: 'charge' | 'refund'): Record<string, unknown> {
  return {
    user: order.user,
    product: order.product,
    order: pointerTo('Order', order.objectId),
    amount: type === 'charge' ? order.amount : fromCents(-(toCents(order.amount) ?? 0)),
    checkoutId: order.checkoutId,
    type,
    ACL: ownerACL(order.user.objectId),
  };
}

/** One `charge` Transaction per paid order. */
export async function insertCharges(ctx: CheckoutCtx): Promise<void> {
  for (const order of ctx.orders.filter((o) => o.status === 'paid')) ctx.charges.push(await insertTransaction(order, 'charge'));
}

export async function deleteRows(className: string, rows: Row[]): Promise<void> {
  if (rows.length > 0) await deleteWhere(className, { objectId: { $in: rows.map((row) => row.objectId) } });
}
