/**
 * POST /classes/Order with { product, quantity } (the flash-sale template's flow) is a one-line
 * checkout run by the same steps as the checkout function: the server sets everything else.
 * Parse's X-Parse-Request-Id idempotency answers a repeated request before this trigger runs.
 *
 * A beforeSave runs before the order has an objectId, and the charge must point to the order, so
 * the beforeSave runs the steps up to the order's insert (claims, stock, code) and Parse Server
 * inserts the order; the afterSave records the charge and completes the checkout. The checkout's
 * record stays pending until then: if the afterSave fails (Parse logs and swallows its errors) the
 * record is handed to recovery, and if the process dies its lease lapses; either way recovery
 * settles it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkoutContext, finishCheckout, runCheckoutSteps, shelfOrFailShort, stepsBeforeOrderInsert, touchesOf } from '../checkout';
import type { CheckoutCtx } from '../checkout/context';
import { orderFields, setFields } from '../checkout/order-fields';
import { recordChargesStep } from '../checkout/steps/record-charges';
import { requireUser } from '../edge/access';
import { failField } from '../edge/errors';
import { holdingEvents } from '../edge/live';
import { parseParams } from '../edge/params';
import { objectId, wholeNumber } from '../edge/schemas';
import { claimCheckoutKey, finishedHere, handOffCheckout } from '../invariants/checkout-keys';
import { afterSave, beforeSave } from '../edge/report';

const SERVER_FIELDS = ['user', 'unitPrice', 'amount', 'status', 'flashSale', 'code', 'checkoutId', 'expiresAt'];
const OrderRequest = z.object({
  product: z.object({ __type: z.literal('Pointer'), className: z.literal('Product', { message: 'must point to a Product' }), objectId }, { message: 'is required (a Product pointer)' }),
  quantity: wholeNumber(1, 99),
});
const CHECKOUT = 'orderCheckout';

beforeSave('Order', async (req) => {
  if (req.master) return; // our own checkout and status changes
  const order = req.object;
  if (req.original) failField('status', 'orders change only through cancelOrder and updateOrderStatus');
  const user = requireUser(req);
  const serverField = order.dirtyKeys().find((key) => SERVER_FIELDS.includes(key));
  if (serverField) failField(serverField, 'is set by the server; send only product and quantity');
  const { product, quantity } = parseParams(OrderRequest, { product: order.get('product')?.toPointer?.(), quantity: order.get('quantity') });

  const lines = [{ productId: product.objectId, quantity }];
  const now = new Date();
  const { shelf } = await shelfOrFailShort(lines, now, null);
  const ctx = checkoutContext(user.id!, lines, now, null, shelf);
  const key = `order:${(req.headers['x-parse-request-id'] as string | undefined) ?? randomUUID()}`;
  const claim = await claimCheckoutKey(user.id!, key, key, touchesOf(ctx));
  if (claim.kind === 'replay') failField('product', 'this request was already handled');
  ctx.checkoutId = claim.checkoutId;
  await runCheckoutSteps(stepsBeforeOrderInsert, ctx);
  setFields(order, orderFields(ctx, ctx.lines[0]));
  req.context[CHECKOUT] = ctx;
  // Parse Server inserts the order now; should that fail, recovery finds the record left behind.
  finishedHere(ctx.checkoutId);
});

afterSave('Order', async (req) => {
  const ctx = req.context[CHECKOUT] as CheckoutCtx | undefined;
  if (!ctx || req.original) return;
  ctx.orders = [{ ...req.object.toJSON(), objectId: req.object.id! }];
  try {
    await holdingEvents(ctx.events, () => recordChargesStep.run(ctx));
    await finishCheckout(ctx);
  } catch (error) {
    await handOffCheckout(ctx.checkoutId).catch(() => undefined); // the lease's lapse covers this too
    throw error;
  }
});
