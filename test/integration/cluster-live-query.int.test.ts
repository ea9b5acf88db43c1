// SPEC 2 and 9 with WORKERS=2 and Redis, behind the cluster's one port: a change made through one
// worker reaches the subscribers that the other worker holds.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Subscription, subscribe } from '../helpers/live-query';
import { PrivateRedis } from '../helpers/redis';
import { startTestServer, type TestServer } from '../helpers/server';

let redis: PrivateRedis;
let server: TestServer;

beforeAll(async () => {
  // A private Redis: pub/sub channels are not per database, so test servers sharing one would hear each other.
  redis = await PrivateRedis.start();
  server = await startTestServer({ WORKERS: '2', REDIS_URL: redis.url() });
  await server.allWorkersReady(2);
});
afterAll(async () => {
  await server?.stop();
  await redis?.kill();
});

/** A new product's Inventory row, and subscribers of it held by both workers. */
async function rowWatchedOnBothWorkers() {
  const productId = await server.product({ price: 1, stock: 0 });
  const [row] = await server.inventoryRows(productId);
  const feeds: Subscription[] = [];
  // The kernel hands each new connection to whichever worker accepts first: open until both hold some.
  for (let i = 0; i < 60 && new Set(feeds.map((f) => f.worker)).size < 2; i++) {
    feeds.push(await subscribe(server.port, 'Inventory', { objectId: row.objectId }));
  }
  return { productId, row, feeds };
}

test('restocks made through either worker reach every subscriber, on both workers, in version order', async () => {
  const admin = await server.admin();
  const { productId, row, feeds } = await rowWatchedOnBothWorkers();
  try {
    expect(new Set(feeds.map((f) => f.worker)).size).toBe(2);

    // Restock one unit at a time, each on a new connection, until both workers have made some.
    const madeBy = new Map<number, string>(); // version -> worker that wrote it
    for (let i = 0; i < 60 && new Set(madeBy.values()).size < 2; i++) {
      const response = await server.request('POST', '/functions/restock', { productId, quantity: 1 }, { session: admin });
      expect(response.status).toBe(200);
      madeBy.set(row.version + madeBy.size + 1, response.worker!);
    }
    expect(new Set(madeBy.values()).size).toBe(2);

    const last = row.version + madeBy.size;
    await Promise.all(feeds.map((feed) => feed.waitFor((e) => e.object?.version === last, 10_000)));
    for (const feed of feeds) {
      // Sequential changes all arrive, in order, wherever they were made and wherever the subscriber is.
      expect(feed.events.map((e) => e.object?.version)).toEqual([...madeBy.keys()]);
      expect(feed.events.at(-1)?.object?.stock).toBe(madeBy.size);
    }
    const crossed = [...madeBy.values()].some((writer) => feeds.some((feed) => feed.worker !== writer));
    expect(crossed).toBe(true);
  } finally {
    feeds.forEach((feed) => feed.close());
  }
});

test('while Redis is down the API still answers; once it is back, the next change reaches every subscriber with the current stock', async () => {
  const admin = await server.admin();
  const { productId, row, feeds } = await rowWatchedOnBothWorkers();
  try {
    await redis.kill();
    const during: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const response = await server.request('POST', '/functions/restock', { productId, quantity: 1 }, { session: admin });
      expect(response.status).toBe(200);
      during.push(Date.now() - started);
    }
    expect(Math.max(...during)).toBeLessThan(5_000);
    await redis.restart();
    // The Live Query clients reconnect on their own; a change after that is delivered everywhere.
    const deadline = Date.now() + 20_000;
    let version = row.version + 3;
    while (Date.now() < deadline && !feeds.every((feed) => feed.events.some((e) => e.object?.version === version))) {
      await server.request('POST', '/functions/restock', { productId, quantity: 1 }, { session: admin });
      version++;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const feed of feeds) {
      const last = feed.events.at(-1)?.object;
      expect(last?.version).toBe(version);
      expect(last?.stock).toBe(await server.stockOf(productId));
      const seen = feed.events.map((e) => e.object?.version as number);
      expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true);
    }
  } finally {
    feeds.forEach((feed) => feed.close());
  }
}, 90_000);

test('a price changed through one worker is the price on both at once: each forgets its cached definition through Redis', async () => {
  const admin = await server.admin();
  const user = await server.signUp();
  const productId = await server.product({ price: 10, stock: 100 });
  const priceOn = async () => {
    const answer = await server.request('POST', '/functions/setCartItem', { productId, quantity: 1 }, { session: user });
    expect(answer.status).toBe(200);
    return { worker: answer.worker!, unitPrice: answer.body.result.items[0].unitPrice as number };
  };
  // Both workers read the product, so both hold it in their definitions cache (5 s).
  const warmed = new Set<string>();
  for (let i = 0; i < 60 && warmed.size < 2; i++) warmed.add((await priceOn()).worker);
  expect(warmed.size).toBe(2);

  const saved = await server.request('PUT', `/classes/Product/${productId}`, { price: 12 }, { session: admin });
  expect(saved.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the message crosses Redis in about a millisecond
  const after = [];
  for (let i = 0; i < 60 && new Set(after.map((a) => a.worker)).size < 2; i++) after.push(await priceOn());
  expect(new Set(after.map((a) => a.worker)).size).toBe(2);
  expect(after.filter((a) => a.unitPrice !== 12)).toEqual([]);
});
