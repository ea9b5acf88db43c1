/** The priced cart that getCart, addToCart and setCartItem return (SPEC section 7). */
import { shopConfig } from '../../parse-config';
import type { CartLine } from '../domain/cart';
import { type CartFacts, priceCart } from '../domain/cart-pricing';
import { fromCents } from '../domain/money';
import { loadOpenSales, loadProducts, loadStocks } from '../edge/records';
import { loadBoughtAtSale } from '../invariants/sale-quota';

/** Everything pricing needs for these products and this user, in four queries. */
export async function loadCartFacts(userId: string, productIds: string[], now: Date): Promise<CartFacts> {
  const [products, stocks, sales] = await Promise.all([loadProducts(productIds), loadStocks(productIds), loadOpenSales(productIds, now)]);
  const saleIds = [...sales.values()].flat().map((sale) => sale.id);
  return { products, stocks, sales, boughtAtSale: await loadBoughtAtSale(userId, saleIds) };
}

export async function cartView(userId: string, lines: CartLine[], code: string | null, now = new Date()) {
  const facts = await loadCartFacts(userId, lines.map((line) => line.productId), now);
  const priced = priceCart(lines, facts, now);
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
    discount: 0,
    total: fromCents(priced.subtotalCents),
    currency: shopConfig().currency,
    problems: priced.problems,
  };
}
