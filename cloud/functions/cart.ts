import { changeCart, loadCart } from '../cart/store';
import { cartView } from '../cart/view';
import { addLine, type CartLine, checkLines, setLine } from '../domain/cart';
import { requireUser } from '../edge/access';
import { Code, fail, failField } from '../edge/errors';
import { parseParams } from '../edge/params';
import { loadProducts } from '../edge/records';
import { defineFunction } from '../edge/report';
import { AddToCart, ApplyCode, NoParams, SetCartItem } from './params';

/** A product that can go into a cart: it exists (101) and is for sale (142). */
async function requireBuyable(productId: string): Promise<void> {
  const product = (await loadProducts([productId])).get(productId);
  if (!product) fail(Code.NotFound, `No product with id ${productId}`);
  if (!product.active) failField('productId', `${product.name} is not for sale at the moment`);
}

/** Changes the cart's lines within the cart rules (142) and returns the priced cart. */
async function changeLines(user: Parse.User, change: (lines: CartLine[]) => CartLine[]) {
  const cart = await changeCart(user, (current) => {
    const lines = change(current.lines);
    const problem = checkLines(lines);
    if (problem) failField(problem.field, problem.rule);
    return { lines, code: current.code };
  });
  return cartView(user.id!, cart.lines, cart.code);
}

defineFunction('getCart', async (req) => {
  const user = requireUser(req);
  parseParams(NoParams, req.params);
  const cart = await loadCart(user);
  return cartView(user.id!, cart.lines, cart.code);
});

defineFunction('addToCart', async (req) => {
  const user = requireUser(req);
  const { productId, quantity } = parseParams(AddToCart, req.params);
  await requireBuyable(productId);
  return changeLines(user, (lines) => addLine(lines, productId, quantity));
});

defineFunction('setCartItem', async (req) => {
  const user = requireUser(req);
  const { productId, quantity } = parseParams(SetCartItem, req.params);
  if (quantity > 0) await requireBuyable(productId);
  return changeLines(user, (lines) => setLine(lines, productId, quantity));
});

// Checks the code against the cart now (4010..4013) and keeps it on the cart; checkout checks it
// again at the moment it commits.
defineFunction('applyCode', async (req) => {
  const user = requireUser(req);
  const { code } = parseParams(ApplyCode, req.params);
  const current = await loadCart(user);
  await cartView(user.id!, current.lines, code, new Date(), true);
  const cart = await changeCart(user, (latest) => ({ lines: latest.lines, code }));
  return cartView(user.id!, cart.lines, cart.code);
});

defineFunction('removeCode', async (req) => {
  const user = requireUser(req);
  parseParams(NoParams, req.params);
  const cart = await changeCart(user, (latest) => ({ lines: latest.lines, code: null }));
  return cartView(user.id!, cart.lines, cart.code);
});
