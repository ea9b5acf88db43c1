import { isAdmin, requireUser } from '../edge/access';
import { Code, fail } from '../edge/errors';
import { parseParams } from '../edge/params';
import { defineFunction } from '../edge/report';
import { loadOrder } from '../edge/records';
import { type Row } from '../edge/rows';
import { orderJSON } from '../checkout/order-fields';
import { insertTransaction } from '../invariants/order-rows';
import { moveOrderStatus } from '../invariants/order-status';
import { cancelOrder } from '../orders/cancel';
import { CancelOrder, UpdateOrderStatus } from './params';

async function orderOrNotFound(orderId: string): Promise<Row> {
  const order = await loadOrder(orderId);
  if (!order) fail(Code.NotFound, `No order with id ${orderId}`);
  return order;
}

/** The order as the functions return it: checkout's view of it, with its code and checkout. */
function orderView(order: Row) {
  return { ...orderJSON(order), code: order.code ?? null, checkoutId: order.checkoutId };
}

// The owner cancels while pending or paid; an admin cancels before it ships (the same statuses).
defineFunction('cancelOrder', async (req) => {
  if (!req.master) requireUser(req);
  const { orderId } = parseParams(CancelOrder, req.params);
  const order = await orderOrNotFound(orderId);
  const isOwner = order.user?.objectId === req.user?.id;
  if (!isOwner && !(await isAdmin(req))) fail(Code.Forbidden, 'You can cancel only your own orders.');
  return orderView(await cancelOrder(order));
});

// Admins move orders along (shipped, delivered); the master key is how a payment provider's webhook
// marks a pending order paid, which records its charge.
defineFunction('updateOrderStatus', async (req) => {
  if (!req.master) requireUser(req);
  if (!(await isAdmin(req))) fail(Code.Forbidden, 'Only an admin or the payment webhook (master key) can change an order’s status.');
  const { orderId, status } = parseParams(UpdateOrderStatus, req.params);
  const order = await orderOrNotFound(orderId);
  if (status === 'cancelled') return orderView(await cancelOrder(order));
  const moved = await moveOrderStatus(order, status);
  if (order.status === 'pending' && status === 'paid') await insertTransaction(order, 'charge');
  return orderView(moved);
});
