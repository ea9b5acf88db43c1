import { describe, expect, test } from 'vitest';
import { checkFlashSaleFields } from '../../cloud/domain/flash-sale-rules';
import { currentSale, inWindow, salePriceCents, saleStatus, type SaleTerms, viewSale, windowsOverlap } from '../../cloud/domain/sale-window';

const T0 = new Date('2026-06-01T12:00:00.000Z');
const plus = (ms: number) => new Date(T0.getTime() + ms);

function sale(overrides: Partial<SaleTerms> = {}): SaleTerms {
  return {
    id: 's1', productId: 'p1', startsAt: T0, endsAt: plus(60_000),
    discountPriceCents: null, discountPercent: 10, quantityLimit: null, perUserLimit: null, soldCount: 0,
    ...overrides,
  };
}

describe('saleStatus', () => {
  test.each([
    ['one ms before the start', plus(-1), {}, 'upcoming'],
    ['at the start', T0, {}, 'live'],
    ['one ms before the end', plus(59_999), {}, 'live'],
    ['at the end', plus(60_000), {}, 'ended'],
    ['live with quota left', plus(1), { quantityLimit: 5, soldCount: 4 }, 'live'],
    ['live with the quota gone', plus(1), { quantityLimit: 5, soldCount: 5 }, 'sold_out'],
    ['ended with the quota gone', plus(60_000), { quantityLimit: 5, soldCount: 5 }, 'ended'],
    ['upcoming with the quota gone', plus(-1), { quantityLimit: 5, soldCount: 5 }, 'upcoming'],
  ] as const)('%s → %s', (_what, now, overrides, status) => {
    expect(saleStatus(sale(overrides), now)).toBe(status);
  });

  test('the window is half-open [start, end)', () => {
    expect(inWindow(sale(), T0)).toBe(true);
    expect(inWindow(sale(), plus(60_000))).toBe(false);
  });
});

describe('salePriceCents', () => {
  test.each([
    [{ discountPercent: 10 }, 1999, 1799], // 199.9 off rounds half up to 200
    [{ discountPercent: 15 }, 19999, 16999], // 2999.85 off → 3000
    [{ discountPercent: 50 }, 1, 0], // 0.5 off rounds up to 1
    [{ discountPercent: null, discountPriceCents: 750 }, 1000, 750],
  ])('%j of %i → %i', (terms, list, expected) => {
    expect(salePriceCents({ discountPriceCents: null, ...terms }, list)).toBe(expected);
  });
});

describe('viewSale', () => {
  test('countdowns are measured from the given server time and never negative', () => {
    expect(viewSale(sale({ quantityLimit: 10, soldCount: 3 }), 1000, plus(-5000))).toEqual({
      status: 'upcoming', salePriceCents: 900, startsInMs: 5000, endsInMs: 65_000, remaining: 7,
    });
    expect(viewSale(sale(), 1000, plus(70_000))).toMatchObject({ status: 'ended', startsInMs: 0, endsInMs: 0, remaining: null });
  });
});

describe('currentSale', () => {
  test('prefers the live sale, else the next upcoming, never an ended one', () => {
    const ended = sale({ id: 'ended', startsAt: plus(-120_000), endsAt: plus(-60_000) });
    const live = sale({ id: 'live' });
    const next = sale({ id: 'next', startsAt: plus(120_000), endsAt: plus(180_000) });
    const later = sale({ id: 'later', startsAt: plus(300_000), endsAt: plus(360_000) });
    expect(currentSale([later, next, live, ended], plus(1))?.id).toBe('live');
    expect(currentSale([later, next, ended], plus(1))?.id).toBe('next');
    expect(currentSale([ended], plus(1))).toBeNull();
  });
});

describe('windowsOverlap', () => {
  test('back-to-back windows do not overlap; shared instants do', () => {
    const a = { startsAt: T0, endsAt: plus(100) };
    expect(windowsOverlap(a, { startsAt: plus(100), endsAt: plus(200) })).toBe(false);
    expect(windowsOverlap(a, { startsAt: plus(99), endsAt: plus(200) })).toBe(true);
    expect(windowsOverlap(a, { startsAt: plus(10), endsAt: plus(20) })).toBe(true);
  });
});

describe('checkFlashSaleFields', () => {
  const valid = { discountPrice: undefined, discount: 10, startTime: T0, endTime: plus(1), quantityLimit: undefined, perUserLimit: undefined };
  test('accepts a valid sale', () => {
    expect(checkFlashSaleFields(valid, 1000)).toBeNull();
    expect(checkFlashSaleFields({ ...valid, discount: undefined, discountPrice: 9.99 }, 1000)).toBeNull();
  });
  test.each([
    [{ discountPrice: 10 }, 'discountPrice'],
    [{ discount: undefined, discountPrice: 10 }, 'discountPrice'],
    [{ discount: 99.5 }, 'discount'],
    [{ endTime: T0 }, 'endTime'],
    [{ startTime: 'today' }, 'startTime'],
    [{ quantityLimit: -1 }, 'quantityLimit'],
    [{ perUserLimit: 0 }, 'perUserLimit'],
  ])('%j → problem with %s', (overrides, field) => {
    expect(checkFlashSaleFields({ ...valid, ...overrides }, 1000)?.field).toBe(field);
  });
});
