/**
 * What this process last saw of each product's stock and each sale's soldCount: from the shelves
 * it loaded and from the rows its own checkout writes returned. A hint only ever lets a checkout
 * try its one write without reading the shelf first (records.ts shelfFromHints): the write's own
 * conditions decide, and when they refuse, the checkout reads the shelf and goes on as before. So
 * a stale hint costs one refused write, never a wrong answer. A hint of too little stock is never
 * acted on (the shelf is read); a hint of a used-up sale quota prices at the list price only with a
 * check in the same write that the quota is still used up. The units that this process's checkouts are trying to take
 * right now count against a hint: at a sale's last units, hundreds in flight would otherwise all
 * try a write only the first few can land.
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

const inFlight = new Map<string, number>();
/** Checkouts waiting for one at `key` to finish, in arrival order. */
const waitingTurn = new Map<string, Array<() => void>>();

/** Wakes the first checkout waiting its turn at `key`. */
function passTurn(key: string): void {
  const queue = waitingTurn.get(key);
  const next = queue?.shift();
  if (queue?.length === 0) waitingTurn.delete(key);
  next?.();
}

/** Units being tried for now, by `Inventory:<productId>` and `FlashSale:<saleId>`. */
export const demandHints = {
  pending: (key: string) => inFlight.get(key) ?? 0,
  /** Runs `work` with `demand` counted as being tried; when it ends, the first checkout waiting at each key looks again. */
  async during<T>(demand: Array<[string, number]>, work: () => Promise<T>): Promise<T> {
    for (const [key, units] of demand) inFlight.set(key, (inFlight.get(key) ?? 0) + units);
    try {
      return await work();
    } finally {
      for (const [key, units] of demand) {
        const left = (inFlight.get(key) ?? 0) - units;
        if (left > 0) inFlight.set(key, left);
        else inFlight.delete(key);
        passTurn(key);
      }
    }
  },
  /**
   * Waits until a checkout trying units at `key` ends: true then, false at `deadline`. One waiter
   * wakes per checkout that ends, first come first woken, so that hundreds waiting at a product's
   * last units do not all look again at every sale; a woken waiter that does not wait again calls
   * passTurn(key), so that the next one looks too.
   */
  waitTurn(key: string, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const queue = waitingTurn.get(key) ?? [];
      waitingTurn.set(key, queue);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(wake);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && waitingTurn.get(key) === queue) waitingTurn.delete(key);
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      queue.push(wake);
    });
  },
  passTurn,
};
