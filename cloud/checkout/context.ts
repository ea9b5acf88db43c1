import type { CodeTerms } from '../domain/codes';
import type { Cents } from '../domain/money';
import type { SaleTerms } from '../domain/sale-window';
import type { ProductFacts } from '../edge/records';
import type { HeldEvents } from '../edge/live';
import type { Row } from '../edge/rows';

export interface CheckoutLine {
  product: ProductFacts;
  quantity: number;
  /** Stock when the checkout loaded it: a line short of it fails fast (the atomic take still decides). */
  stock: number;
  /** The product's live sale at `now`, if any; whether its price applies is decided by the claim. */
  sale: SaleTerms | null;
  unitCents: Cents;
  lineCents: Cents;
  /** Set when the sale price was claimed for this line. */
  saleClaimed: boolean;
  /** This line's part of the code's discount. */
  discountCents: Cents;
}

export interface CheckoutCtx {
  checkoutId: string;
  userId: string;
  now: Date;
  lines: CheckoutLine[];
  expectedTotalCents: Cents | null;
  /** The code to apply (normalised later), or null. */
  codeText: string | null;
  /** The code's terms once priced; set when it applies. */
  code: CodeTerms | null;
  codeRedeemed: boolean;
  paymentMode: 'auto' | 'manual';
  pendingOrderTtlMs: number;
  /** Effects recorded as they land, so an undo covers a half-done run. */
  claimed: CheckoutLine[];
  taken: CheckoutLine[];
  orders: Row[];
  charges: Row[];
  /** Live Query events of the checkout's writes, sent once it has completed. */
  events: HeldEvents;
}

export function subtotalCents(ctx: Pick<CheckoutCtx, 'lines'>): Cents {
  return ctx.lines.reduce((sum, line) => sum + line.lineCents, 0);
}

export function discountCents(ctx: Pick<CheckoutCtx, 'lines'>): Cents {
  return ctx.lines.reduce((sum, line) => sum + line.discountCents, 0);
}

/** What the buyer pays: the line amounts after the code add up to exactly this. */
export function totalCents(ctx: Pick<CheckoutCtx, 'lines'>): Cents {
  return subtotalCents(ctx) - discountCents(ctx);
}
