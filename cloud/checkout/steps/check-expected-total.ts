import { fromCents } from '../../domain/money';
import { Code, fail } from '../../edge/errors';
import { type CheckoutCtx, totalCents } from '../context';
import type { Step } from '../run-steps';

/** 4003 before any stock is touched when the client's expected total is not the server's. */
export const checkExpectedTotalStep: Step<CheckoutCtx> = {
  name: 'check expected total',
  async run(ctx) {
    const total = totalCents(ctx);
    if (ctx.expectedTotalCents !== null && ctx.expectedTotalCents !== total) {
      fail(
        Code.PriceChanged,
        `The total is now ${fromCents(total).toFixed(2)}, not ${fromCents(ctx.expectedTotalCents).toFixed(2)} (a sale started or ended, a price changed, or the code's discount differs). Review the cart and try again.`,
      );
    }
  },
};
