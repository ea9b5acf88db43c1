/**
 * Checkout (SPEC section 6): all or nothing across lines, idempotent per (user, idempotencyKey),
 * priced on the server's clock at the moment it commits.
 */
import { shopConfig } from '../../parse-config';
import { changeCart, loadCart } from '../cart/store';
import { type CartLine, checkLines, mergeLines } from '../domain/cart';
import { liveSale } from '../domain/cart-pricing';
import { inWindow, remainingUnits } from '../domain/sale-window';
import { fromCents, toCents } from '../domain/money';
import { Code, fail, failField } from '../edge/errors';
import { demandHints } from '../edge/counter-hints';
import { loadShelf, type Shelf, shelfWhenKnown } from '../edge/records';
import { normaliseCode } from '../domain/codes';
import { holdingEvents, releaseEvents } from '../edge/live';
import {
  type CheckoutTouches,
  claimCheckoutKey,
  completeCheckout,
  earlierCheckout,
  finishedHere,
  handOffCheckout,
  recordFind,
  releaseCheckoutKey,
} from '../invariants/checkout-keys';
import { canLandCheckout, landCheckout } from '../invariants/checkout-claim';
import { releaseCodeHold } from '../invariants/code-uses';
import { releaseSaleHold } from '../invariants/sale-quota';
import { releaseHold } from '../invariants/stock';
import { type CheckoutCtx, discountCents, subtotalCents, totalCents } from './context';
import { orderJSON } from './order-fields';
import { runSteps, type Step } from './run-steps';
import { checkExpectedTotalStep } from './steps/check-expected-total';
import { claimSaleUnitsStep, priceAtSale } from './steps/claim-sale-units';
import { priceCodeStep } from './steps/price-code';
import { redeemCodeStep } from './steps/redeem-code';
import { createOrdersStep } from './steps/create-orders';
import { recordChargesStep } from './steps/record-charges';
import { takeStockStep } from './steps/take-stock';

/**
 * A test server can make one step fail (TEST_FAIL_STEP), to prove that what the steps before it did
 * is undone and never announced, or one step's undo (TEST_FAIL_UNDO), to prove that recovery
 * settles such a checkout.
 */
function withTestFaults(steps: Step<CheckoutCtx>[]): Step<CheckoutCtx>[] {
  const { testFailStep, testFailUndo } = shopConfig();
  const fault = (name: string, variable: string) => async () => {
    throw new Error(`"${name}" fails on purpose (${variable})`);
  };
  return steps.map((step) => ({
    ...step,
    ...(step.name === testFailStep ? { run: fault(step.name, 'TEST_FAIL_STEP') } : {}),
    ...(step.name === testFailUndo ? { undo: fault(`the undo of ${step.name}`, 'TEST_FAIL_UNDO') } : {}),
  }));
}

/** The order of events once the checkout key is claimed. */
export const checkoutSteps: Step<CheckoutCtx>[] = withTestFaults([
  claimSaleUnitsStep, // 4002; sale or list price per line; undo returns units
  priceCodeStep, // 4010, 4011, 4013: the code on top of the sale prices
  checkExpectedTotalStep, // 4003 before stock is touched
  takeStockStep, // 4001; undo puts units back
  redeemCodeStep, // 4012; undo gives the use back
  createOrdersStep, // undo removes them
  recordChargesStep, // auto payment mode: one charge per paid order
]);

/** POST /classes/Order: Parse Server inserts the order itself, so its checkout runs the steps before that in its beforeSave. */
export const stepsBeforeOrderInsert = checkoutSteps.slice(0, checkoutSteps.findIndex((step) => step.name === createOrdersStep.name));

/** What the checkout may touch, written into its record before it touches anything. */
export function touchesOf(ctx: CheckoutCtx): CheckoutTouches {
  return {
    lines: ctx.lines.map((line) => ({ productId: line.product.id, quantity: line.quantity, saleId: line.sale?.id ?? null })),
    code: ctx.codeText ? normaliseCode(ctx.codeText) : null,
  };
}

