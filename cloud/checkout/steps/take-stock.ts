import { returnHeldStock, takeStock } from '../../invariants/stock';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** One atomic take per product (lines are merged per product first), held for this checkout: 4001; undo puts units back. */
export const takeStockStep: Step<CheckoutCtx> = {
  name: 'take stock',
  async run(ctx) {
    for (const line of ctx.lines) {
      await takeStock(line.product.id, line.quantity, line.product.name, ctx.checkoutId);
      ctx.taken.push(line);
    }
  },
  async undo(ctx) {
    for (const line of ctx.taken) await returnHeldStock(line.product.id, ctx.checkoutId, line.quantity);
  },
};
