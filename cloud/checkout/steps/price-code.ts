import { failCode } from '../../edge/code-errors';
import type { CheckoutCtx } from '../context';
import { evaluateCode } from '../evaluate-code';
import type { Step } from '../run-steps';

/** Checks the code at the moment of checkout (4010, 4011, 4013; 4012 as far as the counts read show) and splits its discount over the lines. */
export const priceCodeStep: Step<CheckoutCtx> = {
  name: 'price code',
  async run(ctx) {
    if (!ctx.codeText) return;
    const lines = ctx.lines.map((line) => ({ productId: line.product.id, lineCents: line.lineCents }));
    const outcome = await evaluateCode(ctx.codeText, ctx.userId, lines, ctx.now);
    if (outcome.refusal) failCode(outcome.refusal, outcome.facts);
    ctx.code = outcome.terms;
    ctx.lines.forEach((line, i) => (line.discountCents = outcome.discounts[i]));
  },
};
