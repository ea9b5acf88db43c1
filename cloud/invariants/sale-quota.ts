/**
 * The only writer of FlashSale.soldCount and of SaleBuyer.units (units one user bought at a sale's
 * price). Both change by conditional atomic writes, so no mix of parallel requests sells more than
 * quantityLimit at the sale price or lets a user pass perUserLimit.
 */
import { fromCents } from '../domain/money';
import { inWindow, remainingUnits, type SaleTerms } from '../domain/sale-window';
import { Code, fail, isParseError } from '../edge/errors';
import { addHold, holdOf, holding, removeHold } from '../edge/holds';
import { NEXT_VERSION, publishUpdate } from '../edge/live';
import { toSaleTerms } from '../edge/records';
import { soldCountHints } from '../edge/counter-hints';
import { type BatchPart, findRows, insertOne, newRow, updateOne } from '../edge/db';
import { dateValue as isoDate, pointerTo as pointer, type Row } from '../edge/rows';

/** Units the user bought at each of these sales' prices. One query. */
export async function loadBoughtAtSale(userId: string, saleIds: string[]): Promise<Map<string, number>> {
  const bought = new Map<string, number>();
  if (saleIds.length === 0) return bought;
  const rows = await findRows(
    'SaleBuyer',
    { user: pointer('_User', userId), sale: { $in: saleIds.map((id) => pointer('FlashSale', id)) } },
    { limit: saleIds.length },
  );
  for (const row of rows) bought.set(row.sale.objectId, row.units);
  return bought;
}

/**
 * Adds units to the user's count for the sale, within perUserLimit, held for the checkout; false
 * when that would pass the limit. Most buyers in a drop buy once, so the row is inserted first (the
 * unique (sale, user) index lets one concurrent insert win) and only an existing row is raised by
 * the conditional update. (These small per-user holds are dropped by the recovery sweep.)
 */
async function claimBuyerUnits(sale: SaleTerms, userId: string, quantity: number, checkoutId: string): Promise<boolean> {
  const claim = buyerClaim(sale, userId, quantity);
  if (!claim) return false;
  try {
    await insertOne('SaleBuyer', { ...claim.row, holds: [holdOf(checkoutId, quantity)] });
    return true;
  } catch (error) {
    if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
  }
  return (await updateOne('SaleBuyer', { ...claim.key, ...claim.within }, { ...claim.raise, holds: addHold(checkoutId, quantity) })) !== null;
}

/** The user's SaleBuyer row as first inserted, and the condition and change that raise an existing one; null past perUserLimit. */
function buyerClaim(sale: SaleTerms, userId: string, quantity: number) {
  const key = { sale: pointer('FlashSale', sale.id), user: pointer('_User', userId) };
  const limit = sale.perUserLimit;
  if (limit !== null && quantity > limit) return null;
  return {
    key,
    row: { ...key, units: quantity, ACL: {} },
    within: limit === null ? {} : { units: { $lte: limit - quantity } },
    raise: { units: { __op: 'Increment', amount: quantity } },
  };
}

/** Takes units off the user's count: those a checkout holds (at most once), or, for a cancelled order, unconditionally. */
export async function releaseBuyerUnits(saleId: string, userId: string, quantity: number, checkoutId?: string): Promise<void> {
  const where: Record<string, unknown> = { sale: pointer('FlashSale', saleId), user: pointer('_User', userId) };
  const update: Record<string, unknown> = { units: { __op: 'Increment', amount: -quantity } };
  if (checkoutId) {
    where.holds = holding(checkoutId, quantity);
    update.holds = removeHold(checkoutId, quantity);
  }
  await updateOne('SaleBuyer', where, update);
}


function publishSale(sale: SaleTerms, row: Row, change: number): void {
  const soldCount = Number(row.soldCount);
  soldCountHints.seen(sale.id, soldCount);
  const fields: Record<string, unknown> = {
    objectId: sale.id,
    product: pointer('Product', sale.productId),
    startTime: isoDate(sale.startsAt),
    endTime: isoDate(sale.endsAt),
    soldCount,
    version: Number(row.version),
  };
  if (sale.quantityLimit !== null) fields.quantityLimit = sale.quantityLimit;
  if (sale.perUserLimit !== null) fields.perUserLimit = sale.perUserLimit;
  if (sale.discountPercent !== null) fields.discount = sale.discountPercent;
  if (sale.discountPriceCents !== null) fields.discountPrice = fromCents(sale.discountPriceCents);
  publishUpdate('FlashSale', fields as Row, { soldCount: soldCount - change, version: Number(row.version) - 1 }).catch((error) =>
    console.error(`Live Query publish of FlashSale ${sale.id} failed`, error),
  );
}

/** Takes quota if the sale is live at `now` and has `quantity` left, held for the checkout; false otherwise. */
async function claimQuota(sale: SaleTerms, quantity: number, now: Date, checkoutId: string): Promise<boolean> {
  const row = await updateOne('FlashSale', quotaCondition(sale, quantity, now), { ...quotaChange(quantity), holds: addHold(checkoutId, quantity) });
  if (row) publishSale(sale, row, quantity);
  return row !== null;
}

