/**
 * The demo storefront in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * two shoppers sign up in two browser contexts, one buys, the other sees the stock fall without
 * reloading, and the buyer sees the order's status change live when an admin ships it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MASTER_KEY, ROOT, type TestServer, startTestServer } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`storefront browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

const SHOTS = path.join(ROOT, 'test-results', 'storefront');
// The machine's network is closed: without the background-networking flags Chromium keeps opening
// connections that are refused, many at a time.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!hasChromium)('the demo storefront in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Manual payment: a new order is pending, so the buyer can watch it go pending -> paid -> shipped.
    [server, browser] = await Promise.all([
      startTestServer({ PAYMENT_MODE: 'manual' }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
  });

  async function openShop(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // Chrome logs every 4xx answer (a refused code, say) as "Failed to load resource"; those are shown on the page.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
  }

  async function signUp(page: Page, username: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.locator('#current-user').textContent()).toBe(username);
  }

  const seconds = (text: string | null) => {
    const [m, s] = (text ?? '').replace(/^\D+/, '').split(':').map(Number);
    return m * 60 + s;
  };

  test('serves the page, the SDK and public settings only, under a strict content policy', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<h2 id="catalog-title">Catalogue</h2>');
    const settings = await (await fetch(`http://127.0.0.1:${server.port}/storefront-config.js`)).text();
    expect(settings).toBe('window.STOREFRONT = {"appId":"shop-test","mountPath":"/parse","serverURL":null};\n');
    expect(settings).not.toContain(MASTER_KEY);
    const sdk = await fetch(`http://127.0.0.1:${server.port}/vendor/parse.min.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    // Only public/ is served: nothing of the project beside it, and the API is still the API.
    expect((await fetch(`http://127.0.0.1:${server.port}/package.json`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/../parse-config.ts`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/parse/health`)).status).toBe(200);
  });

  test('countdown, live stock in a second browser, a purchase, and the order shipped live', async () => {
    const admin = await server.admin();
    const productId = await server.product({ name: 'Storefront phone', price: 100, stock: 5 });
    const endsAt = new Date(Date.now() + 10 * 60_000);
    await server.sale(productId, { discountPrice: 80, startTime: new Date(Date.now() - 60_000), endTime: endsAt, quantityLimit: 10, perUserLimit: 3, soldCount: 0 });

    const [buyer, watcher] = await Promise.all([openShop(), openShop()]);
    await signUp(buyer, `buyer-${Date.now()}`);
    await signUp(watcher, `watcher-${Date.now()}`);
    const buyerCard = buyer.locator(`li[data-product-id="${productId}"]`);
    const watcherCard = watcher.locator(`li[data-product-id="${productId}"]`);
    await expect.poll(() => watcherCard.locator('.stock').textContent()).toBe('5 in stock');
    await expect.poll(() => buyerCard.locator('.badge').textContent()).toBe('Flash sale: 10 left at this price');
    await expect.poll(() => buyerCard.locator('.sale-price').textContent()).toBe('$80.00');

    // The countdown runs from the server's clock and ticks once a second.
    const countdown = buyerCard.locator('.countdown');
    const first = seconds(await countdown.textContent());
    expect(await countdown.textContent()).toMatch(/^Sale ends in \d\d:\d\d$/);
    expect(Math.abs(first - (endsAt.getTime() - Date.now()) / 1000)).toBeLessThan(5);
    await expect.poll(() => countdown.textContent().then(seconds), { timeout: 5000 }).toBeLessThan(first);
    await buyer.screenshot({ path: path.join(SHOTS, '1-catalogue-with-countdown.png'), fullPage: true });

    // A wrong code is shown by its code in the live region.
    await buyerCard.getByLabel('Quantity of Storefront phone').fill('2');
    await buyerCard.getByRole('button', { name: 'Add Storefront phone to cart' }).click();
    await expect.poll(() => buyer.locator('#total').textContent()).toBe('$160.00');
    await buyer.getByLabel('Discount code').fill('NO-SUCH-CODE');
    await buyer.getByRole('button', { name: 'Apply code' }).click();
    await expect.poll(() => buyer.getByRole('status').textContent()).toMatch(/^Unknown code \(4010\)/);

    // The watcher's page must not reload while the stock falls: a marker on its window would be lost.
    await watcher.evaluate(() => ((globalThis as any).marker = 42));
    await buyer.getByRole('button', { name: 'Check out' }).click();
    await expect.poll(() => buyer.getByRole('status').textContent()).toBe('Thank you! 1 order(s), $160.00 in all.');
    await expect.poll(() => watcherCard.locator('.stock').textContent(), { timeout: 5000 }).toBe('3 in stock');
    await expect.poll(() => watcherCard.locator('.badge').textContent(), { timeout: 5000 }).toBe('Flash sale: 8 left at this price');
    expect(await watcher.evaluate(() => (globalThis as any).marker)).toBe(42);
    await watcher.screenshot({ path: path.join(SHOTS, '2-second-browser-sees-stock-fall.png'), fullPage: true });

    // Another shopper's purchase (over REST) reaches both pages too.
    const other = await server.signUp('rest-buyer');
    await server.run('checkout', { idempotencyKey: `storefront-rest-${Date.now()}`, items: [{ productId, quantity: 1 }] }, { session: other });
    await expect.poll(() => watcherCard.locator('.stock').textContent(), { timeout: 5000 }).toBe('2 in stock');
    await expect.poll(() => buyerCard.locator('.stock').textContent(), { timeout: 5000 }).toBe('2 in stock');

    // The buyer's order appears under "My orders", and its status follows the admin's changes live.
    const [order] = await server.find('Order', { product: { __type: 'Pointer', className: 'Product', objectId: productId }, quantity: 2 });
    expect(order).toMatchObject({ quantity: 2, amount: 160, status: 'pending' });
    const status = buyer.locator(`#order-${order.objectId} .status`);
    await expect.poll(() => status.textContent(), { timeout: 5000 }).toBe('pending');
    expect(await buyer.locator(`#order-${order.objectId} .line`).textContent()).toBe('Storefront phone × 2, $160.00:');
    await server.run('updateOrderStatus', { orderId: order.objectId, status: 'paid' }, { session: admin });
    await expect.poll(() => status.textContent(), { timeout: 5000 }).toBe('paid');
    await server.run('updateOrderStatus', { orderId: order.objectId, status: 'shipped' }, { session: admin });
    await expect.poll(() => status.textContent(), { timeout: 5000 }).toBe('shipped');
    await buyer.screenshot({ path: path.join(SHOTS, '3-order-shipped-live.png'), fullPage: true });

    // The other shopper's order is not the watcher's: its list stays empty.
    expect(await watcher.locator('#orders li').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  test('after a lost answer, checking out again sends the same idempotencyKey and buys once', async () => {
    const productId = await server.product({ name: 'Retry cable', price: 5, stock: 10 });
    const page = await openShop();
    await signUp(page, `retry-${Date.now()}`);
    await page.getByRole('button', { name: 'Add Retry cable to cart' }).click();
    await expect.poll(() => page.locator('#total').textContent()).toBe('$5.00');
    // The first checkout reaches the server, but every answer is lost on the way back (the SDK's
    // own retries included, which replay the same body), until the shopper presses Check out again.
    const keys: string[] = [];
    let answersLost = true;
    let landed = false;
    await page.route('**/parse/functions/checkout', async (route) => {
      keys.push(route.request().postDataJSON().idempotencyKey);
      if (!answersLost) return route.continue();
      if (!landed) {
        landed = true;
        await route.fetch();
      }
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Check out' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/^The server cannot be reached/);
    expect(await server.ordersOf(productId)).toHaveLength(1);
    answersLost = false;
    await page.getByRole('button', { name: 'Check out' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Thank you! 1 order(s), $5.00 in all.');

    expect(new Set(keys).size).toBe(1);
    expect(keys.length).toBeGreaterThan(1);
    expect(await server.ordersOf(productId)).toHaveLength(1);
    expect(await server.stockOf(productId)).toBe(9);

    // The next purchase is another one: a new key.
    await page.getByRole('button', { name: 'Add Retry cable to cart' }).click();
    await page.getByRole('button', { name: 'Check out' }).click();
    await expect.poll(() => server.ordersOf(productId).then((o) => o.length)).toBe(2);
    expect(new Set(keys).size).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});
