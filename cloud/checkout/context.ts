import type { Cents } from '../domain/money';
import type { ProductFacts } from '../edge/records';
import type { SaleTerms } from '../domain/sale-window';

export interface CheckoutLine {
  product: ProductFacts;
  quantity: number;
  /** The product's live sale at `now`, if any; whether its price applies is decided by the claim. */
  sale: SaleTerms | null;
  unitCents: Cents;
  lineCents: Cents;
  /** Set when the sale price was claimed for this line. */
  saleClaimed: boolean;
}

export interface CheckoutCtx {
  checkoutId: string;
  user: Parse.User;
  now: Date;
  lines: CheckoutLine[];
  expectedTotalCents: Cents | null;
  paymentMode: 'auto' | 'manual';
  pendingOrderTtlMs: number;
  /** Effects recorded as they land, so an undo covers a half-done run. */
  claimed: CheckoutLine[];
  taken: CheckoutLine[];
  orders: Parse.Object[];
  charges: Parse.Object[];
}

export function subtotalCents(ctx: Pick<CheckoutCtx, 'lines'>): Cents {
  return ctx.lines.reduce((sum, line) => sum + line.lineCents, 0);
}
