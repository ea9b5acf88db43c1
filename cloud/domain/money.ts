// Money helpers for prices, discounts and order totals.
// Amounts are handled as integer cents so sums and splits never drift the way
// binary floats do. Pure on purpose: no imports, no clock, no env.

/** An amount in minor units (cents); always a safe integer. */
export type Cents = number; // always a safe integer

/** Largest accepted price in major units (inclusive). */
export const MAX_PRICE = 1_000_000;

const MAX_CENTS = MAX_PRICE * 100;

// Slack for float noise such as 1.1 * 100 === 110.00000000000001. Scaled with
// the magnitude because the absolute error of `major * 100` grows with it.
function centsTolerance(scaled: number): number {
  return Math.max(1e-6, Math.abs(scaled) * 8 * Number.EPSILON);
}

/** Exact cents for a finite number with at most two decimals (float noise tolerated), else null. */
export function toCents(major: number): Cents | null {
  if (typeof major !== 'number' || !Number.isFinite(major)) return null;
  const scaled = major * 100;
  const cents = Math.round(scaled);
  if (Math.abs(cents - scaled) >= centsTolerance(scaled)) return null;
  if (!Number.isSafeInteger(cents)) return null;
  return cents + 0; // `+ 0` turns -0 into 0
}

/** Major units for integer cents (1999 -> 19.99); nearest double to the two-decimal value. */
export function fromCents(cents: Cents): number {
  return cents / 100 + 0; // `+ 0` turns -0 into 0
}

/** Why a value is not an acceptable money amount. */
export type MoneyProblem =
  | 'not_a_number'
  | 'negative'
  | 'not_positive'
  | 'too_many_decimals'
  | 'too_large';

/** null when value is a finite number, >= 0 (> 0 if allowZero is false), with at most two decimals and <= MAX_PRICE; otherwise the first problem found. */
export function checkMoney(value: unknown, opts?: { allowZero?: boolean }): MoneyProblem | null {
  // Strings are rejected, not coerced: "1.5" from a client is a contract bug.
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'not_a_number';
  if (value < 0) return 'negative';
  const cents = toCents(value);
  if (cents === null) {
    // Anything above the cap is reported as too large, whatever its decimals.
    return value > MAX_PRICE ? 'too_large' : 'too_many_decimals';
  }
  // Compare in cents so float noise right at the cap does not count as above it.
  if (cents > MAX_CENTS) return 'too_large';
  if (cents === 0 && opts?.allowZero === false) return 'not_positive';
  return null;
}

// Thousands separators without Intl, so the text does not depend on locale data.
function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Human-readable text for a problem, meant to follow a field name ("price must ..."). */
export function describeMoneyProblem(problem: MoneyProblem): string {
  switch (problem) {
    case 'not_a_number':
      return 'must be a number';
    case 'negative':
      return 'must not be negative';
    case 'not_positive':
      return 'must be greater than 0';
    case 'too_many_decimals':
      return 'must have at most two decimals';
    case 'too_large':
      return `must not be above ${groupThousands(MAX_PRICE)}`;
    default: {
      // Compile error here if a new MoneyProblem is added without text.
      const unreachable: never = problem;
      return unreachable;
    }
  }
}

/** Cents for a value that passes checkMoney (zero allowed), else null. */
export function parseMoney(value: unknown): Cents | null {
  if (checkMoney(value) !== null) return null;
  return toCents(value as number);
}

/** percent% of cents rounded half up to the cent; never more than cents. Throws RangeError unless cents is a non-negative safe integer and percent an integer 0..100. */
export function percentOf(cents: Cents, percent: number): Cents {
  if (!Number.isSafeInteger(cents) || cents < 0) {
    throw new RangeError(`cents must be a non-negative safe integer, got ${cents}`);
  }
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`percent must be an integer from 0 to 100, got ${percent}`);
  }
  // Same value as Math.floor((cents * percent + 50) / 100), but split as
  // cents = 100q + r so no intermediate leaves the safe-integer range.
  const r = cents % 100;
  const q = (cents - r) / 100; // exact: cents - r is a multiple of 100
  return q * percent + Math.floor((r * percent + 50) / 100) + 0;
}

/** Integer parts proportional to weights that sum exactly to totalCents; leftover cents go to the largest remainders, ties to the lower index; all-zero weights split evenly. Throws RangeError on negative/non-integer input or empty weights with a non-zero total. */
export function splitByLargestRemainder(totalCents: Cents, weights: Cents[]): Cents[] {
  if (!Number.isSafeInteger(totalCents) || totalCents < 0) {
    throw new RangeError(`totalCents must be a non-negative safe integer, got ${totalCents}`);
  }
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) {
      throw new RangeError(`weights must be non-negative safe integers, got ${w}`);
    }
  }
  if (weights.length === 0) {
    if (totalCents === 0) return [];
    throw new RangeError('cannot split a non-zero total across no lines');
  }

  // BigInt keeps total * weight and the weight sum exact for any safe inputs.
  let sum = 0n;
  for (const w of weights) sum += BigInt(w);
  // With nothing to be proportional to, treat every line the same.
  const effective = sum === 0n ? weights.map(() => 1n) : weights.map((w) => BigInt(w));
  const divisor = sum === 0n ? BigInt(weights.length) : sum;
  const total = BigInt(totalCents);

  const parts: bigint[] = [];
  const remainders: bigint[] = [];
  let assigned = 0n;
  for (const w of effective) {
    const product = total * w;
    const floor = product / divisor; // non-negative, so truncation is floor
    parts.push(floor);
    remainders.push(product % divisor);
    assigned += floor;
  }

  // Fewer leftover cents than lines, because each floor loses less than one.
  const leftover = Number(total - assigned);
  const order = weights.map((_, i) => i);
  order.sort((a, b) => {
    const ra = remainders[a]!;
    const rb = remainders[b]!;
    if (ra !== rb) return ra > rb ? -1 : 1;
    return a - b;
  });
  for (let k = 0; k < leftover; k++) {
    const i = order[k]!;
    parts[i] = parts[i]! + 1n;
  }
  return parts.map((p) => Number(p));
}

/** Discount limited to 0..subtotalCents, so subtotal minus discount is never negative. Throws RangeError unless both are safe integers and subtotal is non-negative. */
export function clampDiscount(subtotalCents: Cents, discountCents: Cents): Cents {
  // Reject NaN and fractions: Math.min/max would pass NaN straight through.
  if (!Number.isSafeInteger(subtotalCents) || subtotalCents < 0) {
    throw new RangeError(`subtotalCents must be a non-negative safe integer, got ${subtotalCents}`);
  }
  if (!Number.isSafeInteger(discountCents)) {
    throw new RangeError(`discountCents must be a safe integer, got ${discountCents}`);
  }
  return Math.min(Math.max(discountCents, 0), subtotalCents) + 0;
}
