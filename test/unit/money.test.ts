import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  MAX_PRICE,
  checkMoney,
  clampDiscount,
  describeMoneyProblem,
  fromCents,
  parseMoney,
  percentOf,
  splitByLargestRemainder,
  toCents,
  type MoneyProblem,
} from '../../cloud/domain/money';

describe('toCents', () => {
  test.each([
    [19.99, 1999],
    [0.1, 10],
    [1.1, 110], // 1.1 * 100 === 110.00000000000001
    [0.1 + 0.2, 30], // float noise is not an extra decimal
    [1.005, null], // three decimals, even though 1.005 * 100 rounds down
    [19.999, null],
    [NaN, null],
    [Infinity, null],
    [-Infinity, null],
    [1e6, 100_000_000],
    [0, 0],
    [-0, 0],
    [-19.99, -1999],
  ])('toCents(%s) -> %s', (major, expected) => {
    expect(toCents(major)).toBe(expected);
  });
});

describe('fromCents', () => {
  test.each([
    [1999, 19.99],
    [10, 0.1],
    [0, 0],
    [100_000_000, 1e6],
  ])('fromCents(%s) -> %s', (cents, expected) => {
    expect(fromCents(cents)).toBe(expected);
  });

  test('round-trips every two-decimal price up to MAX_PRICE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_PRICE * 100 }), (cents) => {
        expect(toCents(fromCents(cents))).toBe(cents);
      }),
    );
  });
});

describe('checkMoney', () => {
  test.each<[unknown, { allowZero?: boolean } | undefined, MoneyProblem | null]>([
    [19.99, undefined, null],
    [19.999, undefined, 'too_many_decimals'],
    [-1, undefined, 'negative'],
    ['abc', undefined, 'not_a_number'],
    ['1.5', undefined, 'not_a_number'],
    [2_000_000, undefined, 'too_large'],
    [1_000_000, undefined, null],
    [1_000_000.01, undefined, 'too_large'],
    [0, undefined, null],
    [0, { allowZero: true }, null],
    [0, { allowZero: false }, 'not_positive'],
    [0.01, { allowZero: false }, null],
    [NaN, undefined, 'not_a_number'],
    [Infinity, undefined, 'not_a_number'],
    [null, undefined, 'not_a_number'],
    [undefined, undefined, 'not_a_number'],
  ])('checkMoney(%s, %o) -> %s', (value, opts, expected) => {
    expect(checkMoney(value, opts)).toBe(expected);
  });
});

describe('describeMoneyProblem', () => {
  test.each<[MoneyProblem, string]>([
    ['not_a_number', 'must be a number'],
    ['negative', 'must not be negative'],
    ['not_positive', 'must be greater than 0'],
    ['too_many_decimals', 'must have at most two decimals'],
    ['too_large', 'must not be above 1,000,000'],
  ])('%s -> %s', (problem, text) => {
    expect(describeMoneyProblem(problem)).toBe(text);
  });
});

describe('parseMoney', () => {
  test.each<[unknown, number | null]>([
    [19.99, 1999],
    [0, 0],
    [1_000_000, 100_000_000],
    [19.999, null],
    [-1, null],
    ['19.99', null],
    [1_000_000.01, null],
  ])('parseMoney(%s) -> %s', (value, expected) => {
    expect(parseMoney(value)).toBe(expected);
  });
});

describe('percentOf', () => {
  test.each([
    [5, 10, 1], // 0.5 rounds half up
    [4, 10, 0], // 0.4 rounds down
    [1999, 15, 300], // 299.85
    [1, 50, 1], // 0.5 rounds half up
    [1234, 100, 1234],
    [1234, 0, 0],
  ])('%s cents at %s%% -> %s', (cents, percent, expected) => {
    expect(percentOf(cents, percent)).toBe(expected);
  });

  test.each([
    [-1, 10],
    [1.5, 10],
    [NaN, 10],
    [100, -1],
    [100, 101],
    [100, 12.5],
  ])('percentOf(%s, %s) throws RangeError', (cents, percent) => {
    expect(() => percentOf(cents, percent)).toThrow(RangeError);
  });

  test('matches the BigInt half-up reference and never exceeds cents', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 100 }),
        (cents, percent) => {
          const result = percentOf(cents, percent);
          const reference = (BigInt(cents) * BigInt(percent) + 50n) / 100n;
          expect(result).toBe(Number(reference));
          expect(Number.isSafeInteger(result)).toBe(true);
          expect(result).toBeLessThanOrEqual(cents);
        },
      ),
    );
  });
});

describe('splitByLargestRemainder', () => {
  test.each<[number, number[], number[]]>([
    [1000, [333, 333, 334], [333, 333, 334]],
    [100, [1, 1, 1], [34, 33, 33]],
    [0, [5, 5], [0, 0]],
    [0, [], []],
    [10, [0, 0, 0], [4, 3, 3]], // all-zero weights split evenly
    [10, [0, 5], [0, 10]],
    [1, [1, 1], [1, 0]], // tie goes to the lower index
    [2, [1, 2, 2], [0, 1, 1]], // 0.4, 0.8, 0.8: largest remainders win
  ])('split %s by %j -> %j', (total, weights, expected) => {
    const parts = splitByLargestRemainder(total, weights);
    expect(parts).toEqual(expected);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
  });

  test.each<[number, number[]]>([
    [-1, [1]],
    [10, [1, -1]],
    [10, []],
    [1.5, [1]],
    [10, [0.5]],
  ])('split %s by %j throws RangeError', (total, weights) => {
    expect(() => splitByLargestRemainder(total, weights)).toThrow(RangeError);
  });

  test('parts are non-negative integers summing to total, each within 1 of the exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 50 }),
        (total, weights) => {
          const parts = splitByLargestRemainder(total, weights);
          expect(parts).toHaveLength(weights.length);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);

          const weightSum = weights.reduce((a, b) => a + b, 0);
          // Exact share is total * w / W; all-zero weights mean an even split.
          const effective = weightSum === 0 ? weights.map(() => 1) : weights;
          const divisor = BigInt(weightSum === 0 ? weights.length : weightSum);
          parts.forEach((part, i) => {
            expect(Number.isSafeInteger(part)).toBe(true);
            expect(part).toBeGreaterThanOrEqual(0);
            // |part - total*w/W| < 1  <=>  |part*W - total*w| < W
            const diff = BigInt(part) * divisor - BigInt(total) * BigInt(effective[i]!);
            const absDiff = diff < 0n ? -diff : diff;
            expect(absDiff < divisor).toBe(true);
          });
        },
      ),
    );
  });
});

describe('clampDiscount', () => {
  test.each([
    [1000, 200, 200],
    [1000, 1500, 1000],
    [1000, -50, 0],
    [0, 100, 0],
    [1000, 0, 0],
  ])('clampDiscount(%s, %s) -> %s', (subtotal, discount, expected) => {
    expect(clampDiscount(subtotal, discount)).toBe(expected);
  });

  test.each([
    [-1, 0],
    [100, NaN],
    [100.5, 10],
  ])('clampDiscount(%s, %s) throws RangeError', (subtotal, discount) => {
    expect(() => clampDiscount(subtotal, discount)).toThrow(RangeError);
  });
});
