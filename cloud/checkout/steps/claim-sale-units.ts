import { salePriceCents } from '../../domain/sale-window';
import { claimSaleUnits, releaseSaleUnits } from '../../invariants/sale-quota';
import type { CheckoutCtx, CheckoutLine } from '../context';
import type { Step } from '../run-steps';

/** The line at its sale's price, claimed. */
export function priceAtSale(line: CheckoutLine): void {
  line.saleClaimed = true;
  line.unitCents = salePriceCents(line.sale!, line.product.listCents);
  line.lineCents = line.unitCents * line.quantity;
}

/** Sale price or list price per line: 4002 past perUserLimit; undo gives the units back. */
export const claimSaleUnitsStep: Step<CheckoutCtx> = {
  name: 'claim sale units',
  async run(ctx) {
    for (const line of ctx.lines) {
      if (!line.sale) continue;
      const claim = await claimSaleUnits(line.sale, ctx.userId, line.quantity, ctx.now, line.product.name, ctx.checkoutId);
      if (claim === 'sale_price') {
        priceAtSale(line);
        ctx.claimed.push(line);
      }
    }
  },
  async undo(ctx) {
    for (const line of ctx.claimed) await releaseSaleUnits(line.sale!, ctx.userId, line.quantity, ctx.checkoutId);
  },
};
