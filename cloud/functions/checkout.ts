import { z } from 'zod';
import { checkout } from '../checkout';
import { checkMoney, describeMoneyProblem } from '../domain/money';
import { requireUser } from '../edge/access';
import { parseParams } from '../edge/params';
import { codeParam, objectId, wholeNumber } from '../edge/schemas';
import { defineFunction } from '../edge/report';

const Checkout = z
  .object({
    idempotencyKey: z
      .string({ message: 'is required: 8 to 64 letters, digits, dashes, underscores, dots or colons, new for each purchase' })
      .regex(/^[A-Za-z0-9_.:-]{8,64}$/, 'must be 8 to 64 letters, digits, dashes, underscores, dots or colons'),
    items: z
      .array(z.object({ productId: objectId, quantity: wholeNumber(1, 99) }).strict(), { message: 'must be a list of { productId, quantity }' })
      .min(1, 'must list at least one product')
      .max(50, 'must list at most 50 products')
      .optional(),
    code: codeParam.optional(),
    expectedTotal: z.unknown().optional().superRefine((value, ctx) => {
      const problem = value === undefined ? null : checkMoney(value);
      if (problem) ctx.addIssue({ code: 'custom', message: describeMoneyProblem(problem) });
    }),
  })
  .strict();

defineFunction('checkout', async (req) => {
  const user = requireUser(req);
  const params = parseParams(Checkout, req.params);
  return checkout(user, { ...params, expectedTotal: params.expectedTotal as number | undefined });
});