/**
 * Runs `steps` for the checkout whose key this process holds. A refusal undoes them and releases
 * the key, so a retry starts clean; when an undo fails, the record is handed to recovery instead.
 * The steps' Live Query events are held until finishCheckout (dropped with a failed checkout).
 */
export async function runCheckoutSteps(steps: Step<CheckoutCtx>[], ctx: CheckoutCtx): Promise<void> {
  let handedOff = false;
  try {
    await holdingEvents(ctx.events, () =>
      runSteps(steps, ctx, async () => {
        handedOff = true;
        await handOffCheckout(ctx.checkoutId);
      }),
    );
  } catch (error) {
    ctx.events.pending.length = 0;
    if (!handedOff) await releaseCheckoutKey(ctx.checkoutId).catch((e) => console.error('Releasing a checkout key failed', e));
    finishedHere(ctx.checkoutId);
    throw error;
  }
}

export interface CheckoutRequest {
  idempotencyKey: string;
  /** Buy these now; without them, the caller's cart is bought. */
  items?: CartLine[];
  /** A coupon or discount code; without it, a cart checkout uses the cart's code. */
  code?: string;
  expectedTotal?: number;
}

export interface CheckoutResult {
  checkoutId: string;
  orders: Array<ReturnType<typeof orderJSON>>;
  subtotal: number;
  discount: number;
  total: number;
  currency: string;
}

/**
 * The checkout of `lines` on the shelf loaded for them, every line at the list price until a sale
 * claim; 101 for an unknown product, 142 for one not for sale.
 */
export function checkoutContext(
  userId: string,
  lines: CartLine[],
  now: Date,
  expectedTotalCents: number | null,
  { stocks, products, sales }: Shelf,
  codeText: string | null = null,
): CheckoutCtx {
  const config = shopConfig();
  return {
    checkoutId: '',
    userId,
    now,
    expectedTotalCents,
    codeText,
    code: null,
    codeRedeemed: false,
    paymentMode: config.paymentMode,
    pendingOrderTtlMs: config.pendingOrderTtlMs,
    lines: lines.map(({ productId, quantity }) => {
      const product = products.get(productId);
      if (!product) fail(Code.NotFound, `No product with id ${productId}`);
      if (!product.active) failField('productId', `${product.name} is not for sale at the moment`);
      return {
        product,
        quantity,
        stock: stocks.get(productId) ?? 0,
        sale: liveSale(sales.get(productId), now),
        unitCents: product.listCents,
        lineCents: product.listCents * quantity,
        saleClaimed: false,
        discountCents: 0,
      };
    }),
    claimed: [],
    taken: [],
    orders: [],
    charges: [],
    events: { pending: [] },
  };
}

/** A checkout's key: a request under it that ran before is answered with that request's result. */
export interface CheckoutKey {
  userId: string;
  key: string;
  fingerprint: string;
}

/**
 * Loads the lines' shelf in one round trip and answers 4001 at once for a line it cannot cover:
 * most of a sold-out storm ends here, after one read and no write (the atomic take still decides
 * for the rest). A product without an Inventory row goes on, to be answered 101 by the context.
 * With `key`, the same round trip looks for an earlier request under it (a retry, or a twin that
 * may have taken the units): when there is one, its result is returned.
 */
export async function shelfOrFailShort(lines: CartLine[], now: Date, key: CheckoutKey | null): Promise<{ shelf: Shelf; earlier: CheckoutResult | null }> {
  const shelf = await loadShelf(lines.map((line) => line.productId), now, {}, key ? [recordFind(key.userId, key.key)] : []);
  const earlier = key && shelf.extra[0].length ? await earlierCheckout<CheckoutResult>(key.userId, key.key, key.fingerprint) : null;
  if (earlier) return { shelf, earlier };
  const { stocks } = shelf;
  const short = lines.find((line) => stocks.has(line.productId) && stocks.get(line.productId)! < line.quantity);
  if (short) fail(Code.OutOfStock, `Only ${stocks.get(short.productId)} left of product ${short.productId}; you asked for ${short.quantity}.`);
  return { shelf, earlier: null };
}

