/** A code checked against priced lines for one user: the one evaluation behind getCart, applyCode and checkout. */
import { checkCode, codeFor, type CodeRefusal, type CodeTerms, lineDiscounts, normaliseCode, type PricedLineForCode } from '../domain/codes';
import { type Cents, fromCents } from '../domain/money';
import type { RefusalFacts } from '../edge/code-errors';
import { findCode, usesBy } from '../invariants/code-uses';

export interface CodeOutcome {
  code: string;
  terms: CodeTerms | null;
  refusal: CodeRefusal | null;
  /** Discount per line, in the order of the lines given (zeros when refused). */
  discounts: Cents[];
  facts: RefusalFacts;
}

export async function evaluateCode(raw: string, userId: string, lines: PricedLineForCode[], now: Date): Promise<CodeOutcome> {
  const code = normaliseCode(raw);
  const [found, used] = await Promise.all([findCode(code), usesBy(code, userId)]);
  const terms = codeFor(found, userId); // someone else's personal offer answers as an unknown code
  const refusal = checkCode(terms, lines, used, now);
  const subtotal = lines.reduce((sum, line) => sum + line.lineCents, 0);
  return {
    code,
    terms,
    refusal,
    discounts: refusal || !terms ? lines.map(() => 0) : lineDiscounts(terms, lines),
    facts: {
      code,
      validFrom: terms?.validFrom,
      validUntil: terms?.validUntil,
      minSubtotal: fromCents(terms?.minSubtotalCents ?? 0),
      subtotal: fromCents(subtotal),
    },
  };
}
