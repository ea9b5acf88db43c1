import { describe, expect, test } from 'vitest';
import { addLine, checkLines, mergeLines, setLine } from '../../cloud/domain/cart';
import { priceCart } from '../../cloud/domain/cart-pricing';
import { priceLine } from '../../cloud/domain/pricing';
import type { SaleTerms } from '../../cloud/domain/sale-window';

const lines = (...pairs: Array<[string, number]>) => pairs.map(([productId, quantity]) => ({ productId, quantity }));

describe('cart lines', () => {
  test('duplicates merge, in first-seen order', () => {
    expect(mergeLines(lines(['a', 1], ['b', 2], ['a', 3]))).toEqual(lines(['a', 4], ['b', 2]));
    expect(addLine(lines(['a', 1]), 'a', 2)).toEqual(lines(['a', 3]));
  });

  test('setLine replaces in place, appends new products, and 0 removes', () => {
    expect(setLine(lines(['a', 1], ['b', 2]), 'a', 5)).toEqual(lines(['a', 5], ['b', 2]));
    expect(setLine(lines(['a', 1]), 'b', 5)).toEqual(lines(['a', 1], ['b', 5]));
    expect(setLine(lines(['a', 1], ['b', 2]), 'a', 0)).toEqual(lines(['b', 2]));
  });

  test('at most 99 of one product and 50 lines', () => {
    expect(checkLines(lines(['a', 99]))).toBeNull();
    expect(checkLines(lines(['a', 100]))?.field).toBe('quantity');
    const fifty = Array.from({ length: 50 }, (_, i) => ({ productId: `p${i}`, quantity: 1 }));
    expect(checkLines(fifty)).toBeNull();
    expect(checkLines([...fifty, { productId: 'p50', quantity: 1 }])).toEqual({ field: 'items', rule: 'at most 50 different products in one cart' });
  });
});

const now = new Date('2026-06-01T12:00:00Z');
const sale: SaleTerms = {
  id: 's', productId: 'a', startsAt: new Date('2026-06-01T11:00:00Z'), endsAt: new Date('2026-06-01T13:00:00Z'),
  discountPriceCents: 500, discountPercent: null, quantityLimit: 10, perUserLimit: 2, soldCount: 7,
};

describe('priceLine', () => {
  test.each([
    ['inside the window with quota for the whole line', now, 3, 500],
    ['when the quota cannot cover the whole line', now, 4, 1000],
    ['before the window', new Date('2026-06-01T10:59:59.999Z'), 1, 1000],
    ['at the end of the window', new Date('2026-06-01T13:00:00Z'), 1, 1000],
  ])('%s', (_what, when, quantity, unit) => {
    expect(priceLine(1000, quantity, when, sale)).toMatchObject({ unitCents: unit, lineCents: unit * quantity });
  });
});

describe('priceCart', () => {
  const facts = {
    products: new Map([['a', { name: 'A', listCents: 1000, active: true }]]),
    stocks: new Map([['a', 10]]),
    sales: new Map([['a', [sale]]]),
    boughtAtSale: new Map([['s', 1]]),
  };

  test('a line that would pass the per-user limit is flagged and left out of the subtotal', () => {
    expect(priceCart(lines(['a', 1]), facts, now)).toMatchObject({ problems: [], subtotalCents: 500 });
    expect(priceCart(lines(['a', 2]), facts, now)).toMatchObject({ problems: [{ productId: 'a', reason: 'sale_limit_reached' }], subtotalCents: 0 });
  });

  test('a deleted product is a problem without a line', () => {
    expect(priceCart(lines(['gone', 1]), facts, now)).toEqual({ lines: [], problems: [{ productId: 'gone', reason: 'deleted' }], subtotalCents: 0 });
  });
});
