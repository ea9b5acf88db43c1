/** The server-set fields of an Order and its charge: one definition for checkout and POST /classes/Order. */
import { ADMIN_ROLE } from '../edge/access';
import { fromCents } from '../domain/money';
import type { CheckoutCtx, CheckoutLine } from './context';

const master = { useMasterKey: true } as const;

/** Owner and admins read; nobody but the server writes. */
export function ownerACL(user: Parse.User): Parse.ACL {
  const acl = new Parse.ACL();
  acl.setReadAccess(user.id!, true);
  acl.setRoleReadAccess(ADMIN_ROLE, true);
  return acl;
}

/** Sets the price snapshot, status and ownership of an order for one checkout line. */
export function fillOrder(order: Parse.Object, ctx: CheckoutCtx, line: CheckoutLine): Parse.Object {
  order.set({
    user: ctx.user,
    product: Parse.Object.extend('Product').createWithoutData(line.product.id),
    quantity: line.quantity,
    unitPrice: fromCents(line.unitCents),
    amount: fromCents(line.lineCents),
    status: ctx.paymentMode === 'auto' ? 'paid' : 'pending',
    checkoutId: ctx.checkoutId,
  });
  if (line.saleClaimed) order.set('flashSale', Parse.Object.extend('FlashSale').createWithoutData(line.sale!.id));
  if (ctx.paymentMode === 'manual') order.set('expiresAt', new Date(ctx.now.getTime() + ctx.pendingOrderTtlMs));
  order.setACL(ownerACL(ctx.user));
  return order;
}

/** The one `charge` Transaction of a paid order. */
export function chargeFor(order: Parse.Object, user: Parse.User): Parse.Object {
  const charge = new Parse.Object('Transaction');
  charge.set({
    user,
    product: order.get('product'),
    order,
    amount: order.get('amount'),
    checkoutId: order.get('checkoutId'),
    type: 'charge',
  });
  charge.setACL(ownerACL(user));
  return charge;
}

export async function saveCharges(orders: Parse.Object[], user: Parse.User): Promise<Parse.Object[]> {
  const paid = orders.filter((order) => order.get('status') === 'paid');
  return paid.length === 0 ? [] : Parse.Object.saveAll(paid.map((order) => chargeFor(order, user)), master);
}

export function orderJSON(order: Parse.Object) {
  return {
    id: order.id!,
    productId: order.get('product').id,
    quantity: order.get('quantity'),
    unitPrice: order.get('unitPrice'),
    amount: order.get('amount'),
    status: order.get('status'),
  };
}
