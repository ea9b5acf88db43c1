import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, parseDate, productRef, type Session, startTestServer, statementCounter, statementsBetween, type TestServer } from '../helpers/server';

let server: TestServer;
let admin: Session;
const MINUTE = 60_000;
const at = (minutesFromNow: number) => new Date(Date.now() + minutesFromNow * MINUTE);

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.admin();
});
afterAll(() => server?.stop());

describe('FlashSale rules', () => {
  let productId: string;
  beforeAll(async () => {
    productId = await server.product({ name: 'Rules phone', price: 100 });
  });

  test.each([
    ['neither price nor percent', { startTime: at(60), endTime: at(120) }, 'discountPrice: set exactly one'],
    ['both price and percent', { discountPrice: 80, discount: 10, startTime: at(60), endTime: at(120) }, 'discountPrice: set exactly one'],
    ['a sale price equal to the list price', { discountPrice: 100, startTime: at(60), endTime: at(120) }, 'discountPrice: must be below'],
    ['a sale price with three decimals', { discountPrice: 79.999, startTime: at(60), endTime: at(120) }, 'discountPrice: must have at most two decimals'],
    ['a negative sale price', { discountPrice: -1, startTime: at(60), endTime: at(120) }, 'discountPrice: must not be negative'],
    ['a 0% discount', { discount: 0, startTime: at(60), endTime: at(120) }, 'discount: must be a whole percent from 1 to 99'],
    ['a 100% discount', { discount: 100, startTime: at(60), endTime: at(120) }, 'discount: must be a whole percent'],
    ['a fractional discount', { discount: 12.5, startTime: at(60), endTime: at(120) }, 'discount: must be a whole percent'],
    ['an end before the start', { discount: 10, startTime: at(120), endTime: at(60) }, 'endTime: must be after startTime'],
    ['an end equal to the start', { discount: 10, startTime: at(60), endTime: at(60) }, 'endTime: must be after startTime'],
    ['no start', { discount: 10, endTime: at(60) }, 'startTime: is required'],
    ['a quantityLimit of 0', { discount: 10, startTime: at(60), endTime: at(120), quantityLimit: 0 }, 'quantityLimit: must be a whole number'],
    ['a fractional perUserLimit', { discount: 10, startTime: at(60), endTime: at(120), perUserLimit: 1.5 }, 'perUserLimit: must be a whole number'],
    ['a client-set soldCount', { discount: 10, startTime: at(60), endTime: at(120), soldCount: 5 }, 'soldCount: is maintained by the server'],
  ])('refuses %s with 142', async (_what, fields, message) => {
    const error = await failure(server.sale(productId, fields));
    expect(error.code).toBe(142);
    expect(error.message).toContain(message);
  });

  test('refuses a sale of an unknown product', async () => {
    const error = await failure(server.sale('unknown123', { discount: 10, startTime: at(60), endTime: at(120) }));
    expect(error.code).toBe(142);
    expect(error.message).toContain('product: no product with id unknown123');
  });

  test('customers cannot create or edit sales', async () => {
    const customer = await server.signUp();
    const body = { product: productRef(productId), discount: 10, startTime: parseDate(at(600)), endTime: parseDate(at(660)) };
    expect((await failure(server.ok('POST', '/classes/FlashSale', body, { session: customer }))).code).toBe(119);
  });

  test('soldCount cannot be changed after creation, even by the master key', async () => {
    const saleId = await server.sale(productId, { discount: 10, startTime: at(1000), endTime: at(1060) });
    const error = await failure(server.ok('PUT', `/classes/FlashSale/${saleId}`, { soldCount: 3 }, { master: true }));
    expect(error.code).toBe(142);
    expect((await server.ok('GET', `/classes/FlashSale/${saleId}`)).soldCount).toBe(0);
  });
});

