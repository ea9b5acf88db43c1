/** What a FlashSale may hold (SPEC sections 4 and 5), as pure checks naming the field and the rule. */
import { type Cents, checkMoney, describeMoneyProblem, toCents } from './money';
import type { FieldProblem } from './product-rules';

export interface FlashSaleFields {
  discountPrice: unknown;
  discount: unknown;
  startTime: unknown;
  endTime: unknown;
  quantityLimit: unknown;
  perUserLimit: unknown;
}

const isSet = (value: unknown) => value !== undefined && value !== null;

function positiveWholeNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000;
}

/** The first problem with a sale's fields, given the product's list price; null when it is valid. */
export function checkFlashSaleFields(sale: FlashSaleFields, listPriceCents: Cents): FieldProblem | null {
  const hasPrice = isSet(sale.discountPrice);
  const hasPercent = isSet(sale.discount);
  if (hasPrice === hasPercent) {
    return { field: 'discountPrice', rule: 'set exactly one of discountPrice (the sale price) or discount (a percent off)' };
  }
  if (hasPrice) {
    const problem = checkMoney(sale.discountPrice, { allowZero: false });
    if (problem) return { field: 'discountPrice', rule: describeMoneyProblem(problem) };
    if (toCents(sale.discountPrice as number)! >= listPriceCents) {
      return { field: 'discountPrice', rule: 'must be below the product’s price' };
    }
  }
  if (hasPercent && !(Number.isInteger(sale.discount) && (sale.discount as number) >= 1 && (sale.discount as number) <= 99)) {
    return { field: 'discount', rule: 'must be a whole percent from 1 to 99' };
  }
  if (!(sale.startTime instanceof Date) || Number.isNaN(sale.startTime.getTime())) return { field: 'startTime', rule: 'is required (a Date)' };
  if (!(sale.endTime instanceof Date) || Number.isNaN(sale.endTime.getTime())) return { field: 'endTime', rule: 'is required (a Date)' };
  if (sale.endTime <= sale.startTime) return { field: 'endTime', rule: 'must be after startTime' };
  for (const field of ['quantityLimit', 'perUserLimit'] as const) {
    if (isSet(sale[field]) && !positiveWholeNumber(sale[field])) {
      return { field, rule: 'must be a whole number from 1 to 1,000,000, or unset for no limit' };
    }
  }
  return null;
}
