/**
 * Loading rows into the domain's plain types, a constant number of queries whatever the number of
 * products: one query per class, never one per product.
 */
import { type Cents, fromCents, toCents } from '../domain/money';
import { type SaleTerms, viewSale } from '../domain/sale-window';

export interface ProductFacts {
  id: string;
  name: string;
  description: string | null;
  imageUrl: string | null;
  listCents: Cents;
  active: boolean;
}

const master = { useMasterKey: true } as const;
const productPointer = (id: string) => Parse.Object.extend('Product').createWithoutData(id);

export function toProductFacts(product: Parse.Object): ProductFacts {
  return {
    id: product.id!,
    name: product.get('name'),
    description: product.get('description') ?? null,
    imageUrl: product.get('imageUrl') ?? null,
    listCents: toCents(product.get('price')) ?? 0,
    active: product.get('active') !== false,
  };
}

export function toSaleTerms(sale: Parse.Object): SaleTerms {
  const discountPrice = sale.get('discountPrice');
  return {
    id: sale.id!,
    productId: sale.get('product').id,
    startsAt: sale.get('startTime'),
    endsAt: sale.get('endTime'),
    discountPriceCents: typeof discountPrice === 'number' ? toCents(discountPrice) : null,
    discountPercent: typeof sale.get('discount') === 'number' ? sale.get('discount') : null,
    quantityLimit: sale.get('quantityLimit') ?? null,
    perUserLimit: sale.get('perUserLimit') ?? null,
    soldCount: sale.get('soldCount') ?? 0,
  };
}

/** Products by id (missing ids are absent from the map). One query. */
export async function loadProducts(ids: string[]): Promise<Map<string, ProductFacts>> {
  if (ids.length === 0) return new Map();
  const rows = await new Parse.Query('Product').containedIn('objectId', ids).limit(ids.length).find(master);
  return new Map(rows.map((row) => [row.id!, toProductFacts(row)]));
}

/** Stock by product id (0 when a product has no row). One query. */
export async function loadStocks(productIds: string[]): Promise<Map<string, number>> {
  const stocks = new Map(productIds.map((id) => [id, 0]));
  if (productIds.length === 0) return stocks;
  const rows = await new Parse.Query('Inventory')
    .containedIn('product', productIds.map(productPointer))
    .limit(productIds.length)
    .find(master);
  for (const row of rows) stocks.set(row.get('product').id, row.get('stock'));
  return stocks;
}

/** Every sale of these products that has not ended at `now`, grouped by product. One query. */
export async function loadOpenSales(productIds: string[], now: Date): Promise<Map<string, SaleTerms[]>> {
  const byProduct = new Map<string, SaleTerms[]>();
  if (productIds.length === 0) return byProduct;
  const rows = await new Parse.Query('FlashSale')
    .containedIn('product', productIds.map(productPointer))
    .greaterThan('endTime', now)
    .ascending('startTime')
    .limit(1000)
    .find(master);
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