/** The sale is live at `now` and has `quantity` left. */
function quotaCondition(sale: SaleTerms, quantity: number, now: Date): Record<string, unknown> {
  const where: Record<string, unknown> = { objectId: sale.id, startTime: { $lte: isoDate(now) }, endTime: { $gt: isoDate(now) } };
  if (sale.quantityLimit !== null) where.soldCount = { $lte: sale.quantityLimit - quantity };
  return where;
}

const quotaChange = (quantity: number) => ({ soldCount: { __op: 'Increment', amount: quantity }, ...NEXT_VERSION });

/**
 * The sale-price claim of claimSaleUnits as parts of an all-or-nothing batch (checkout-claim.ts):
 * the user's units within perUserLimit (inserted, or raised when the row exists) and the sale's
 * quota within its window, with the same conditions and without holds, since the batch lands
 * whole or not at all. Null when the line is past perUserLimit on its own.
 */
export function saleClaimParts(sale: SaleTerms, userId: string, quantity: number, now: Date): BatchPart[] | null {
  const claim = buyerClaim(sale, userId, quantity);
  if (!claim) return null;
  return [
    { write: { kind: 'upsert', className: 'SaleBuyer', row: newRow(claim.row), conflict: ['sale', 'user'], update: claim.raise, where: claim.within } },
    {
      write: { kind: 'update', className: 'FlashSale', where: quotaCondition(sale, quantity, now), update: quotaChange(quantity), returning: ['soldCount', 'version'] },
      announce: (row) => publishSale(sale, row, quantity),
    },
  ];
}

export type SaleClaim = 'sale_price' | 'list_price';

/**
 * A line of a live sale priced at the list price, as a part of an all-or-nothing batch: it holds
 * only while the sale's quota still cannot cover the line when the batch lands (a cancel may have
 * given units back). It locks the sale's row, so a line priced so while the last sale-price claims
 * were in flight lands only once they have taken the quota. Null when the sale has no quota (then
 * only its window sets the price).
 */
export function soldOutPart(sale: SaleTerms, quantity: number): BatchPart | null {
  if (sale.quantityLimit === null) return null;
  return { write: { kind: 'check', className: 'FlashSale', where: { objectId: sale.id, soldCount: { $gt: sale.quantityLimit - quantity } }, lock: true } };
}


/**
 * Claims `quantity` units at the sale price for the user: the per-user count first (so a user over
 * the limit never holds quota others could buy), then the sale's quota, checked against the
 * window at `now`. `list_price` when the sale is not live or its quota cannot cover the line;
 * 4002 when the line would take the user past perUserLimit while the sale price is still on offer.
 */
export async function claimSaleUnits(sale: SaleTerms, userId: string, quantity: number, now: Date, productName: string, checkoutId: string): Promise<SaleClaim> {
  // Sold out when loaded: no write can succeed now (the quota only grows back through cancels).
  if (!inWindow(sale, now) || (remainingUnits(sale) ?? Infinity) < quantity) return 'list_price';
  if (!(await claimBuyerUnits(sale, userId, quantity, checkoutId))) {
    const [fresh] = await findRows('FlashSale', { objectId: sale.id }, { limit: 1 });
    if (!fresh || (remainingUnits(toSaleTerms(fresh)) ?? Infinity) < quantity) return 'list_price';
    fail(Code.SaleLimitReached, `The flash sale of ${productName} allows ${sale.perUserLimit} unit(s) per customer at the sale price; you cannot buy ${quantity} more.`);
  }
  if (await claimQuota(sale, quantity, now, checkoutId)) return 'sale_price';
  await releaseBuyerUnits(sale.id, userId, quantity, checkoutId);
  return 'list_price';
}

/**
 * Gives back units claimed at the sale price. With `checkoutId` (an undone or recovered checkout)
 * only units that checkout still holds come back, so it happens at most once; without it (a
 * cancelled order, whose status move already made it once) they come back unconditionally.
 */
export async function releaseSaleUnits(sale: SaleTerms, userId: string, quantity: number, checkoutId?: string): Promise<void> {
  const where: Record<string, unknown> = { objectId: sale.id };
  const update: Record<string, unknown> = { soldCount: { __op: 'Increment', amount: -quantity }, ...NEXT_VERSION };
  if (checkoutId) {
    where.holds = holding(checkoutId, quantity);
    update.holds = removeHold(checkoutId, quantity);
  }
  const row = await updateOne('FlashSale', where, update);
  if (row) publishSale(sale, row, -quantity);
  // With a checkout, the user's units come back only if that checkout still holds them: at most once.
  await releaseBuyerUnits(sale.id, userId, quantity, checkoutId);
}

/** Drops a completed checkout's hold on the sale: its units now belong to its orders. */
export async function releaseSaleHold(saleId: string, checkoutId: string, quantity: number): Promise<void> {
  await updateOne('FlashSale', { objectId: saleId, holds: holding(checkoutId, quantity) }, { holds: removeHold(checkoutId, quantity) });
}
