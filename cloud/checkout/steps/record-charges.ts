import { deleteRows, insertCharges } from '../../invariants/order-rows';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** One `charge` Transaction per paid order (auto payment mode); undo removes them. */
export const recordChargesStep: Step<CheckoutCtx> = {
  name: 'record charges',
  async run(ctx) {
    await insertCharges(ctx);
  },
  async undo(ctx) {
    await deleteRows('Transaction', ctx.charges);
  },
};
