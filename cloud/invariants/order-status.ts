/**
 * The only writer of Order.status after checkout. A move is one conditional write (`where status =
 * from`), so of any number of racing moves (cancels, expiry, webhooks) exactly one wins; a lost race
 * is 4030. The owner's Live Query subscription sees the change.
 */
import { canMove, type OrderStatus } from '../domain/order-status';
import { Code, fail } from '../edge/errors';
import { publishUpdate } from '../edge/live';
import { updateOne } from '../edge/db';
import { type Row } from '../edge/rows';

export function refuseMove(from: string, to: string): never {
  fail(Code.StatusChangeRefused, `This order is ${from}; it cannot become ${to}.`);
}

/** Moves `order` (as loaded) to `to`, or refuses with 4030. Returns the order as it is now. */
export async function moveOrderStatus(order: Row, to: OrderStatus): Promise<Row> {
  const from = order.status as OrderStatus;
  if (!canMove(from, to)) refuseMove(from, to);
  const row = await updateOne('Order', { objectId: order.objectId, status: from }, { status: to });
  if (!row) refuseMove('no longer ' + from, to);
  const moved = { ...order, status: to, updatedAt: new Date().toISOString() };
  publishUpdate('Order', moved, { status: from }).catch((error) => console.error(`Live Query publish of Order ${order.objectId} failed`, error));
  return moved;
}
