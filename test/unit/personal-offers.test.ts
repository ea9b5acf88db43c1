import { describe, expect, test } from 'vitest';
import { checkCode, codeFor, type CodeTerms, personalOffer, usesLeft } from '../../cloud/domain/codes';
import { checkCouponFields, checkDiscountCodeFields, MAX_OFFER_USERS } from '../../cloud/domain/code-rules';

const NOW = new Date('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;

function terms(overrides: Partial<CodeTerms> = {}): CodeTerms {
  return {
    id: 'c1', kind: 'Coupon', code: 'VIP-ANA', amountCents: 500, percent: null, productIds: null,
    minSubtotalCents: 0, validFrom: null, validUntil: null, usageLimit: null, perUserLimit: 1, usedCount: 0, active: true,
    userIds: ['ana'], ...overrides,
  };
}
const line = [{ productId: 'p1', lineCents: 2000 }];
const user = (id: string) => ({ className: '_User', id });

describe('codeFor: a personal offer is no code at all to anyone it is not meant for', () => {
  test.each([
    ['a public code, anyone', terms({ userIds: null }), 'bob', 'VIP-ANA'],
    ['the offer, its user', terms(), 'ana', 'VIP-ANA'],
    ['the offer, another user', terms(), 'bob', null],
    ['an offer for nobody', terms({ userIds: [] }), 'ana', null],
    ['no code', null, 'ana', null],
  ])('%s', (_name, code, userId, expected) => {
    expect(codeFor(code, userId)?.code ?? null).toBe(expected);
  });

  test('another user is refused exactly as for an unknown code, whatever else is wrong with it', () => {
    const expired = terms({ validUntil: new Date(NOW.getTime() - HOUR), usedCount: 9, usageLimit: 9, active: false });
    expect(checkCode(codeFor(expired, 'bob'), line, 0, NOW)).toBe(checkCode(null, line, 0, NOW));
    expect(checkCode(codeFor(expired, 'bob'), line, 0, NOW)).toBe('unknown');
    expect(checkCode(codeFor(terms(), 'ana'), line, 0, NOW)).toBeNull();
  });
});

describe('usesLeft', () => {
  test.each([
    ['unused, one per user', terms(), 0, 1],
    ['used once of one', terms(), 1, 0],
    ['three per user, one used', terms({ perUserLimit: 3 }), 1, 2],
    ['overall limit nearly reached', terms({ perUserLimit: 3, usageLimit: 10, usedCount: 9 }), 0, 1],
    ['overall limit reached', terms({ usageLimit: 10, usedCount: 10 }), 0, 0],
    ['inactive', terms({ active: false }), 0, 0],
    ['not yet valid', terms({ validFrom: new Date(NOW.getTime() + HOUR) }), 0, 0],
    ['expired at this instant', terms({ validUntil: NOW }), 0, 0],
    ['valid until later', terms({ validUntil: new Date(NOW.getTime() + HOUR) }), 0, 1],
  ])('%s → %i', (_name, code, used, expected) => {
    expect(usesLeft(code, used, NOW)).toBe(expected);
  });
});

describe('users field', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => user(`u${i}`));
  test.each([
    ['absent', undefined, null],
    ['one user', [user('a')], null],
    ['empty: meant for nobody', [], null],
    [`${MAX_OFFER_USERS} users`, many(MAX_OFFER_USERS), null],
    [`${MAX_OFFER_USERS + 1} users`, many(MAX_OFFER_USERS + 1), 'users'],
    ['a duplicate', [user('a'), user('a')], 'users'],
    ['a Product pointer', [{ className: 'Product', id: 'p1' }], 'users'],
    ['a string', ['a'], 'users'],
    ['not a list', user('a'), 'users'],
  ])('%s → %s', (_name, users, field) => {
    expect(checkCouponFields({ code: 'VIP-1', discount: 5, users })?.field ?? null).toBe(field);
    expect(checkDiscountCodeFields({ code: 'VIP-1', percentage: 10, validUntil: NOW, users })?.field ?? null).toBe(field);
  });
});

describe('personalOffer', () => {
  test('lists a coupon with its amount and the uses left', () => {
    expect(personalOffer(terms({ perUserLimit: 2, validUntil: new Date(NOW.getTime() + HOUR) }), 1, NOW)).toEqual({
      code: 'VIP-ANA', kind: 'coupon', discount: 5, percentage: null, products: null,
      validUntil: new Date(NOW.getTime() + HOUR).toISOString(), usesLeft: 1,
    });
  });
  test('lists a discount code with its percentage and products', () => {
    const code = terms({ kind: 'DiscountCode', amountCents: null, percent: 15, productIds: ['p1'], validUntil: null });
    expect(personalOffer(code, 0, NOW)).toMatchObject({ kind: 'discountCode', discount: null, percentage: 15, products: ['p1'], usesLeft: 1 });
  });
  test('leaves out an offer the user has used up', () => expect(personalOffer(terms(), 1, NOW)).toBeNull());
});
