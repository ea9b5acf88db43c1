/**
 * Loading rows into the domain's plain types, a constant number of queries whatever the number of
 * products: one query per class, never one per product.
 */
import { type Cents, fromCents, toCents } from '../domain/money';
import { type SaleTerms, viewSale } from '../domain/sale-window';
import { findRows } from './db';
import { dateOf, dateValue, pointerTo, type Row } from './rows';

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

/** The order with this id (REST format), or null. */
export async function loadOrder(orderId: string): Promise<Row | null> {
  const [order] = await findRows('Order', { objectId: orderId }, { limit: 1 });
  return order ?? null;
}

/** Whether any order of the checkout is not cancelled. */
export async function hasStandingOrders(checkoutId: string): Promise<boolean> {
  return (await findRows('Order', { checkoutId, status: { $ne: 'cancelled' } }, { limit: 1, keys: ['objectId'] })).length > 0;
}

/** Whether the order has its charge. */
export async function isCharged(orderId: string): Promise<boolean> {
  return (await findRows('Transaction', { order: pointerTo('Order', orderId), type: 'charge' }, { limit: 1, keys: ['objectId'] })).length > 0;
}

/** The sale with this id, or null. */
export async function loadSale(saleId: string): Promise<SaleTerms | null> {
  const [row] = await findRows('FlashSale', { objectId: saleId }, { limit: 1 });
  return row ? toSaleTerms(row) : null;
}

/** Pending orders whose deadline passed at `now`, oldest first. */
export function duePendingOrders(now: Date, limit: number): Promise<Row[]> {
  return findRows('Order', { status: 'pending', expiresAt: { $lte: dateValue(now) } }, { limit, sort: { expiresAt: 1 } });
}

const PAGE = 1000; // Parse's maxLimit: internal reads page rather than trust a bigger limit

/** Visits every row matching `where`, a page at a time (for sweeps and reports over a whole class). */
export async function eachRow(className: string, where: Record<string, unknown>, keys: string[] | undefined, visit: (row: Row) => void | Promise<void>): Promise<void> {
  for (let skip = 0; ; skip += PAGE) {
    const page = await findRows(className, where, { limit: PAGE, skip, sort: { objectId: 1 }, ...(keys ? { keys } : {}) });
    for (const row of page) await visit(row);
    if (page.length < PAGE) return;
  }
}

/** One page of the catalogue: active products (optionally whose name matches `pattern`), by name. */
export async function loadCatalogPage(pattern: string | null, limit: number, skip: number): Promise<ProductFacts[]> {
  const where: Record<string, unknown> = { active: true };
  if (pattern) where.name = { $regex: pattern, $options: 'i' };
  return (await findRows('Product', where, { limit, skip, sort: { name: 1, objectId: 1 } })).map(toProductFacts);
}

/** Sales that have not ended at `now`: all of them, those live, or those still to come; by start. */
export async function loadSalesAt(now: Date, status: 'live' | 'upcoming' | 'all', limit = 100): Promise<SaleTerms[]> {
  const where: Record<string, unknown> = { endTime: { $gt: dateValue(now) } };
  if (status === 'live') where.startTime = { $lte: dateValue(now) };
  if (status === 'upcoming') where.startTime = { $gt: dateValue(now) };
  return (await findRows('FlashSale', where, { limit, sort: { startTime: 1 } })).map(toSaleTerms);
}

/** The first of `ids` that names no product, or null. */
export async function missingProduct(ids: string[]): Promise<string | null> {
  const found = await findRows('Product', { objectId: { $in: ids } }, { limit: ids.length, keys: ['objectId'] });
  return ids.find((id) => !found.some((row) => row.objectId === id)) ?? null;
}

/** The first of these user ids that names no user, or null. */
export async function missingUser(ids: string[]): Promise<string | null> {
  const found = await findRows('_User', { objectId: { $in: ids } }, { limit: ids.length, keys: ['objectId'] });
  return ids.find((id) => !found.some((row) => row.objectId === id)) ?? null;
}

/** Whether a row of `className` other than `exceptId` already has this code. */
export async function codeTaken(className: string, code: string, exceptId?: string): Promise<boolean> {
  const where: Record<string, unknown> = { code };
  if (exceptId) where.objectId = { $ne: exceptId };
  return (await findRows(className, where, { limit: 1, keys: ['objectId'] })).length > 0;
}
