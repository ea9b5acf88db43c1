import { deleteRows, insertOrders } from '../../invariants/order-rows';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** One Order per line with the price snapshot; undo removes them (stock returns via take stock's undo). */
export const createOrdersStep: Step<CheckoutCtx> = {
  name: 'create orders',
  async run(ctx) {
    await insertOrders(ctx);
  },
  async undo(ctx) {
    await deleteRows('Order', ctx.orders);
  },
};