describe('sales of one product never overlap', () => {
  test('an overlapping window is refused; back-to-back windows are fine', async () => {
    const productId = await server.product({ price: 50 });
    const base = Date.now();
    const t = (minutes: number) => new Date(base + minutes * MINUTE);
    await server.sale(productId, { discount: 10, startTime: t(60), endTime: t(120) });
    const overlap = await failure(server.sale(productId, { discount: 20, startTime: t(90), endTime: t(150) }));
    expect(overlap.code).toBe(142);
    expect(overlap.message).toContain('overlaps sale');
    const inside = await failure(server.sale(productId, { discount: 20, startTime: t(70), endTime: t(80) }));
    expect(inside.code).toBe(142);
    await server.sale(productId, { discount: 20, startTime: t(120), endTime: t(180) });
    await server.sale(productId, { discount: 20, startTime: t(0), endTime: t(60) });
  });

  test('10 admins creating overlapping sales of one product at the same moment: exactly one lands', async () => {
    const productId = await server.product({ price: 50 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => server.sale(productId, { discount: 5 + i, startTime: at(30 + i), endTime: at(300 + i) })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => r.reason.code)).toEqual(Array(9).fill(142));
    const where = encodeURIComponent(JSON.stringify({ product: productRef(productId) }));
    expect((await server.ok('GET', `/classes/FlashSale?where=${where}`)).results).toHaveLength(1);
  });

  test('an admin can move a live sale’s window and price; moving it onto another sale is refused', async () => {
    const productId = await server.product({ price: 40 });
    const live = await server.sale(productId, { discount: 10, startTime: at(-10), endTime: at(30) });
    await server.sale(productId, { discount: 10, startTime: at(60), endTime: at(90) });
    await server.ok('PUT', `/classes/FlashSale/${live}`, { endTime: parseDate(at(45)), discount: 25 }, { session: admin });
    const catalog = await server.run('catalog', { limit: 100 });
    const shown = catalog.products.find((p: any) => p.id === productId);
    expect(shown.sale).toMatchObject({ id: live, salePrice: 30, status: 'live' });
    const clash = await failure(server.ok('PUT', `/classes/FlashSale/${live}`, { endTime: parseDate(at(70)) }, { session: admin }));
    expect(clash.code).toBe(142);
  });
});

describe('catalog', () => {
  let phone: string;
  let liveSale: string;

  beforeAll(async () => {
    phone = await server.product({ name: 'Catalog Pixel (Zeta)', price: 199.99, stock: 12, description: 'A phone', imageUrl: 'https://img.example.com/z.png' });
    liveSale = await server.sale(phone, { discount: 15, startTime: at(-5), endTime: at(55), quantityLimit: 10, perUserLimit: 1 });
  });

  test('lists a product with its stock and its live sale, with countdowns from the server clock', async () => {
    const { serverTime, products } = await server.run('catalog', { search: 'catalog pixel' });
    const now = Date.parse(serverTime);
    expect(products).toHaveLength(1);
    const [product] = products;
    expect(product).toMatchObject({
      id: phone,
      name: 'Catalog Pixel (Zeta)',
      description: 'A phone',
      imageUrl: 'https://img.example.com/z.png',
      price: 199.99,
      stock: 12,
      sale: { id: liveSale, salePrice: 169.99, status: 'live', startsInMs: 0, remaining: 10 },
    });
    expect(product.sale.endsInMs).toBe(Date.parse(product.sale.endTime) - now);
  });

  test('shows the next upcoming sale when none is live', async () => {
    const productId = await server.product({ name: 'Upcoming Gadget', price: 10 });
    const later = await server.sale(productId, { discountPrice: 7.5, startTime: at(120), endTime: at(180) });
    await server.sale(productId, { discountPrice: 8, startTime: at(300), endTime: at(360) });
    const { serverTime, products } = await server.run('catalog', { search: 'Upcoming Gadget' });
    expect(products[0].sale).toMatchObject({ id: later, salePrice: 7.5, status: 'upcoming', remaining: null });
    expect(products[0].sale.startsInMs).toBe(Date.parse(products[0].sale.startTime) - Date.parse(serverTime));
  });

  test('search is case-insensitive and literal: regex characters match themselves', async () => {
    const { products } = await server.run('catalog', { search: 'PIXEL (ZETA)' });
    expect(products.map((p: any) => p.id)).toEqual([phone]);
    expect((await server.run('catalog', { search: '.*' })).products).toEqual([]);
    expect((await server.run('catalog', { search: 'Pixel (Z' })).products).toHaveLength(1);
  });

  test('hides inactive products', async () => {
    const hidden = await server.product({ name: 'Hidden thing', price: 1, active: false });
    const { products } = await server.run('catalog', { search: 'Hidden thing' });
    expect(products.map((p: any) => p.id)).not.toContain(hidden);
  });

  test('pages with limit and skip', async () => {
    for (let i = 0; i < 5; i++) await server.product({ name: `Paged item ${i}`, price: 1 });
    const first = await server.run('catalog', { search: 'Paged item', limit: 2 });
    const second = await server.run('catalog', { search: 'Paged item', limit: 2, skip: 2 });
    expect(first.products.map((p: any) => p.name)).toEqual(['Paged item 0', 'Paged item 1']);
    expect(second.products.map((p: any) => p.name)).toEqual(['Paged item 2', 'Paged item 3']);
  });

  test.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ skip: -1 }, 'skip'],
    [{ search: 5 }, 'search'],
    [{ search: 'x'.repeat(101) }, 'search'],
    [{ sort: 'price' }, 'sort'],
  ])('refuses %j with 142 naming %s', async (params, field) => {
    const error = await failure(server.run('catalog', params));
    expect(error.code).toBe(142);
    expect(error.message).toContain(`142: ${field}:`);
  });

  test('makes the same number of database queries for 3 products as for 40', async () => {
    for (let i = 0; i < 40; i++) {
      const id = await server.product({ name: `Bulk ${String(i).padStart(2, '0')}`, price: 5, stock: 1 });
      if (i % 4 === 0) await server.sale(id, { discount: 10, startTime: at(-1), endTime: at(60) });
    }
    const counter = await statementCounter(server);
    try {
      await server.run('catalog', { search: 'Bulk', limit: 3 }); // warm any caches
      // The fewest of three calls: a timer's statement can land inside any one measurement. What ran
      // in the fewest goes in the failure message, to name a stray statement.
      let page: any;
      const queriesOf = async (limit: number) => {
        let fewest = { count: Infinity, lines: [] as string[] };
        for (let i = 0; i < 3; i++) {
          const before = await counter.statements();
          page = await server.run('catalog', { search: 'Bulk', limit });
          const ran = statementsBetween(before, await counter.statements());
          if (ran.count < fewest.count) fewest = ran;
        }
        return fewest;
      };
      const for3 = await queriesOf(3);
      const for40 = await queriesOf(40);
      expect(page.products).toHaveLength(40);
      expect(page.products.filter((p: any) => p.sale?.status === 'live')).toHaveLength(10);
      expect(for40.count, `for 40 products:\n${for40.lines.join('\n')}\nfor 3:\n${for3.lines.join('\n')}`).toBe(for3.count);
      expect(for3.count, for3.lines.join('\n')).toBeLessThanOrEqual(5);
    } finally {
      await counter.close();
    }
  });
});

