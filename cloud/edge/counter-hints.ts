/**
 * What this process last saw of each product's stock and each sale's soldCount: from the shelves
 * it loaded and from the rows its own checkout writes returned. A hint only ever lets a checkout
 * try its one write without reading the shelf first (records.ts shelfFromHints): the write's own
 * conditions decide, and when they refuse, the checkout reads the shelf and goes on as before. So
 * a stale hint costs one refused write, never a wrong answer; a hint that says "not enough" is
 * never acted on (the shelf is read).
 */
const stockSeen = new Map<string, number>();
const soldCountSeen = new Map<string, number>();
/** Forgotten entries make room: a hint is only worth having for what sells now. */
const MOST_HINTS = 10_000;

function remember(map: Map<string, number>, id: string, value: unknown): void {
  if (typeof value !== 'number') return;
  if (map.size >= MOST_HINTS && !map.has(id)) map.clear();
  map.set(id, value);
}

export const stockHints = {
  seen: (productId: string, stock: unknown) => remember(stockSeen, productId, stock),
  get: (productId: string) => stockSeen.get(productId),
};

export const soldCountHints = {
  seen: (saleId: string, soldCount: unknown) => remember(soldCountSeen, saleId, soldCount),
  get: (saleId: string) => soldCountSeen.get(saleId),
};