export function checkoutResult(ctx: CheckoutCtx): CheckoutResult {
  return {
    checkoutId: ctx.checkoutId,
    orders: ctx.orders.map(orderJSON),
    subtotal: fromCents(subtotalCents(ctx)),
    discount: fromCents(discountCents(ctx)),
    total: fromCents(totalCents(ctx)),
    currency: shopConfig().currency,
  };
}

/** Lines a checkout would buy, and its code: the items and code given, or the cart's. */
async function linesToBuy(user: Parse.User, request: CheckoutRequest): Promise<{ lines: CartLine[]; code: string | null }> {
  const cart = request.items ? null : await loadCart(user);
  const lines = request.items ? mergeLines(request.items) : cart!.lines;
  if (lines.length === 0) fail(Code.CartEmpty, request.items ? 'items: add at least one product' : 'Your cart is empty; add products before checking out.');
  const problem = checkLines(lines);
  if (problem) failField(problem.field, problem.rule);
  return { lines, code: request.code ?? cart?.code ?? null };
}

/** Takes the bought units out of the cart (a line added meanwhile stays). */
async function removeBoughtFromCart(user: Parse.User, bought: CartLine[]): Promise<void> {
  const boughtBy = new Map(bought.map((line) => [line.productId, line.quantity]));
  await changeCart(user, (cart) => ({
    lines: cart.lines
      .map((line) => ({ ...line, quantity: line.quantity - (boughtBy.get(line.productId) ?? 0) }))
      .filter((line) => line.quantity > 0),
    code: null,
  }));
}

export async function checkout(user: Parse.User, request: CheckoutRequest): Promise<CheckoutResult> {
  const userId = user.id!;
  const { idempotencyKey: key } = request;
  const fingerprint = JSON.stringify({ items: request.items ?? 'cart', code: request.code ?? null, expectedTotal: request.expectedTotal ?? null });
  // A retry of a finished cart checkout must replay before reading the (by now empty) cart. With
  // items, a retry is recognised at the key claim (or the short-stock check) without this read.
  if (!request.items) {
    const earlier = await earlierCheckout<CheckoutResult>(userId, key, fingerprint);
    if (earlier) return earlier;
  }

  const { lines, code } = await linesToBuy(user, request);
  const expected = request.expectedTotal === undefined ? null : toCents(request.expectedTotal);
  const checkout = { userId, lines, code, expected, key, fingerprint };
  // When this process knows the shelf (definitions cached, counters seen; the first checkouts of a
  // product share one read for it; one at units this process is trying to take waits for them),
  // the one write is tried first, with no read: it refuses what no longer holds (a retry's key
  // included), and then the checkout reads the shelf like any other.
  const known = landsAtOnce() ? await shelfWhenKnown(lines) : null;
  const tried = known && (await demandHints.during(known.shelf.demand, () => checkoutAtOnce(checkoutContext(userId, lines, known.now, expected, known.shelf, code), key, fingerprint)));
  const result = tried || (await checkoutOnTheShelf(checkout));
  if (!request.items) await removeBoughtFromCart(user, lines);
  return result;
}

/**
 * Reads the shelf (4001 at once for a line it cannot cover; an earlier request under the key
 * answers instead), then lands the checkout in one write, once more on a fresh shelf if the first
 * was refused, or else runs it as steps.
 */
