import { saveCharges } from '../order-fields';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** One `charge` Transaction per paid order (auto payment mode); undo removes them. */
export const recordChargesStep: Step<CheckoutCtx> = {
  name: 'record charges',
  async run(ctx) {
    ctx.charges = await saveCharges(ctx.orders, ctx.user);
  },
  async undo(ctx) {
    if (ctx.charges.length > 0) await Parse.Object.destroyAll(ctx.charges, { useMasterKey: true });
  },
};
