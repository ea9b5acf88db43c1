import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkCode, type CodeTerms, lineDiscounts, normaliseCode } from '../../cloud/domain/codes';
import { checkCouponFields, checkDiscountCodeFields } from '../../cloud/domain/code-rules';

const NOW = new Date('2026-06-01T12:00:00Z');

function terms(overrides: Partial<CodeTerms> = {}): CodeTerms {
  return {
    id: 'c1', kind: 'Coupon', code: 'CODE', amountCents: 1000, percent: null, productIds: null,
    minSubtotalCents: 0, validFrom: null, validUntil: null, usageLimit: null, perUserLimit: 1, usedCount: 0, active: true,
    userIds: null, ...overrides,
  };
}
const percent = (p: number, extra: Partial<CodeTerms> = {}) => terms({ kind: 'DiscountCode', amountCents: null, percent: p, ...extra });
const lines = (...cents: number[]) => cents.map((lineCents, i) => ({ productId: `p${i}`, lineCents }));

describe('normaliseCode', () => {
  test('trims and upper-cases', () => expect(normaliseCode(' summer-10 ')).toBe('SUMMER-10'));
});

describe('checkCode', () => {
  test.each([
    ['unknown', null, 0, 'unknown'],
    ['inactive', terms({ active: false }), 0, 'inactive'],
    ['not yet valid', terms({ validFrom: new Date('2026-06-02') }), 0, 'not_yet_valid'],
    ['expired at validUntil exactly', terms({ validUntil: NOW }), 0, 'expired'],
    ['used up', terms({ usageLimit: 3, usedCount: 3 }), 0, 'used_up'],
    ['used up by this user', terms({ perUserLimit: 2 }), 2, 'used_up_by_you'],
    ['below the minimum subtotal', terms({ minSubtotalCents: 3001 }), 0, 'below_min_subtotal'],
    ['no eligible line', percent(10, { productIds: ['other'] }), 0, 'no_eligible_line'],
    ['valid', terms({ usageLimit: 3, usedCount: 2, perUserLimit: 2, minSubtotalCents: 3000 }), 1, null],
  ] as const)('%s', (_what, code, used, refusal) => {
    expect(checkCode(code as CodeTerms | null, lines(1000, 2000), used, NOW)).toBe(refusal);
  });
});

describe('lineDiscounts', () => {
  test('10% on three lines of 0.05 rounds half up on each line', () => {
    expect(lineDiscounts(percent(10), lines(5, 5, 5))).toEqual([1, 1, 1]);
  });

  test('a 10.00 coupon on 3.33, 3.33, 3.34 splits into parts that add up to exactly 10.00', () => {
    const parts = lineDiscounts(terms({ amountCents: 1000 }), lines(333, 333, 334));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(parts).toEqual([333, 333, 334]);
  });

  test('a 5.00 coupon on the same lines gives the odd cent to the largest remainder', () => {
    expect(lineDiscounts(terms({ amountCents: 500 }), lines(333, 333, 334))).toEqual([167, 166, 167]);
  });

  test('a coupon larger than the subtotal takes it to zero', () => {
    expect(lineDiscounts(terms({ amountCents: 10_000 }), lines(300, 200))).toEqual([300, 200]);
  });

  test('a discount code for some products leaves the other lines alone', () => {
    expect(lineDiscounts(percent(50, { productIds: ['p1'] }), lines(1000, 999))).toEqual([0, 500]);
  });
});

const lineCents = fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 50 });

describe('properties of code pricing', () => {
  test('a coupon never goes below zero, never exceeds the subtotal, and its parts add up exactly', () => {
    fc.assert(
      fc.property(lineCents, fc.integer({ min: 1, max: 100_000_000 }), (cents, amount) => {
        const parts = lineDiscounts(terms({ amountCents: amount }), lines(...cents));
        const subtotal = cents.reduce((a, b) => a + b, 0);
        const discount = parts.reduce((a, b) => a + b, 0);
        expect(discount).toBe(Math.min(amount, subtotal));
        parts.forEach((part, i) => {
          expect(part).toBeGreaterThanOrEqual(0);
          expect(part).toBeLessThanOrEqual(cents[i]);
          expect(Number.isInteger(part)).toBe(true);
        });
      }),
    );
  });

  test('a percent code rounds half up per line and never exceeds a line', () => {
    fc.assert(
      fc.property(lineCents, fc.integer({ min: 1, max: 100 }), (cents, pct) => {
        const parts = lineDiscounts(percent(pct), lines(...cents));
        parts.forEach((part, i) => {
          // half up: the exact value times 100 lies in (part*100 - 50, part*100 + 50]
          const exact100 = cents[i] * pct;
          expect(part * 100 - 50).toBeLessThanOrEqual(exact100);
          expect(exact100).toBeLessThan(part * 100 + 50);
          expect(part).toBeLessThanOrEqual(cents[i]);
          expect(part).toBeGreaterThanOrEqual(0);
        });
        // the line amounts after the code add up to the total
        const total = cents.reduce((a, b) => a + b, 0) - parts.reduce((a, b) => a + b, 0);
        expect(cents.map((c, i) => c - parts[i]).reduce((a, b) => a + b, 0)).toBe(total);
        expect(total).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('code fields', () => {
  test.each([
    [{ code: 'OK-1', discount: 5 }, null],
    [{ code: 'ok-1', discount: 5 }, 'code'],
    [{ code: 'OK-1' }, 'discount'],
    [{ code: 'OK-1', discount: 5, minSubtotal: -1 }, 'minSubtotal'],
    [{ code: 'OK-1', discount: 5, validFrom: new Date('2026-02-01'), validUntil: new Date('2026-01-01') }, 'validUntil'],
    [{ code: 'OK-1', discount: 5, perUserLimit: 0 }, 'perUserLimit'],
  ])('coupon %j → %s', (fields, field) => {
    expect(checkCouponFields(fields)?.field ?? null).toBe(field);
  });

  test.each([
    [{ code: 'PCT', percentage: 100, validUntil: new Date() }, null],
    [{ code: 'PCT', percentage: 0, validUntil: new Date() }, 'percentage'],
    [{ code: 'PCT', percentage: 10 }, 'validUntil'],
    [{ code: 'PCT', percentage: 10, validUntil: new Date(), products: 'p1' }, 'products'],
  ])('discount code %j → %s', (fields, field) => {
    expect(checkDiscountCodeFields(fields)?.field ?? null).toBe(field);
  });
});
