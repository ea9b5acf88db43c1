/**
 * Prices in integer cents, one place for all of it. A line is priced wholly at the sale price or
 * wholly at the list price, decided on the server's clock.
 */
import type { Cents } from './money';
import { inWindow, remainingUnits, salePriceCents, type SaleTerms } from './sale-window';

export interface LinePrice {
  unitCents: Cents;
  lineCents: Cents;
  /** The sale whose price applies, or null for the list price. */
  saleId: string | null;
}

/**
 * The sale price when the sale is live at `now` and its remaining quota covers the whole line;
 * otherwise the list price.
 */
export function priceLine(listCents: Cents, quantity: number, now: Date, sale: SaleTerms | null): LinePrice {
  if (sale && inWindow(sale, now)) {
    const left = remainingUnits(sale);
    if (left === null || left >= quantity) {
      const unitCents = salePriceCents(sale, listCents);
      return { unitCents, lineCents: unitCents * quantity, saleId: sale.id };
    }
  }
  return { unitCents: listCents, lineCents: listCents * quantity, saleId: null };
}

/** Whether buying `quantity` more at the sale price would take a user past the sale's per-user limit. */
export function exceedsPerUserLimit(sale: SaleTerms, alreadyBought: number, quantity: number): boolean {
  return sale.perUserLimit !== null && alreadyBought + quantity > sale.perUserLimit;
}
