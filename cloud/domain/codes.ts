/**
 * Coupons and discount codes as pure rules: what a code looks like, when it applies, and how much it
 * takes off each line, in integer cents. The redemption counters live in invariants/code-uses.ts.
 */
import { type Cents, fromCents, percentOf, splitByLargestRemainder } from './money';

export const CODE_PATTERN = /^[A-Z0-9_-]{3,32}$/;

/** Codes are compared without regard to case or surrounding spaces: " summer-10 " is SUMMER-10. */
export function normaliseCode(raw: string): string {
  return raw.trim().toUpperCase();
}

export interface CodeTerms {
  id: string;
  kind: 'Coupon' | 'DiscountCode';
  code: string;
  /** Coupon: a fixed amount off the order subtotal. */
  amountCents: Cents | null;
  /** DiscountCode: a whole percent off each eligible line. */
  percent: number | null;
  /** DiscountCode: only lines of these products are eligible; null: every line. */
  productIds: string[] | null;
  minSubtotalCents: Cents;
  validFrom: Date | null;
  validUntil: Date | null;
  usageLimit: number | null;
  perUserLimit: number;
  usedCount: number;
  active: boolean;
  /** A personal offer: only these users may use it (an empty list: nobody); null: anyone. */
  userIds: string[] | null;
}

export type CodeRefusal =
  | 'unknown'
  | 'inactive'
  | 'not_yet_valid'
  | 'expired'
  | 'used_up'
  | 'used_up_by_you'
  | 'below_min_subtotal'
  | 'no_eligible_line';

export interface PricedLineForCode {
  productId: string;
  lineCents: Cents;
}

/** Why the code does not apply to these lines for this user at `now`, or null when it does. */
export function checkCode(terms: CodeTerms | null, lines: PricedLineForCode[], usedByUser: number, now: Date): CodeRefusal | null {
  if (!terms) return 'unknown';
  if (!terms.active) return 'inactive';
  if (terms.validFrom && now < terms.validFrom) return 'not_yet_valid';
  if (terms.validUntil && now >= terms.validUntil) return 'expired';
  if (terms.usageLimit !== null && terms.usedCount >= terms.usageLimit) return 'used_up';
  if (usedByUser >= terms.perUserLimit) return 'used_up_by_you';
  const subtotal = lines.reduce((sum, line) => sum + line.lineCents, 0);
  if (subtotal < terms.minSubtotalCents) return 'below_min_subtotal';
  if (eligibleLines(terms, lines).length === 0) return 'no_eligible_line';
  return null;
}

/**
 * The code as this user may see it: a personal offer meant for others is, to this user, no code at
 * all, so it is refused exactly as an unknown code is and its existence does not leak.
 */
export function codeFor(terms: CodeTerms | null, userId: string): CodeTerms | null {
  if (!terms || terms.userIds === null) return terms;
  return terms.userIds.includes(userId) ? terms : null;
}

/**
 * How many more times the user may use the code at `now`, whatever the cart: 0 when it is inactive,
 * not yet valid, expired or used up (overall or by this user). Personal offers list codes with uses left.
 */
export function usesLeft(terms: CodeTerms, usedByUser: number, now: Date): number {
  if (!terms.active) return 0;
  if (terms.validFrom && now < terms.validFrom) return 0;
  if (terms.validUntil && now >= terms.validUntil) return 0;
  const mine = terms.perUserLimit - usedByUser;
  const overall = terms.usageLimit === null ? mine : terms.usageLimit - terms.usedCount;
  return Math.max(0, Math.min(mine, overall));
}

export interface PersonalOffer {
  code: string;
  kind: 'coupon' | 'discountCode';
  /** A coupon's amount off the subtotal (major units); null for a discount code. */
  discount: number | null;
  /** A discount code's percentage; null for a coupon. */
  percentage: number | null;
  /** The products a discount code is limited to; null: every product. */
  products: string[] | null;
  validUntil: string | null;
  usesLeft: number;
}

/** The offer as `myOffers` lists it, or null when the user can no longer use it at `now`. */
export function personalOffer(terms: CodeTerms, usedByUser: number, now: Date): PersonalOffer | null {
  const left = usesLeft(terms, usedByUser, now);
  if (left === 0) return null;
  return {
    code: terms.code,
    kind: terms.kind === 'Coupon' ? 'coupon' : 'discountCode',
    discount: terms.amountCents === null ? null : fromCents(terms.amountCents),
    percentage: terms.percent,
    products: terms.productIds,
    validUntil: terms.validUntil?.toISOString() ?? null,
    usesLeft: left,
  };
}

function isEligible(terms: CodeTerms, line: PricedLineForCode): boolean {
  return terms.productIds === null || terms.productIds.includes(line.productId);
}

function eligibleLines(terms: CodeTerms, lines: PricedLineForCode[]): PricedLineForCode[] {
  return lines.filter((line) => isEligible(terms, line) && line.lineCents > 0);
}

/**
 * The discount on each line (same order as `lines`): a percent code takes its percent off each
 * eligible line, rounded half up per line; a coupon takes its amount (at most the subtotal) off the
 * eligible lines, split by largest remainder so the parts add up exactly. No line goes below zero.
 */
export function lineDiscounts(terms: CodeTerms, lines: PricedLineForCode[]): Cents[] {
  if (terms.percent !== null) {
    return lines.map((line) => (isEligible(terms, line) ? percentOf(line.lineCents, terms.percent!) : 0));
  }
  const eligible = lines.map((line) => (isEligible(terms, line) ? line.lineCents : 0));
  const base = eligible.reduce((sum, cents) => sum + cents, 0);
  const amount = Math.min(terms.amountCents ?? 0, base);
  return base === 0 ? lines.map(() => 0) : splitByLargestRemainder(amount, eligible);
}