async function checkoutOnTheShelf(checkout: { userId: string; lines: CartLine[]; code: string | null; expected: number | null; key: string; fingerprint: string }): Promise<CheckoutResult> {
  const { userId, lines, code, expected, key, fingerprint } = checkout;
  const load = async () => {
    const now = new Date();
    const { shelf, earlier } = await shelfOrFailShort(lines, now, { userId, key, fingerprint });
    return { earlier, ctx: earlier ? null : checkoutContext(userId, lines, now, expected, shelf, code) };
  };
  let { earlier, ctx } = await load();
  if (earlier) return earlier;
  let result = landsAtOnce() ? await checkoutAtOnce(ctx!, key, fingerprint) : null;
  if (!result && landsAtOnce()) {
    // What the counters promised was gone (most often the sale's last units): once more on fresh ones.
    ({ earlier, ctx } = await load());
    if (earlier) return earlier;
    result = await checkoutAtOnce(ctx!, key, fingerprint);
  }
  return result ?? (await checkoutInSteps(ctx!, key, fingerprint));
}

async function checkoutInSteps(ctx: CheckoutCtx, key: string, fingerprint: string): Promise<CheckoutResult> {
  const claim = await claimCheckoutKey<CheckoutResult>(ctx.userId, key, fingerprint, touchesOf(ctx));
  if (claim.kind === 'replay') return claim.result;
  ctx.checkoutId = claim.checkoutId;
  await runCheckoutSteps(checkoutSteps, ctx);
  // From here the orders exist: a failure leaves the record pending for recovery, never a second set.
  return finishCheckout(ctx);
}

/** Whether checkouts land in one write here: on PostgreSQL, unless a test has them run as steps (to fail or crash one half-way). */
function landsAtOnce(): boolean {
  const { testFailStep, testFailUndo, testCheckoutInSteps } = shopConfig();
  return canLandCheckout() && !testFailStep && !testFailUndo && !testCheckoutInSteps;
}

/**
 * The checkout in one write where the database allows it (invariants/checkout-claim.ts), priced
 * as the steps price it when every claim succeeds: the sale price where the sale as loaded is
 * live with units left for the line, then the code, then the expected total. Null when any of
 * that refuses or the database refuses a part; nothing was written then, and the steps, run on
 * `loaded` as it came, decide as they always have.
 */
async function checkoutAtOnce(loaded: CheckoutCtx, key: string, fingerprint: string): Promise<CheckoutResult | null> {
  const ctx: CheckoutCtx = { ...loaded, lines: loaded.lines.map((line) => ({ ...line })), events: { pending: [] } };
  for (const line of ctx.lines) {
    const sale = line.sale;
    // The list price, as claimSaleUnits gives it, when the sale is not live or cannot cover the line.
    if (!sale || !inWindow(sale, ctx.now) || (remainingUnits(sale) ?? Infinity) < line.quantity) continue;
    if (sale.perUserLimit !== null && line.quantity > sale.perUserLimit) return null; // 4002: the steps say it
    priceAtSale(line);
  }
  try {
    await priceCodeStep.run(ctx);
    await checkExpectedTotalStep.run(ctx);
  } catch (error) {
    if (error instanceof Parse.Error) return null;
    throw error;
  }
  return landCheckout(ctx, key, fingerprint, touchesOf(ctx), checkoutResult);
}

/**
 * Drops the checkout's holds (what it took now belongs to its orders), then stores the result every
 * retry replays, then sends its Live Query events. In this order, a crash at any point leaves a
 * pending record whose orders and charges all exist, which recovery completes.
 */
export async function finishCheckout(ctx: CheckoutCtx): Promise<CheckoutResult> {
  const result = checkoutResult(ctx);
  try {
    await Promise.all([
      ...ctx.taken.map((line) => releaseHold(line.product.id, ctx.checkoutId, line.quantity)),
      ...ctx.claimed.map((line) => releaseSaleHold(line.sale!.id, ctx.checkoutId, line.quantity)),
      ...(ctx.code && ctx.codeRedeemed ? [releaseCodeHold(ctx.code, ctx.checkoutId)] : []),
    ]);
    await completeCheckout(ctx.checkoutId, result);
  } finally {
    finishedHere(ctx.checkoutId);
  }
  await releaseEvents(ctx.events);
  return result;
}
