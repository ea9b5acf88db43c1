/**
 * Loading rows into the domain's plain types, a constant number of queries whatever the number of
 * products: one query per class, never one per product.
 */
import { type Cents, fromCents, toCents } from '../domain/money';
import { inWindow, type SaleTerms, viewSale } from '../domain/sale-window';
import { type BatchFind, findRows, findRowsAtOnce } from './db';
import { demandHints, soldCountHints, stockHints } from './counter-hints';
import { openSaleDefinitions, productDefinitions, type SaleDefinition } from './definitions';
import { dateOf, dateValue, pointerTo, type Row } from './rows';

export interface ProductFacts {
  id: string;
  name: string;
  description: string | null;
  imageUrl: string | null;
  listCents: Cents;
  active: boolean;
}


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

/** Products by id (missing ids are absent from the map), from the definitions cache where it has them. At most one query. */
export async function loadProducts(ids: string[]): Promise<Map<string, ProductFacts>> {
  return (await loadShelf(ids, new Date(), { stock: false, sales: false })).products;
}

/** What a buyer's request needs of these products: stock, the products, their sales not ended at `now`. */
export interface Shelf {
  /** By product id; a product without an Inventory row is absent. */
  stocks: Map<string, number>;
  /** By id; an unknown id is absent. */
  products: Map<string, ProductFacts>;
  /** By product id, by start; soldCount as the database holds it now. */
  sales: Map<string, SaleTerms[]>;
}

const productPointer = (id: string) => pointerTo('Product', id);

/**
 * Loads the shelf of these products in one round trip (one statement on PostgreSQL): stock and
 * each sale's soldCount always from the database; products and what their sales are from the
 * definitions cache where it has them. `extra` finds ride along in the same round trip.
 */
export async function loadShelf(
  ids: string[],
  now: Date,
  { stock = true, products: withProducts = true, sales: withSales = true }: { stock?: boolean; products?: boolean; sales?: boolean } = {},
  extra: BatchFind[] = [],
): Promise<Shelf & { extra: Row[][] }> {
  const productsLoad = productDefinitions.loading();
  const salesLoad = openSaleDefinitions.loading();
  const cachedProducts = new Map((withProducts ? ids : []).flatMap((id) => { const p = productDefinitions.get(id); return p ? [[id, p] as const] : []; }));
  const cachedSales = new Map(withSales ? ids.flatMap((id) => { const s = openSaleDefinitions.get(id); return s ? [[id, s] as const] : []; }) : []);
  const unknownProducts = withProducts ? ids.filter((id) => !cachedProducts.has(id)) : [];
  const unknownSales = withSales ? ids.filter((id) => !cachedSales.has(id)) : [];
  const knownSaleIds = [...cachedSales.values()].flat().filter((sale) => sale.endsAt > now).map((sale) => sale.id);

  const finds: BatchFind[] = [...extra];
  const at = (find: BatchFind | null) => (find ? finds.push(find) - 1 : -1);
  const stockAt = at(stock && ids.length ? { className: 'Inventory', where: { product: { $in: ids.map(productPointer) } }, limit: ids.length, keys: ['product', 'stock'] } : null);
  const productsAt = at(unknownProducts.length ? { className: 'Product', where: { objectId: { $in: unknownProducts } }, limit: unknownProducts.length } : null);
  const salesAt = at(unknownSales.length ? { className: 'FlashSale', where: { product: { $in: unknownSales.map(productPointer) }, endTime: { $gt: dateValue(now) } }, limit: 1000, sort: { startTime: 1 } } : null);
  const countsAt = at(knownSaleIds.length ? { className: 'FlashSale', where: { objectId: { $in: knownSaleIds } }, limit: knownSaleIds.length, keys: ['soldCount'] } : null);
  const rows = await findRowsAtOnce(finds);
  const found = (i: number) => (i < 0 ? [] : rows[i]);

  const loadedProducts = found(productsAt).map((row) => [row.objectId, toProductFacts(row)] as [string, ProductFacts]);
  productDefinitions.store(loadedProducts, productsLoad);
  const loadedSales = new Map<string, SaleDefinition[]>(unknownSales.map((id) => [id, []]));
  const soldCounts = new Map<string, number>();
  for (const row of found(salesAt)) {
    const { soldCount, ...definition } = toSaleTerms(row);
    loadedSales.get(definition.productId)?.push(definition);
    soldCounts.set(definition.id, soldCount);
  }
  openSaleDefinitions.store(loadedSales, salesLoad);
  for (const row of found(countsAt)) soldCounts.set(row.objectId, row.soldCount ?? 0);

  const sales = new Map<string, SaleTerms[]>();
  for (const [productId, list] of [...cachedSales, ...loadedSales]) {
    const open = list.filter((sale) => sale.endsAt > now && soldCounts.has(sale.id)).map((sale) => ({ ...sale, soldCount: soldCounts.get(sale.id)! }));
    if (open.length) sales.set(productId, open);
  }
  for (const [saleId, soldCount] of soldCounts) soldCountHints.seen(saleId, soldCount);
  const stocks = new Map(found(stockAt).map((row) => [row.product.objectId as string, row.stock as number]));
  for (const [productId, left] of stocks) stockHints.seen(productId, left);
  return { stocks, products: new Map([...cachedProducts, ...loadedProducts]), sales, extra: rows.slice(0, extra.length) };
}

