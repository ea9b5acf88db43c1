/** What a Coupon or DiscountCode may hold (SPEC section 4), as pure checks naming the field and the rule. */
import { CODE_PATTERN } from './codes';
import { checkMoney, describeMoneyProblem } from './money';
import type { FieldProblem } from './product-rules';

const isSet = (value: unknown) => value !== undefined && value !== null;
const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
const positiveWhole = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000_000;

/** Rules both kinds share: code, window, limits, active. `fields.code` must already be normalised. */
function checkCommon(fields: Record<string, unknown>, validUntilRequired: boolean): FieldProblem | null {
  if (typeof fields.code !== 'string' || !CODE_PATTERN.test(fields.code)) {
    return { field: 'code', rule: 'must be 3 to 32 letters, digits, dashes or underscores' };
  }
  for (const field of ['validFrom', 'validUntil']) {
    if (isSet(fields[field]) && !isDate(fields[field])) return { field, rule: 'must be a Date' };
  }
  if (validUntilRequired && !isSet(fields.validUntil)) return { field: 'validUntil', rule: 'is required (a Date)' };
  if (isDate(fields.validFrom) && isDate(fields.validUntil) && fields.validUntil <= fields.validFrom) {
    return { field: 'validUntil', rule: 'must be after validFrom' };
  }
  for (const field of ['usageLimit', 'perUserLimit']) {
    if (isSet(fields[field]) && !positiveWhole(fields[field])) return { field, rule: 'must be a whole number of at least 1' };
  }
  if (isSet(fields.active) && typeof fields.active !== 'boolean') return { field: 'active', rule: 'must be true or false' };
  return checkOfferUsers(fields.users);
}

/** At most this many users on one personal offer; a bigger audience is a public code with limits. */
export const MAX_OFFER_USERS = 1000;

/** `users` (optional): a list of distinct _User pointers, at most MAX_OFFER_USERS. */
function checkOfferUsers(users: unknown): FieldProblem | null {
  if (!isSet(users)) return null;
  const rule = `must be a list of at most ${MAX_OFFER_USERS.toLocaleString('en-US')} distinct _User pointers`;
  if (!Array.isArray(users) || users.length > MAX_OFFER_USERS) return { field: 'users', rule };
  const ids = users.map((user: { className?: unknown; id?: unknown } | null) => (user?.className === '_User' && typeof user.id === 'string' ? user.id : null));
  if (ids.some((id) => id === null) || new Set(ids).size !== ids.length) return { field: 'users', rule };
  return null;
}

export function checkCouponFields(fields: Record<string, unknown>): FieldProblem | null {
  const common = checkCommon(fields, false);
  if (common) return common;
  const discount = checkMoney(fields.discount, { allowZero: false });
  if (!isSet(fields.discount)) return { field: 'discount', rule: 'is required: the amount taken off the order subtotal' };
  if (discount) return { field: 'discount', rule: describeMoneyProblem(discount) };
  if (isSet(fields.minSubtotal)) {
    const problem = checkMoney(fields.minSubtotal);
    if (problem) return { field: 'minSubtotal', rule: describeMoneyProblem(problem) };
  }
  return null;
}

export function checkDiscountCodeFields(fields: Record<string, unknown>): FieldProblem | null {
  const common = checkCommon(fields, true);
  if (common) return common;
  const percentage = fields.percentage;
  if (!(typeof percentage === 'number' && Number.isInteger(percentage) && percentage >= 1 && percentage <= 100)) {
    return { field: 'percentage', rule: 'must be a whole percent from 1 to 100' };
  }
  if (isSet(fields.products) && !Array.isArray(fields.products)) return { field: 'products', rule: 'must be a list of Product pointers' };
  return null;
}
