import { redeemCode, releaseCodeUse } from '../../invariants/code-uses';
import type { CheckoutCtx } from '../context';
import type { Step } from '../run-steps';

/** Claims one use of the code atomically (4012 past usageLimit or perUserLimit); undo gives it back. */
export const redeemCodeStep: Step<CheckoutCtx> = {
  name: 'redeem code',
  async run(ctx) {
    if (!ctx.code) return;
    await redeemCode(ctx.code, ctx.userId, ctx.now, ctx.checkoutId);
    ctx.codeRedeemed = true;
  },
  async undo(ctx) {
    if (ctx.code && ctx.codeRedeemed) await releaseCodeUse(ctx.code, ctx.userId, ctx.checkoutId);
  },
};
