/** A cart priced for display: every line with its price, and problems instead of failures. Pure. */
import type { CartLine } from './cart';
import type { Cents } from './money';
import { exceedsPerUserLimit, priceLine } from './pricing';
import { currentSale, inWindow, type SaleTerms } from './sale-window';

export type LineProblem = 'deleted' | 'inactive' | 'out_of_stock' | 'sale_limit_reached';

export interface ProductForPricing {
  name: string;
  listCents: Cents;
  active: boolean;
}

export interface CartFacts {
  products: Map<string, ProductForPricing>;
  stocks: Map<string, number>;
  /** Open (not ended) sales per product. */
  sales: Map<string, SaleTerms[]>;
  /** Units the user already bought at each sale's price, by sale id. */
  boughtAtSale: Map<string, number>;
}

export interface PricedLine {
  productId: string;
  name: string;
  quantity: number;
  listCents: Cents;
  /** The sale price this line gets, or null when it is priced at the list price. */
  saleCents: Cents | null;
  saleId: string | null;
  lineCents: Cents;
  stock: number;
}

export interface PricedCart {
  lines: PricedLine[];
  problems: Array<{ productId: string; reason: LineProblem }>;
  /** Sum of the lines without problems: what a checkout would charge before codes. */
  subtotalCents: Cents;
}

/** The live sale of a product at `now`, if any. */
export function liveSale(sales: SaleTerms[] | undefined, now: Date): SaleTerms | null {
  const sale = currentSale(sales ?? [], now);
  return sale && inWindow(sale, now) ? sale : null;
}

export function priceCart(lines: CartLine[], facts: CartFacts, now: Date): PricedCart {
  const priced: PricedLine[] = [];
  const problems: PricedCart['problems'] = [];
  let subtotalCents = 0;
  for (const { productId, quantity } of lines) {
    const product = facts.products.get(productId);
    if (!product) {
      problems.push({ productId, reason: 'deleted' });
      continue;
    }
    const sale = liveSale(facts.sales.get(productId), now);
    const price = priceLine(product.listCents, quantity, now, sale);
    const stock = facts.stocks.get(productId) ?? 0;
    priced.push({
      productId,
      name: product.name,
      quantity,
      listCents: product.listCents,
      saleCents: price.saleId ? price.unitCents : null,
      saleId: price.saleId,
      lineCents: price.lineCents,
      stock,
    });
    const problem: LineProblem | null = !product.active
      ? 'inactive'
      : stock < quantity
        ? 'out_of_stock'
        : sale && price.saleId && exceedsPerUserLimit(sale, facts.boughtAtSale.get(sale.id) ?? 0, quantity)
          ? 'sale_limit_reached'
          : null;
    if (problem) problems.push({ productId, reason: problem });
    else subtotalCents += price.lineCents;
  }
  return { lines: priced, problems, subtotalCents };
}
