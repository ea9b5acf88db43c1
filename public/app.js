/*
 * The demo storefront: a whole shop client in one file, on the Parse JS SDK. Copy freely.
 * The API's rules it shows: countdowns from the server's clock, Live Query events ordered by
 * `version`, and one idempotencyKey per purchase, reused when the same purchase is retried.
 */
'use strict';

const settings = window.STOREFRONT; // served by the server: the app id and where the API is
const serverURL = settings.serverURL || `${location.origin}${settings.mountPath}`;
Parse.initialize(settings.appId);
Parse.serverURL = serverURL;
Parse.liveQueryServerURL = serverURL.replace(/^http/, 'ws'); // Live Query shares the API's port and path

const $ = (id) => document.getElementById(id);
const money = (amount) => (amount === null || amount === undefined ? '' : `$${amount.toFixed(2)}`);
const productNames = new Map(); // productId -> name, for cart and order lines

// ---- Messages: every refusal is shown by its code -------------------------------------------

const REFUSALS = {
  101: 'Not found',
  119: 'Not allowed',
  142: 'Invalid input',
  209: 'Your session ended; log in again',
  4001: 'Out of stock',
  4002: 'Flash-sale limit per customer reached',
  4003: 'The price changed; check the new total and check out again',
  4010: 'Unknown code',
  4011: 'This code has expired',
  4012: 'This code is used up',
  4013: 'This code does not apply to your cart',
  4020: 'Your cart is empty',
};

function say(text) {
  $('messages').textContent = text;
}

// Over REST a rate limit is HTTP 429 with `{ code: 100, error: "Too many ..." }`; the SDK keeps only the body.
const isRateLimit = (error) => error.code === 100 && /^Too many/i.test(error.message);
// No answer came back: fetch failed (a TypeError, no code) or the SDK gave up (100, CONNECTION_FAILED).
const noAnswer = (error) => typeof error.code !== 'number' || (error.code === 100 && !isRateLimit(error));

function sayError(error) {
  if (isRateLimit(error)) return say(`Too many requests (429): ${error.message}`);
  if (noAnswer(error)) return say('The server cannot be reached; press the button again to retry.');
  const label = REFUSALS[error.code] || 'Error';
  say(`${label} (${error.code}): ${error.message}`);
}

/** Runs a UI action; a Parse refusal becomes a message instead of an uncaught error. */
function act(action) {
  return (event) => {
    if (event) event.preventDefault();
    Promise.resolve(action(event)).catch(sayError);
  };
}

// ---- The server's clock ------------------------------------------------------------------------

// Countdowns never trust the device clock: the offset between the server's `serverTime` and this
// device's clock (taken at the middle of the request) turns Date.now() into server time.
let clockOffsetMs = 0;
const serverNow = () => Date.now() + clockOffsetMs;

