/**
 * A flash sale's state and countdowns as pure functions of (sale, now). The server's clock is the
 * only clock: apps display these fields, they never compute them from the device's time.
 */
import { type Cents, percentOf } from './money';

export type SaleStatus = 'upcoming' | 'live' | 'sold_out' | 'ended';

export interface SaleTerms {
  id: string;
  productId: string;
  startsAt: Date;
  endsAt: Date;
  /** Exactly one of these is set: a fixed sale price, or a whole percent off the list price. */
  discountPriceCents: Cents | null;
  discountPercent: number | null;
  /** Units that may be sold at the sale price; null: no limit. */
  quantityLimit: number | null;
  /** Units one user may buy at the sale price; null: no limit. */
  perUserLimit: number | null;
  soldCount: number;
}

export interface SaleView {
  status: SaleStatus;
  salePriceCents: Cents;
  startsInMs: number;
  endsInMs: number;
  /** Units left at the sale price; null when the sale has no quantity limit. */
  remaining: number | null;
}

/** The sale price of a product listed at `listCents`: a percent discount rounds half up to the cent. */
export function salePriceCents(sale: Pick<SaleTerms, 'discountPriceCents' | 'discountPercent'>, listCents: Cents): Cents {
  if (sale.discountPriceCents !== null) return Math.min(sale.discountPriceCents, listCents);
  return listCents - percentOf(listCents, sale.discountPercent ?? 0);
}

/** Whether `now` lies in the sale's window [startsAt, endsAt). */
export function inWindow(sale: Pick<SaleTerms, 'startsAt' | 'endsAt'>, now: Date): boolean {
  return now >= sale.startsAt && now < sale.endsAt;
}

export function remainingUnits(sale: Pick<SaleTerms, 'quantityLimit' | 'soldCount'>): number | null {
  return sale.quantityLimit === null ? null : Math.max(0, sale.quantityLimit - sale.soldCount);
}

/** upcoming before startsAt, live in the window, sold_out while live with no quota left, ended after. */
export function saleStatus(sale: SaleTerms, now: Date): SaleStatus {
  if (now < sale.startsAt) return 'upcoming';
  if (now >= sale.endsAt) return 'ended';
  return remainingUnits(sale) === 0 ? 'sold_out' : 'live';
}

/** Everything an app shows for a sale: status, price and countdowns, from the server's clock. */
export function viewSale(sale: SaleTerms, listCents: Cents, now: Date): SaleView {
  return {
    status: saleStatus(sale, now),
    salePriceCents: salePriceCents(sale, listCents),
    startsInMs: Math.max(0, sale.startsAt.getTime() - now.getTime()),
    endsInMs: Math.max(0, sale.endsAt.getTime() - now.getTime()),
    remaining: remainingUnits(sale),
  };
}

/**
 * The sale a product shows: the live (or sold-out) one, else the next upcoming one, else null.
 * `sales` are the product's sales; ended ones are ignored.
 */
export function currentSale<S extends SaleTerms>(sales: S[], now: Date): S | null {
  const open = sales.filter((sale) => now < sale.endsAt).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  return open.find((sale) => inWindow(sale, now)) ?? open[0] ?? null;
}

/** Whether two windows share any instant (windows are half-open: one may start when the other ends). */
export function windowsOverlap(a: Pick<SaleTerms, 'startsAt' | 'endsAt'>, b: Pick<SaleTerms, 'startsAt' | 'endsAt'>): boolean {
  return a.startsAt < b.endsAt && b.startsAt < a.endsAt;
}
