/** The priced cart that getCart, addToCart and setCartItem return (SPEC section 7). */
import { shopConfig } from '../../parse-config';
import type { CartLine } from '../domain/cart';
import { type CartFacts, priceCart } from '../domain/cart-pricing';
import { fromCents } from '../domain/money';
import { loadShelf } from '../edge/records';
import { loadBoughtAtSale } from '../invariants/sale-quota';
import { evaluateCode } from '../checkout/evaluate-code';
import { failCode } from '../edge/code-errors';

/** Everything pricing needs for these products and this user, in two round trips. */
export async function loadCartFacts(userId: string, productIds: string[], now: Date): Promise<CartFacts> {
  const { products, stocks, sales } = await loadShelf(productIds, now);
  const saleIds = [...sales.values()].flat().map((sale) => sale.id);
  return { products, stocks, sales, boughtAtSale: await loadBoughtAtSale(userId, saleIds) };
}

/**
 * The priced cart. A code that does not apply is listed under problems and the cart is priced
 * without it; with `strict` (applyCode) it is refused with its error (4010..4013) instead.
 */
export async function cartView(userId: string, lines: CartLine[], code: string | null, now = new Date(), strict = false) {
  const facts = await loadCartFacts(userId, lines.map((line) => line.productId), now);
  const priced = priceCart(lines, facts, now);
  const problems: Array<{ productId?: string; code?: string; reason: string }> = [...priced.problems];
  let discountCents = 0;
  if (code) {
    const buyable = priced.lines.filter((line) => !priced.problems.some((p) => p.productId === line.productId));
    const outcome = await evaluateCode(code, userId, buyable, now);
    if (outcome.refusal && strict) failCode(outcome.refusal, outcome.facts);
    if (outcome.refusal) problems.push({ code: outcome.code, reason: outcome.refusal });
    discountCents = outcome.discounts.reduce((sum, cents) => sum + cents, 0);
  }
  return {
    items: priced.lines.map((line) => ({
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPrice: fromCents(line.listCents),
      salePrice: line.saleCents === null ? null : fromCents(line.saleCents),
      lineTotal: fromCents(line.lineCents),
      stock: line.stock,
    })),
    code,
    subtotal: fromCents(priced.subtotalCents),
    discount: fromCents(discountCents),
    total: fromCents(priced.subtotalCents - discountCents),
    currency: shopConfig().currency,
    problems,
  };
}