describe('flashSales', () => {
  test('lists live and upcoming sales with the product, list price and countdowns', async () => {
    const productId = await server.product({ name: 'FS speaker', price: 80, stock: 5 });
    const live = await server.sale(productId, { discountPrice: 60, startTime: at(-1), endTime: at(10), quantityLimit: 3, perUserLimit: 1 });
    const soon = await server.sale(productId, { discount: 50, startTime: at(20), endTime: at(30) });

    const all = await server.run('flashSales', {});
    const mine = all.sales.filter((s: any) => s.product.id === productId);
    expect(mine.map((s: any) => s.id)).toEqual([live, soon]);
    expect(mine[0]).toMatchObject({ price: 80, salePrice: 60, status: 'live', remaining: 3, perUserLimit: 1, product: { name: 'FS speaker' } });
    expect(mine[1]).toMatchObject({ price: 80, salePrice: 40, status: 'upcoming', perUserLimit: null });
    expect(mine[1].startsInMs).toBe(Date.parse(mine[1].startTime) - Date.parse(all.serverTime));

    const liveOnly = await server.run('flashSales', { status: 'live' });
    expect(liveOnly.sales.map((s: any) => s.id)).toContain(live);
    expect(liveOnly.sales.map((s: any) => s.id)).not.toContain(soon);
    const upcoming = await server.run('flashSales', { status: 'upcoming' });
    expect(upcoming.sales.map((s: any) => s.id)).toContain(soon);
    expect(upcoming.sales.map((s: any) => s.id)).not.toContain(live);
  });

  test('refuses an unknown status with 142', async () => {
    const error = await failure(server.run('flashSales', { status: 'soon' }));
    expect(error.code).toBe(142);
    expect(error.message).toContain('status: must be live, upcoming or all');
  });
});
