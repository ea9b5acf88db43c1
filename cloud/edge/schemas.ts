/** zod pieces shared by the cloud functions, each with the message a client sees under 142. */
import { z } from 'zod';
import { CODE_PATTERN, normaliseCode } from '../domain/codes';

export const objectId = z
  .string({ message: 'must be an object id' })
  .regex(/^[A-Za-z0-9]{1,32}$/, 'must be an object id');

/** A whole number in [min, max], with one message for every way of missing it. */
export function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  return z.number({ message }).int(message).min(min, message).max(max, message);
}

/** A coupon or discount code as a client may type it (any case, spaces around): normalised, then checked. */
export const codeParam = z
  .string({ message: 'must be a coupon or discount code' })
  .transform(normaliseCode)
  .pipe(z.string().regex(CODE_PATTERN, 'must be 3 to 32 letters, digits, dashes or underscores'));
