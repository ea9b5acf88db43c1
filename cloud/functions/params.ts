/**
 * Every cloud function's parameters, one zod schema per function; each function validates with
 * parseParams (142 naming the parameter). Kept together so that tests can build bad inputs for every
 * parameter of every function from the same schemas.
 */
import { z } from 'zod';
import { checkMoney, describeMoneyProblem } from '../domain/money';
import { ORDER_STATUSES } from '../domain/order-status';
import { codeParam, objectId, wholeNumber } from '../edge/schemas';

export const NoParams = z.object({}).strict();

export const Restock = z.object({ productId: objectId, quantity: wholeNumber(1, 1_000_000) }).strict();

export const AddToCart = z.object({ productId: objectId, quantity: wholeNumber(1, 99) }).strict();
export const ApplyCode = z.object({ code: codeParam }).strict();
export const SetCartItem = z.object({ productId: objectId, quantity: wholeNumber(0, 99) }).strict();

export const Catalog = z
  .object({
    limit: wholeNumber(1, 100).default(50),
    skip: wholeNumber(0, 100_000).default(0),
    search: z.string({ message: 'must be text' }).trim().max(100, 'must be at most 100 characters').optional(),
  })
  .strict();

export const FlashSales = z
  .object({ status: z.enum(['live', 'upcoming', 'all'], { message: 'must be live, upcoming or all' }).default('all') })
  .strict();

export const Checkout = z
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

export const CancelOrder = z.object({ orderId: objectId }).strict();
export const UpdateOrderStatus = z
  .object({ orderId: objectId, status: z.enum(ORDER_STATUSES, { message: `must be one of ${ORDER_STATUSES.join(', ')}` }) })
  .strict();

/** The functions that take parameters, by name (serverTime ignores any). */
export const FUNCTION_PARAMS = {
  restock: Restock,
  catalog: Catalog,
  flashSales: FlashSales,
  getCart: NoParams,
  addToCart: AddToCart,
  setCartItem: SetCartItem,
  applyCode: ApplyCode,
  removeCode: NoParams,
  checkout: Checkout,
  cancelOrder: CancelOrder,
  updateOrderStatus: UpdateOrderStatus,
  myOffers: NoParams,
} as const;
