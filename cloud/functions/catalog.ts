import { fromCents } from '../domain/money';
import { currentSale } from '../domain/sale-window';
import { parseParams } from '../edge/params';
import { loadCatalogPage, loadProducts, loadSalesAt, loadShelf, saleJSON } from '../edge/records';
import { defineFunction } from '../edge/report';
import { Catalog, FlashSales } from './params';

/** Text matched literally: every regex metacharacter is escaped (no regex injection). */
function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The listing an app shows: products with stock and their live or next sale, in two round trips
// whatever the page size: the page, then its stock and sales (what the sales are from the cache).
defineFunction('catalog', async (req) => {
  const { limit, skip, search } = parseParams(Catalog, req.params);
  const now = new Date();
  const products = await loadCatalogPage(search ? literalPattern(search) : null, limit, skip);
  const ids = products.map((p) => p.id);
  const { stocks, sales } = await loadShelf(ids, now, { products: false });
  return {
    serverTime: now.toISOString(),
    products: products.map((product) => {
      const sale = currentSale(sales.get(product.id) ?? [], now);
      return {
        id: product.id,
        name: product.name,
        description: product.description,
        imageUrl: product.imageUrl,
        price: fromCents(product.listCents),
        stock: stocks.get(product.id) ?? 0,
        sale: sale ? saleJSON(sale, product.listCents, now) : null,
      };
    }),
  };
});

// Sales with their countdowns, for a "flash sales" screen.
defineFunction('flashSales', async (req) => {
  const { status } = parseParams(FlashSales, req.params);
  const now = new Date();
  const sales = await loadSalesAt(now, status);
  const products = await loadProducts([...new Set(sales.map((s) => s.productId))]);
  return {
    serverTime: now.toISOString(),
    sales: sales.flatMap((sale) => {
      const product = products.get(sale.productId);
      if (!product || !product.active) return [];
      return [
        {
          ...saleJSON(sale, product.listCents, now),
          product: { id: product.id, name: product.name, imageUrl: product.imageUrl },
          price: fromCents(product.listCents),
          perUserLimit: sale.perUserLimit,
        },
      ];
    }),
  };
});
