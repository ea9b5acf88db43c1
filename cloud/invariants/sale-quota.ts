/**
 * The only writer of FlashSale.soldCount and of SaleBuyer.units (units one user bought at a sale's
 * price). Both change by conditional atomic writes, so no mix of parallel requests sells more than
 * quantityLimit at the sale price or lets a user pass perUserLimit.
 */
import { fromCents } from '../domain/money';
import { inWindow, remainingUnits, type SaleTerms } from '../domain/sale-window';
import { Code, fail, isParseError } from '../edge/errors';
import { publishUpdate } from '../edge/live';
import { dateValue as isoDate, findRows, insertRow, pointerTo as pointer, type Row, updateWhere } from '../edge/server-internals';

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
 * Adds units to the user's count for the sale, within perUserLimit; false when that would pass it.
 * Most buyers in a drop buy once, so the row is inserted first (the unique (sale, user) index lets
 * one concurrent insert win) and only an existing row is raised by the conditional update.
 */
async function claimBuyerUnits(sale: SaleTerms, userId: string, quantity: number): Promise<boolean> {
  const key = { sale: pointer('FlashSale', sale.id), user: pointer('_User', userId) };
  const limit = sale.perUserLimit;
  if (limit !== null && quantity > limit) return false;
  try {
    await insertRow('SaleBuyer', { ...key, units: quantity, ACL: {} });
    return true;
  } catch (error) {
    if (!isParseError(error, Parse.Error.DUPLICATE_VALUE)) throw error;
  }
  const within = limit === null ? {} : { units: { $lte: limit - quantity } };
  return (await updateWhere('SaleBuyer', { ...key, ...within }, { units: { __op: 'Increment', amount: quantity } })) !== null;
}

async function releaseBuyerUnits(saleId: string, userId: string, quantity: number): Promise<void> {
  await updateWhere(
    'SaleBuyer',
    { sale: pointer('FlashSale', saleId), user: pointer('_User', userId) },
    { units: { __op: 'Increment', amount: -quantity } },
  );
}

function publishSale(sale: SaleTerms, row: Row, change: number): void {
  const soldCount = Number(row.soldCount);
  const fields: Record<string, unknown> = {
    objectId: sale.id,
    product: pointer('Product', sale.productId),
    startTime: isoDate(sale.startsAt),
    endTime: isoDate(sale.endsAt),
    soldCount,
  };
  if (sale.quantityLimit !== null) fields.quantityLimit = sale.quantityLimit;
  if (sale.perUserLimit !== null) fields.perUserLimit = sale.perUserLimit;
  if (sale.discountPercent !== null) fields.discount = sale.discountPercent;
  if (sale.discountPriceCents !== null) fields.discountPrice = fromCents(sale.discountPriceCents);
  publishUpdate('FlashSale', fields as Row, { soldCount: soldCount - change }).catch((error) =>
    console.error(`Live Query publish of FlashSale ${sale.id} failed`, error),
  );
}

/** Takes quota if the sale is live at `now` and has `quantity` left; false otherwise. */
async function claimQuota(sale: SaleTerms, quantity: number, now: Date): Promise<boolean> {
  const where: Record<string, unknown> = { objectId: sale.id, startTime: { $lte: isoDate(now) }, endTime: { $gt: isoDate(now) } };
  if (sale.quantityLimit !== null) where.soldCount = { $lte: sale.quantityLimit - quantity };
  const row = await updateWhere('FlashSale', where, { soldCount: { __op: 'Increment', amount: quantity } });
  if (row) publishSale(sale, row, quantity);
  return row !== null;
}

export type SaleClaim = 'sale_price' | 'list_price';

const toLimits = (row: Row) => ({ quantityLimit: row.quantityLimit ?? null, soldCount: row.soldCount ?? 0 });

/**
 * Claims `quantity` units at the sale price for the user: the per-user count first (so a user over
 * the limit never holds quota others could buy), then the sale's quota, checked against the
 * window at `now`. `list_price` when the sale is not live or its quota cannot cover the line;
 * 4002 when the line would take the user past perUserLimit while the sale price is still on offer.
 */
export async function claimSaleUnits(sale: SaleTerms, userId: string, quantity: number, now: Date, productName: string): Promise<SaleClaim> {
  // Sold out when loaded: no write can succeed now (the quota only grows back through cancels).
  if (!inWindow(sale, now) || (remainingUnits(sale) ?? Infinity) < quantity) return 'list_price';
  if (!(await claimBuyerUnits(sale, userId, quantity))) {
    const [fresh] = await findRows('FlashSale', { objectId: sale.id }, { limit: 1 });
    if (!fresh || (remainingUnits(toLimits(fresh)) ?? Infinity) < quantity) return 'list_price';
    fail(Code.SaleLimitReached, `The flash sale of ${productName} allows ${sale.perUserLimit} unit(s) per customer at the sale price; you cannot buy ${quantity} more.`);
  }
  if (await claimQuota(sale, quantity, now)) return 'sale_price';
  await releaseBuyerUnits(sale.id, userId, quantity);
  return 'list_price';
}

/** Gives back units claimed at the sale price (an undone checkout, a cancelled order). */
export async function releaseSaleUnits(sale: SaleTerms, userId: string, quantity: number): Promise<void> {
  const row = await updateWhere('FlashSale', { objectId: sale.id }, { soldCount: { __op: 'Increment', amount: -quantity } });
  if (row) publishSale(sale, row, -quantity);
  await releaseBuyerUnits(sale.id, userId, quantity);
}
