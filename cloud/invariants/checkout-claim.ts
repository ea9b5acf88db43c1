/**
 * A whole checkout as one all-or-nothing write where the database can (PostgreSQL): the stock of
 * each line, the sale-price claims, the code's use, the orders and their charges, and the record,
 * completed with the result every retry replays. Each part is made by the module that owns its
 * invariant (stock.ts, sale-quota.ts, code-uses.ts, order-rows.ts, checkout-keys.ts), with the
 * same conditions as its step; this module only lands them together, then announces them. A
 * checkout landed this way never holds anything, so a crash leaves nothing for recovery.
 */
import type { CheckoutCtx } from '../checkout/context';
import { type BatchPart, canWriteAllOrNothing, writeAllOrNothing } from '../edge/db';
import { type CheckoutTouches, completedRecordPart } from './checkout-keys';
import { codeUseParts } from './code-uses';
import { orderParts } from './order-rows';
import { saleClaimParts, soldOutPart } from './sale-quota';
import { inWindow } from '../domain/sale-window';
import { stockTakePart } from './stock';

/** Whether checkouts can land in one write here (PostgreSQL); elsewhere they run as steps. */
export const canLandCheckout = canWriteAllOrNothing;

/**
 * Lands the priced checkout `ctx` (lines priced as their claims would price them) under `key`:
 * the result stored in its record (`resultOf` the checkout once its orders exist) when all of it
 * landed and its events were sent; null when any part would not hold (stock, quota, a limit, the
 * key taken), and nothing was written.
 */
export async function landCheckout<R>(ctx: CheckoutCtx, key: string, fingerprint: string, touches: CheckoutTouches, resultOf: (ctx: CheckoutCtx) => R): Promise<R | null> {
  const record = await completedRecordPart(ctx.userId, key, fingerprint, touches);
  ctx.checkoutId = record.checkoutId;
  const parts: BatchPart[] = [];
  for (const line of ctx.lines) {
    if (line.saleClaimed) {
      const claim = saleClaimParts(line.sale!, ctx.userId, line.quantity, ctx.now);
      if (!claim) return null;
      parts.push(...claim);
    } else if (line.sale && inWindow(line.sale, ctx.now)) {
      const soldOut = soldOutPart(line.sale, line.quantity); // the list price holds only while it does
      if (soldOut) parts.push(soldOut);
    }
    parts.push(stockTakePart(line.product.id, line.quantity));
  }
  if (ctx.code) parts.push(...codeUseParts(ctx.code, ctx.userId, ctx.now));
  parts.push(...orderParts(ctx));
  const result = resultOf(ctx);
  parts.push(record.part(result));

  // Updates and locking checks last, in the order made (a sale's row before its product's stock):
  // a counter row they lock (the sale's, the product's: every buyer's) stays locked until the
  // statement commits, so nothing else of the statement runs while it is held.
  const locks = (part: BatchPart) => part.write.kind === 'update' || (part.write.kind === 'check' && part.write.lock === true);
  const written = [...parts.filter((part) => !locks(part)), ...parts.filter(locks)];
  const rows = await writeAllOrNothing(written.map((part) => part.write));
  if (!rows) {
    ctx.orders = [];
    ctx.charges = [];
    return null;
  }
  for (const part of parts) {
    await Promise.resolve(part.announce?.(rows[written.indexOf(part)])).catch((error) => console.error('A Live Query publish failed', error));
  }
  return result;
}