/** A shelf from what this process knows, with the units to count as being tried (demandHints.during) while its checkout tries its one write. */
export type HintedShelf = Shelf & { demand: Array<[string, number]> };

/**
 * What this process knows of these products' shelf without a round trip (products and sales from
 * the definitions cache, stock and soldCount from what it last saw, counter-hints.ts):
 * - `known`: all of it, each line coverable, less what this process is trying to take now;
 * - `unknown`: something is not cached;
 * - `busy`: the stock hint covers a line only if some of this process's checkouts in flight at
 *   `key` fail, so wait for them;
 * - `read`: the stock hint cannot cover a line; only the database may say so.
 * A live sale's line is tried at the sale price when the quota hint, less this process's claims in
 * flight, covers it. When it covers the line only if some of those claims fail, or not at all, the
 * line is tried at the list price: the write holds only if the quota is used up when it lands
 * (sale-quota.ts soldOutPart).
 */
export type ShelfHint = { kind: 'known'; shelf: HintedShelf } | { kind: 'unknown' } | { kind: 'busy'; key: string } | { kind: 'read' };

export function shelfFromHints(lines: Array<{ productId: string; quantity: number }>, now: Date): ShelfHint {
  const shelf: HintedShelf = { stocks: new Map(), products: new Map(), sales: new Map(), demand: [] };
  for (const { productId, quantity } of lines) {
    const product = productDefinitions.get(productId);
    const definitions = openSaleDefinitions.get(productId);
    const stock = stockHints.get(productId);
    if (!product || !definitions || stock === undefined) return { kind: 'unknown' };
    if (stock < quantity) return { kind: 'read' };
    const stockKey = `Inventory:${productId}`;
    if (stock - demandHints.pending(stockKey) < quantity) return { kind: 'busy', key: stockKey };
    shelf.demand.push([stockKey, quantity]);
    const open: SaleTerms[] = [];
    for (const sale of definitions.filter((s) => s.endsAt > now)) {
      const soldCount = soldCountHints.get(sale.id);
      if (soldCount === undefined) return { kind: 'unknown' };
      if (inWindow(sale, now) && sale.quantityLimit !== null && sale.quantityLimit - soldCount >= quantity) {
        const saleKey = `FlashSale:${sale.id}`;
        if (sale.quantityLimit - soldCount - demandHints.pending(saleKey) < quantity) {
          // Priced as used up: the claims in flight take what is left, which the write checks.
          open.push({ ...sale, soldCount: sale.quantityLimit });
          continue;
        }
        shelf.demand.push([saleKey, quantity]);
      }
      open.push({ ...sale, soldCount });
    }
    shelf.products.set(productId, product);
    shelf.stocks.set(productId, stock);
    if (open.length) shelf.sales.set(productId, open);
  }
  return { kind: 'known', shelf };
}

/** How long a checkout waits for this process's checkouts in flight before it reads the shelf instead. */
const TURN_WAIT_MS = 2_000;

const priming = new Map<string, Promise<unknown>>();

/** Loads these products' shelf into the caches and hints, once for all the checkouts that ask at the same time. */
function primeShelf(ids: string[]): Promise<unknown> {
  const key = [...ids].sort().join(' ');
  let load = priming.get(key);
  if (!load) {
    load = loadShelf(ids, new Date())
      .catch(() => undefined) // the checkout reads the shelf itself then
      .finally(() => priming.delete(key));
    priming.set(key, load);
  }
  return load;
}

/**
 * The shelf from hints (shelfFromHints), and the moment it was priced at: a product not cached is
 * loaded once for every checkout asking at the same time, and a checkout at units this process is
 * trying to take waits for them to land or not. Null when only a read of the shelf can decide (a
 * hint of short stock, a wait of more than TURN_WAIT_MS, nothing cached after the load).
 */
export async function shelfWhenKnown(lines: Array<{ productId: string; quantity: number }>): Promise<{ shelf: HintedShelf; now: Date } | null> {
  const deadline = Date.now() + TURN_WAIT_MS;
  let primed = false;
  let wokenAt: string | null = null;
  try {
    for (;;) {
      const now = new Date();
      const hint = shelfFromHints(lines, now);
      if (hint.kind === 'known') return { shelf: hint.shelf, now };
      if (hint.kind === 'read' || (hint.kind === 'unknown' && primed)) return null;
      if (hint.kind === 'unknown') {
        primed = true;
        await primeShelf(lines.map((line) => line.productId));
        continue;
      }
      if (wokenAt !== null && wokenAt !== hint.key) demandHints.passTurn(wokenAt);
      wokenAt = null;
      if (!(await demandHints.waitTurn(hint.key, deadline))) return null;
      wokenAt = hint.key;
    }
  } finally {
    // Done waiting: the next waiter looks at what this one saw change.
    if (wokenAt !== null) demandHints.passTurn(wokenAt);
  }
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