function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${m}:${s}` : `${m}:${s}`;
}

let reloadWhenDue = false;
function tick() {
  for (const element of document.querySelectorAll('[data-deadline]')) {
    const left = Number(element.dataset.deadline) - serverNow();
    element.textContent = `${element.dataset.prefix} ${formatCountdown(left)}`;
    if (left <= 0) reloadWhenDue = true;
  }
  // A sale started or ended: the server says what it costs now.
  if (reloadWhenDue) {
    reloadWhenDue = false;
    loadCatalog().catch(sayError);
  }
}

// ---- Catalogue and live stock ------------------------------------------------------------------

const newestVersion = new Map(); // productId -> newest Inventory version shown
let stockSubscription = null;
let saleSubscription = null;

/** The badge of a live sale: how many units are left at the sale price. */
function saleBadgeText(status, remaining) {
  if (status === 'sold_out' || remaining === 0) return 'Sale sold out';
  return remaining === null ? 'Flash sale' : `Flash sale: ${remaining} left at this price`;
}

/** Shows a stock figure unless an equal or newer version of that row is already shown. */
function showStock(productId, stock, version) {
  if (version !== undefined) {
    if (version <= (newestVersion.get(productId) ?? -1)) return; // an older event: never go back in time
    newestVersion.set(productId, version);
  }
  const element = document.querySelector(`li[data-product-id="${productId}"] .stock`);
  if (element) element.textContent = stock > 0 ? `${stock} in stock` : 'Sold out';
}

function renderProduct(product, serverTimeMs) {
  const item = $('product-template').content.firstElementChild.cloneNode(true);
  item.dataset.productId = product.id;
  item.querySelector('.name').textContent = product.name;
  item.querySelector('.description').textContent = product.description || '';
  item.querySelector('.price').textContent = money(product.price);
  item.querySelector('.quantity').setAttribute('aria-label', `Quantity of ${product.name}`);
  const add = item.querySelector('.add');
  add.setAttribute('aria-label', `Add ${product.name} to cart`);
  add.addEventListener('click', act(() => addToCart(product.id, Number(item.querySelector('.quantity').value))));

  const sale = product.sale;
  if (sale) {
    const badge = item.querySelector('.badge');
    const countdown = item.querySelector('.countdown');
    badge.hidden = false;
    countdown.hidden = false;
    // startsInMs / endsInMs count from serverTime: the deadline is a point on the server's clock.
    if (sale.status === 'upcoming') {
      badge.textContent = `Flash sale soon: ${money(sale.salePrice)}`;
      countdown.dataset.prefix = 'Sale starts in';
      countdown.dataset.deadline = String(serverTimeMs + sale.startsInMs);
    } else {
      item.classList.add('on-sale');
      item.querySelector('.sale-price').textContent = money(sale.salePrice);
      badge.dataset.saleId = sale.id;
      badge.textContent = saleBadgeText(sale.status, sale.remaining);
      countdown.dataset.prefix = 'Sale ends in';
      countdown.dataset.deadline = String(serverTimeMs + sale.endsInMs);
    }
  }
  return item;
}

async function loadCatalog() {
  const sentAt = Date.now();
  const { serverTime, products } = await Parse.Cloud.run('catalog', { limit: 50 });
  const serverTimeMs = Date.parse(serverTime);
  clockOffsetMs = serverTimeMs - (sentAt + Date.now()) / 2;

  newestVersion.clear();
  $('products').replaceChildren(...products.map((p) => renderProduct(p, serverTimeMs)));
  for (const p of products) {
    productNames.set(p.id, p.name);
    showStock(p.id, p.stock);
  }
  tick();
  await watchStock(products.map((p) => p.id));
  await watchSales(products.filter((p) => p.sale && p.sale.status !== 'upcoming').map((p) => p.sale.id));
}

/** Live sales' soldCount: the badges' "N left at this price" follows every sale unit sold. */
async function watchSales(saleIds) {
  if (saleSubscription) saleSubscription.unsubscribe();
  saleSubscription = null;
  if (saleIds.length === 0) return;
  saleSubscription = await new Parse.Query('FlashSale').containedIn('objectId', saleIds).subscribe();
  const newestSaleVersion = new Map();
  saleSubscription.on('update', (sale) => {
    if (sale.get('version') <= (newestSaleVersion.get(sale.id) ?? -1)) return; // never go back in time
    newestSaleVersion.set(sale.id, sale.get('version'));
    const badge = document.querySelector(`.badge[data-sale-id="${sale.id}"]`);
    const limit = sale.get('quantityLimit');
    if (badge) badge.textContent = saleBadgeText('live', typeof limit === 'number' ? Math.max(0, limit - (sale.get('soldCount') ?? 0)) : null);
  });
}

/** One Live Query subscription for the stock of the products shown. */
async function watchStock(productIds) {
  if (stockSubscription) stockSubscription.unsubscribe();
  const products = productIds.map((id) => Parse.Object.extend('Product').createWithoutData(id));
  const query = new Parse.Query('Inventory').containedIn('product', products);
  stockSubscription = await query.subscribe();
  const apply = (row) => showStock(row.get('product').id, row.get('stock'), row.get('version'));
  stockSubscription.on('update', apply);
  // Read the rows once subscribed, so their versions order what the catalogue showed against every later event.
  (await query.find()).forEach(apply);
}

// ---- Account -----------------------------------------------------------------------------------

async function authenticate(event) {
  const username = $('username').value.trim();
  const password = $('password').value;
  if (event.submitter && event.submitter.value === 'signup') {
    await new Parse.User({ username, password }).signUp();
  } else {
    await Parse.User.logIn(username, password);
  }
  $('password').value = '';
  say(`Signed in as ${username}.`);
  await showAccount();
}

async function logOut() {
  await Parse.User.logOut();
  say('Logged out.');
  await showAccount();
}

async function showAccount() {
  const user = Parse.User.current();
  $('auth-form').hidden = Boolean(user);
  $('signed-in').hidden = !user;
  $('cart-body').hidden = !user;
  $('cart-login').hidden = Boolean(user);
  $('current-user').textContent = user ? user.getUsername() : '';
  if (user) {
    await Promise.all([refreshCart(), watchOrders()]);
  } else {
    if (orderSubscription) orderSubscription.unsubscribe();
    orderSubscription = null;
    $('orders').replaceChildren();
  }
}

// ---- Cart and checkout -------------------------------------------------------------------------

let cart = null;
// One key per purchase: made when it is first tried, kept while the same cart is retried (a lost
// answer or a timeout), dropped when it succeeds or the cart changes. The server answers a retry
// with the first result, so a purchase is never made twice.
let idempotencyKey = null;

function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(12)); // randomUUID needs HTTPS; this does not
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function showCart(priced) {
  if (cart && JSON.stringify(cart) !== JSON.stringify(priced)) idempotencyKey = null; // another purchase
  cart = priced;
  $('cart-items').replaceChildren(
    ...priced.items.map((item) => {
      const li = document.createElement('li');
      const text = document.createElement('span');
      const price = item.salePrice === null ? money(item.unitPrice) : `${money(item.salePrice)} (sale)`;
      text.textContent = `${item.name} × ${item.quantity} at ${price} = ${money(item.lineTotal)}`;
      const quantity = document.createElement('input');
      Object.assign(quantity, { type: 'number', min: '0', max: '99', value: String(item.quantity) });
      quantity.setAttribute('aria-label', `Quantity of ${item.name} in cart`);
      const update = button('Update', `Update quantity of ${item.name}`, () => setCartItem(item.productId, Number(quantity.value)));
      const remove = button('Remove', `Remove ${item.name} from cart`, () => setCartItem(item.productId, 0));
      li.append(text, ' ', quantity, ' ', update, ' ', remove);
      return li;
    }),
  );
  $('cart-problems').replaceChildren(
    ...priced.problems.map((problem) => {
      const li = document.createElement('li');
      const what = problem.productId ? productNames.get(problem.productId) || problem.productId : `Code ${problem.code}`;
      li.textContent = `${what}: ${problem.reason.replace(/_/g, ' ')}`;
      return li;
    }),
  );
  $('code').value = priced.code || '';
  $('subtotal').textContent = money(priced.subtotal);
  $('discount').textContent = money(priced.discount);
  $('total').textContent = money(priced.total);
  $('checkout').disabled = priced.items.length === 0;
}

function button(text, label, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.setAttribute('aria-label', label);
  element.addEventListener('click', act(onClick));
  return element;
}

const refreshCart = async () => showCart(await Parse.Cloud.run('getCart'));

async function addToCart(productId, quantity) {
  if (!Parse.User.current()) return say('Log in to fill a cart.');
  showCart(await Parse.Cloud.run('addToCart', { productId, quantity }));
  say(`Added ${quantity} × ${productNames.get(productId)} to the cart.`);
}

async function setCartItem(productId, quantity) {
  showCart(await Parse.Cloud.run('setCartItem', { productId, quantity }));
}

async function applyCode() {
  showCart(await Parse.Cloud.run('applyCode', { code: $('code').value }));
  say(`Code ${cart.code} applied: ${money(cart.discount)} off.`);
}

async function removeCode() {
  showCart(await Parse.Cloud.run('removeCode'));
}

async function checkout() {
  idempotencyKey ||= newIdempotencyKey();
  try {
    // expectedTotal: the total the customer saw. If the server's differs (a sale just ended), it
    // refuses with 4003 instead of charging a price nobody showed.
    const result = await Parse.Cloud.run('checkout', { idempotencyKey, expectedTotal: cart.total });
    idempotencyKey = null;
    say(`Thank you! ${result.orders.length} order(s), ${money(result.total)} in all.`);
  } catch (error) {
    sayError(error);
    // No answer (or 429): the purchase may have landed. Pressing Check out again sends the same
    // key, and the server answers with the first result instead of buying twice.
    if (noAnswer(error) || isRateLimit(error)) return;
    idempotencyKey = null; // a refusal (4001, 4003, ...) changed nothing and freed the key
  }
  await refreshCart();
}

// ---- My orders, live ---------------------------------------------------------------------------

let orderSubscription = null;

function showOrder(order) {
  const id = `order-${order.id}`;
  let li = document.getElementById(id);
  if (!li) {
    li = document.createElement('li');
    li.id = id;
    li.innerHTML = '<span class="line"></span> <span class="status"></span>';
    $('orders').prepend(li);
  }
  const productId = order.get('product').id;
  li.dataset.productId = productId;
  li.querySelector('.line').textContent = `${productNames.get(productId) || productId} × ${order.get('quantity')}, ${money(order.get('amount'))}:`;
  li.querySelector('.status').textContent = order.get('status');
}

async function watchOrders() {
  if (orderSubscription) orderSubscription.unsubscribe();
  // The server sends each customer its own orders only (and refuses an anonymous subscription).
  const query = new Parse.Query('Order').equalTo('user', Parse.User.current()).descending('createdAt').limit(20);
  orderSubscription = await query.subscribe();
  orderSubscription.on('create', showOrder);
  orderSubscription.on('update', showOrder);
  $('orders').replaceChildren();
  (await query.find()).reverse().forEach(showOrder);
}

// ---- Start -------------------------------------------------------------------------------------

$('auth-form').addEventListener('submit', act(authenticate));
$('logout').addEventListener('click', act(logOut));
$('code-form').addEventListener('submit', act(applyCode));
$('remove-code').addEventListener('click', act(removeCode));
$('checkout').addEventListener('click', act(checkout));
setInterval(tick, 1000);
Promise.all([loadCatalog(), showAccount()]).then(() => document.body.setAttribute('data-ready', 'true'), sayError);
