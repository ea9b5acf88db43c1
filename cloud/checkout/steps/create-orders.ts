import { fillOrder } from '../order-fields';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** One Order per line with the price snapshot; undo removes them (stock returns via take stock's undo). */
export const createOrdersStep: Step<CheckoutCtx> = {
  name: 'create orders',
  async run(ctx) {
    const orders = ctx.lines.map((line) => fillOrder(new Parse.Object('Order'), ctx, line));
    ctx.orders = await Parse.Object.saveAll(orders, { useMasterKey: true });
  },
  async undo(ctx) {
    if (ctx.orders.length > 0) await Parse.Object.destroyAll(ctx.orders, { useMasterKey: true });
  },
};
