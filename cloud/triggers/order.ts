/**
 * POST /classes/Order with { product, quantity } (the flash-sale template's flow) is a one-line
 * checkout with the same rules: the server sets everything else. Parse's X-Parse-Request-Id
 * idempotency answers a repeated request before this trigger runs.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkoutContext, finishCheckout, stocksOrFailShort } from '../checkout';
import type { CheckoutCtx } from '../checkout/context';
import { insertCharges, orderFields, setFields } from '../checkout/order-fields';
import { runSteps } from '../checkout/run-steps';
import { claimSaleUnitsStep } from '../checkout/steps/claim-sale-units';
import { takeStockStep } from '../checkout/steps/take-stock';
import { requireUser } from '../edge/access';
import { failField } from '../edge/errors';
import { parseParams } from '../edge/params';
import { objectId, wholeNumber } from '../edge/schemas';
import { claimCheckoutKey, releaseCheckoutKey } from '../invariants/checkout-keys';
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
  const { stocks } = await stocksOrFailShort(lines, async () => null);
  const ctx = await checkoutContext(user.id!, lines, new Date(), null, stocks);
  const key = `order:${(req.headers['x-parse-request-id'] as string | undefined) ?? randomUUID()}`;
  const claim = await claimCheckoutKey(user.id!, key, key);
  if (claim.kind === 'replay') failField('product', 'this request was already handled');
  ctx.checkoutId = claim.checkoutId;
  try {
    await runSteps([claimSaleUnitsStep, takeStockStep], ctx);
  } catch (error) {
    await releaseCheckoutKey(claim.checkoutId).catch((e) => console.error('Releasing a checkout key failed', e));
    throw error;
  }
  setFields(order, orderFields(ctx, ctx.lines[0]));
  req.context[CHECKOUT] = ctx;
});

afterSave('Order', async (req) => {
  const ctx = req.context[CHECKOUT] as CheckoutCtx | undefined;
  if (!ctx || req.original) return;
  ctx.orders = [{ ...req.object.toJSON(), objectId: req.object.id! }];
  await insertCharges(ctx);
  await finishCheckout(ctx);
});
