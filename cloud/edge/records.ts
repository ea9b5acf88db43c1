/**
 * Loading rows into the domain's plain types, a constant number of queries whatever the number of
 * products: one query per class, never one per product.
 */
import { type Cents, fromCents, toCents } from '../domain/money';
import { type SaleTerms, viewSale } from '../domain/sale-window';
import { dateOf, dateValue, findRows, pointerTo, type Row } from './server-internals';

export interface ProductFacts {
  id: string;
  name: string;
  description: string | null;
  imageUrl: string | null;
  listCents: Cents;
  active: boolean;
}

const productPointers = (ids: string[]) => ids.map((id) => pointerTo('Product', id));

/** A Product row (REST format, from findRows) as the domain sees it. */
export function toProductFacts(row: Row): ProductFacts {
  return {
    id: row.objectId,
    name: row.name,
    description: row.description ?? null,
    imageUrl: row.imageUrl ?? null,
    listCents: toCents(row.price) ?? 0,
    active: row.active !== false,
  };
}

/** A FlashSale row (REST format) as the domain sees it. */
export function toSaleTerms(row: Row): SaleTerms {
  return {
    id: row.objectId,
    productId: row.product.objectId,
    startsAt: dateOf(row.startTime)!,
    endsAt: dateOf(row.endTime)!,
    discountPriceCents: typeof row.discountPrice === 'number' ? toCents(row.discountPrice) : null,
    discountPercent: typeof row.discount === 'number' ? row.discount : null,
    quantityLimit: row.quantityLimit ?? null,
    perUserLimit: row.perUserLimit ?? null,
    soldCount: row.soldCount ?? 0,
  };
}

/** Products by id (missing ids are absent from the map). One query. */
export async function loadProducts(ids: string[]): Promise<Map<string, ProductFacts>> {
  if (ids.length === 0) return new Map();
  const rows = await findRows('Product', { objectId: { $in: ids } }, { limit: ids.length });
  return new Map(rows.map((row) => [row.objectId, toProductFacts(row)]));
}

/** Stock by product id (a product without an Inventory row is absent). One query. */
export async function loadStocks(productIds: string[]): Promise<Map<string, number>> {
  const stocks = new Map<string, number>();
  if (productIds.length === 0) return stocks;
  const rows = await findRows('Inventory', { product: { $in: productPointers(productIds) } }, { limit: productIds.length, keys: ['product', 'stock'] });
  for (const row of rows) stocks.set(row.product.objectId, row.stock);
  return stocks;
}

/** Every sale of these products that has not ended at `now`, grouped by product. One query. */
export async function loadOpenSales(productIds: string[], now: Date): Promise<Map<string, SaleTerms[]>> {
  const byProduct = new Map<string, SaleTerms[]>();
  if (productIds.length === 0) return byProduct;
  const rows = await findRows(
    'FlashSale',
    { product: { $in: productPointers(productIds) }, endTime: { $gt: dateValue(now) } },
    { sort: { startTime: 1 } },
  );
  for (const sale of rows.map(toSaleTerms)) {
    byProduct.set(sale.productId, [...(byProduct.get(sale.productId) ?? []), sale]);
  }
  return byProduct;
}

/** The sale as apps see it: prices in major units, instants as ISO strings, countdowns in ms. */
export function saleJSON(sale: SaleTerms, listCents: Cents, now: Date) {
  const view = viewSale(sale, listCents, now);
  return {
    id: sale.id,
    salePrice: fromCents(view.salePriceCents),
    startTime: sale.startsAt.toISOString(),
    endTime: sale.endsAt.toISOString(),
    status: view.status,
    startsInMs: view.startsInMs,
    endsInMs: view.endsInMs,
    remaining: view.remaining,
  };
}
