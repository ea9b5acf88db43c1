/** The server-set fields of an Order and its charge: one definition for checkout and POST /classes/Order. */
import { fromCents, toCents } from '../domain/money';
import { ADMIN_ROLE } from '../edge/access';
import { dateValue, pointerTo, type Row } from '../edge/rows';
import type { CheckoutCtx, CheckoutLine } from './context';

/** Owner and admins read; nobody but the server writes. */
export function ownerACL(userId: string) {
  return { [userId]: { read: true }, [`role:${ADMIN_ROLE}`]: { read: true } };
}

/** An order for one checkout line (REST format): price snapshot, status, ownership. */
export function orderFields(ctx: CheckoutCtx, line: CheckoutLine): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    user: pointerTo('_User', ctx.userId),
    product: pointerTo('Product', line.product.id),
    quantity: line.quantity,
    unitPrice: fromCents(line.unitCents),
    amount: fromCents(line.lineCents - line.discountCents),
    status: ctx.paymentMode === 'auto' ? 'paid' : 'pending',
    checkoutId: ctx.checkoutId,
    ACL: ownerACL(ctx.userId),
  };
  if (line.saleClaimed) fields.flashSale = pointerTo('FlashSale', line.sale!.id);
  if (ctx.code) fields.code = ctx.code.code;
  if (ctx.paymentMode === 'manual') fields.expiresAt = dateValue(new Date(ctx.now.getTime() + ctx.pendingOrderTtlMs));
  return fields;
}

/** Sets REST-format fields on a Parse.Object (the order a client is creating through POST /classes/Order). */
export function setFields(object: Parse.Object, fields: Record<string, unknown>): void {
  const decode = (Parse as unknown as { _decode(key: string | null, value: unknown): unknown })._decode;
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'ACL') object.setACL(new Parse.ACL(value as Record<string, { read?: boolean; write?: boolean }>));
    else object.set(key, decode(null, value));
  }
}

export function orderJSON(order: Row) {
  return {
    id: order.objectId,
    productId: order.product.objectId,
    quantity: order.quantity,
    unitPrice: order.unitPrice,
    amount: order.amount,
    status: order.status,
  };
}
