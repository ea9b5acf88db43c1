/**
 * What `npm run bench` measures, each as a function that returns plain data: warm-up, plain
 * creates, the checkout storm, the database's hot-row ceiling, reads and Live Query delivery.
 * The report (report.ts) turns them into figures, ratios and a verdict.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type Api, type CpuUsed, type Reply, type Timed, cpuMeter, load, master, percentile, subscribeInventory } from './client';

export const STORM = { users: 1000, requests: 2000, inFlight: 200, stock: 500, quantityLimit: 300, perUserLimit: 1, storms: 5 };
export const BASELINE_CREATES = 2000;
/**
 * Plain creates keep speeding up for about 2,500 requests (JIT, pools, caches); none of these is
 * timed. One checkout per storm user: before a drop its buyers have the app open, so the server
 * knows their sessions (it trusts a session it looked up for 30 s), as it would at 12:00.
 */
export const WARM_UP = { creates: 2500, checkouts: STORM.users, stock: 200, quantityLimit: 100 };
export const CEILING = { clients: 32, seconds: 5, warmUpSeconds: 1 };
export const READS = { calls: 2000, inFlight: 50, products: 40 };
export const LIVE_WRITES = 50;
/**
 * Each kind of request on its own, at the storm's concurrency, right after a batch of plain creates;
 * `plenty` is the stock, sale quota and per-user limit that its requests never use up.
 */
export const KINDS = { requests: 2000, plenty: 1_000_000 };

const pointer = (className: string, objectId: string) => ({ __type: 'Pointer', className, objectId });
const asAdmin = (token: string) => ({ 'X-Parse-Session-Token': token });

export async function signUpUsers(api: Api, count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  await load(count, 20, async (i) => {
    const reply = await api.call('POST', '/users', { username: `bench-${i}-${randomUUID().slice(0, 8)}`, password: 'bench-password' });
    tokens[i] = reply.body.sessionToken;
    return reply;
  });
  if (tokens.some((t) => !t)) throw new Error('signing up the bench users failed');
  return tokens;
}

function plainCreates(api: Api, count: number) {
  return load(count, STORM.inFlight, () =>
    api.call('POST', '/classes/Transaction', { user: pointer('_User', 'bench'), order: pointer('Order', 'bench'), amount: 1, type: 'charge' }, master),
  );
}

/** A product with `stock` units and a sale live for the next hour. */
async function productOnSale(api: Api, adminToken: string, name: string, stock: number, quantityLimit: number, perUserLimit = STORM.perUserLimit) {
  const product = await api.must('POST', '/classes/Product', { name, price: 699 }, asAdmin(adminToken));
  await api.must('POST', '/functions/restock', { productId: product.objectId, quantity: stock }, asAdmin(adminToken));
  const now = Date.now();
  const sale = await api.must(
    'POST',
    '/classes/FlashSale',
    {
      product: pointer('Product', product.objectId),
      discount: 30,
      startTime: { __type: 'Date', iso: new Date(now - 60_000).toISOString() },
      endTime: { __type: 'Date', iso: new Date(now + 3_600_000).toISOString() },
      quantityLimit,
      perUserLimit,
    },
    asAdmin(adminToken),
  );
  return { productId: product.objectId as string, saleId: sale.objectId as string };
}

function checkouts(api: Api, productId: string, tokens: string[], count: number) {
  return load(count, STORM.inFlight, (i) =>
    api.call(
      'POST',
      '/functions/checkout',
      { idempotencyKey: `bench-${i}-${randomUUID()}`, items: [{ productId, quantity: 1 }] },
      { 'X-Parse-Session-Token': tokens[i % tokens.length] },
    ),
  );
}

/**
 * Untimed: plain creates, then one checkout per buyer on a throwaway product and sale (selling out,
 * so the sale, list-price and refusal paths all run), so that nothing timed later pays for a cold
 * server or a buyer's first request.
 */
export async function warmUp(api: Api, adminToken: string, tokens: string[]) {
  const creates = await plainCreates(api, WARM_UP.creates);
  const { productId } = await productOnSale(api, adminToken, 'Warm-up phone', WARM_UP.stock, WARM_UP.quantityLimit);
  const buys = await checkouts(api, productId, tokens, WARM_UP.checkouts);
  return { creates: creates.results, checkouts: buys.results };
}

/** The baseline write: `count` plain `POST /classes/Transaction` at the storm's concurrency. */
export async function baselineCreates(api: Api, serverPid: number, count = BASELINE_CREATES) {
  const meter = cpuMeter(serverPid);
  const run = await plainCreates(api, count);
  return { ...run, cpu: meter.stop() };
}

export interface StormResult {
  results: Timed[];
  seconds: number;
  /** From the start to the last successful answer: orders are made while stock lasts, then every request is a fast 4001. */
  sellingSeconds: number;
  cpu: CpuUsed;
  orders: number;
  units: number;
  oversold: number;
  /** stock left + units sold = units put in stock */
  stockAccountedFor: boolean;
  stockLeft: number;
  saleUnits: number;
  soldCount: number;
  usersOverPerUserLimit: number;
}

/** One storm on a fresh product and sale (so per-user limits start over), then what the database holds. */
export async function storm(api: Api, adminToken: string, tokens: string[], serverPid: number, n: number): Promise<StormResult> {
  const { productId, saleId } = await productOnSale(api, adminToken, `Bench phone ${n}`, STORM.stock, STORM.quantityLimit);
  const meter = cpuMeter(serverPid);
  const stormStartUs = process.hrtime.bigint() / 1000n;
  const run = await checkouts(api, productId, tokens.slice(0, STORM.users), STORM.requests);
  const cpu = meter.stop();
  // Monotonic microseconds, the clock of V8 CPU profiles: cut the profile to the storm with them.
  if (process.env.BENCH_CPU_PROFILE) console.log(`storm ${n} window (monotonic us): ${stormStartUs} ${process.hrtime.bigint() / 1000n}`);

  const where = encodeURIComponent(JSON.stringify({ product: pointer('Product', productId) }));
  const orders = (await api.must('GET', `/classes/Order?where=${where}&limit=10000&keys=quantity,flashSale,user`, undefined, master)).results as any[];
  const [inventory] = (await api.must('GET', `/classes/Inventory?where=${where}`, undefined, master)).results;
  const saleRow = await api.must('GET', `/classes/FlashSale/${saleId}`, undefined, master);
  const units = orders.reduce((sum, o) => sum + o.quantity, 0);
  const onSale = orders.filter((o) => o.flashSale);
  const saleUnitsByUser = new Map<string, number>();
  for (const o of onSale) saleUnitsByUser.set(o.user.objectId, (saleUnitsByUser.get(o.user.objectId) ?? 0) + o.quantity);
  const succeeded = run.results.filter((x) => x.status < 300);
  return {
    ...run,
    sellingSeconds: succeeded.length ? Math.max(...succeeded.map((x) => x.doneAt)) : run.seconds,
    cpu,
    orders: orders.length,
    units,
    oversold: Math.max(0, units - STORM.stock),
    stockAccountedFor: units + inventory.stock === STORM.stock,
    stockLeft: inventory.stock,
    saleUnits: onSale.reduce((sum, o) => sum + o.quantity, 0),
    soldCount: saleRow.soldCount,
    usersOverPerUserLimit: [...saleUnitsByUser.values()].filter((n) => n > STORM.perUserLimit).length,
  };
}

/**
 * The database's own ceiling for one hot product, as pgbench would measure it: `clients`
 * connections, each running one transaction after another of a conditional decrement of one row
 * plus an order insert, on scratch tables of its own in the server's database (dropped after).
 */
export async function hotRowCeiling(databaseURI: string) {
  const suffix = randomUUID().slice(0, 8);
  const hot = `bench_hot_${suffix}`;
  const orders = `bench_hot_orders_${suffix}`;
  const admin = new Client({ connectionString: databaseURI });
  await admin.connect();
  const clients: Client[] = [];
  try {
    await admin.query(`CREATE TABLE ${hot} (id int PRIMARY KEY, stock bigint NOT NULL)`);
    await admin.query(`CREATE TABLE ${orders} (id bigserial PRIMARY KEY, product int NOT NULL, buyer int NOT NULL, quantity int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    // Enough stock that no transaction finds it empty: each one must do the full decrement and insert.
    await admin.query(`INSERT INTO ${hot} (id, stock) VALUES (1, 1000000000)`);
    for (let i = 0; i < CEILING.clients; i++) {
      const client = new Client({ connectionString: databaseURI });
      await client.connect();
      clients.push(client);
    }
    const run = async (seconds: number) => {
      const until = performance.now() + seconds * 1000;
      const ms: number[] = [];
      const started = performance.now();
      await Promise.all(
        clients.map(async (client, c) => {
          while (performance.now() < until) {
            const t0 = performance.now();
            await client.query('BEGIN');
            const taken = await client.query(`UPDATE ${hot} SET stock = stock - 1 WHERE id = 1 AND stock > 0`);
            if (taken.rowCount !== 1) throw new Error('the hot row ran out of stock');
            await client.query(`INSERT INTO ${orders} (product, buyer, quantity) VALUES (1, $1, 1)`, [c]);
            await client.query('COMMIT');
            ms.push(performance.now() - t0);
          }
        }),
      );
      return { transactions: ms.length, seconds: (performance.now() - started) / 1000, ms };
    };
    await run(CEILING.warmUpSeconds);
    const timed = await run(CEILING.seconds);
    const sorted = timed.ms.sort((a, b) => a - b);
    return {
      clients: CEILING.clients,
      transactions: timed.transactions,
      seconds: timed.seconds,
      perSecond: timed.transactions / timed.seconds,
      latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await admin.query(`DROP TABLE IF EXISTS ${orders}, ${hot}`).catch(() => undefined);
    await admin.end();
  }
}

/**
 * What each kind of request costs on its own, in steady state, next to a batch of plain creates
 * measured just before it: a signed-in call that does nothing (Parse's share of any call), a
 * checkout at the list price and one on a live sale, each with stock and quota that never run out
 * (so every request is an order of the same shape), and a checkout refused as sold out. Where a
 * storm's orders lose to plain creates, these say which part of an order it is.
 */
export async function requestKinds(api: Api, adminToken: string, tokens: string[], serverPid: number) {
  const listed = await api.must('POST', '/classes/Product', { name: 'Bench list-price phone', price: 699 }, asAdmin(adminToken));
  await api.must('POST', '/functions/restock', { productId: listed.objectId, quantity: KINDS.plenty }, asAdmin(adminToken));
  const onSale = await productOnSale(api, adminToken, 'Bench sale phone', KINDS.plenty, KINDS.plenty, KINDS.plenty);
  const soldOut = await api.must('POST', '/classes/Product', { name: 'Bench sold-out phone', price: 699 }, asAdmin(adminToken));
  const signedIn = (i: number) => ({ 'X-Parse-Session-Token': tokens[i % tokens.length] });
  const buy = (productId: string) => (i: number) =>
    api.call('POST', '/functions/checkout', { idempotencyKey: `bench-kind-${i}-${randomUUID()}`, items: [{ productId, quantity: 1 }] }, signedIn(i));
  const kinds: Array<[string, (i: number) => Promise<Reply>]> = [
    ['signed-in serverTime', (i) => api.call('POST', '/functions/serverTime', {}, signedIn(i))],
    ['checkout at the list price', buy(listed.objectId)],
    ['checkout on a live sale', buy(onSale.productId)],
    ['checkout refused, sold out', buy(soldOut.objectId)],
  ];
  // Untimed: the server trusts a session it looked up for 30 s, and the storms took longer than that.
  await load(tokens.length, STORM.inFlight, (i) => api.call('POST', '/functions/serverTime', {}, signedIn(i)));
  const measured = [];
  for (const [kind, task] of kinds) {
    const baseline = await baselineCreates(api, serverPid, KINDS.requests);
    const meter = cpuMeter(serverPid);
    const startUs = process.hrtime.bigint() / 1000n;
    const run = await load(KINDS.requests, STORM.inFlight, task);
    measured.push({ kind, baseline, run, cpu: meter.stop() });
    if (process.env.BENCH_CPU_PROFILE) console.log(`kind "${kind}" window (monotonic us): ${startUs} ${process.hrtime.bigint() / 1000n}`);
  }
  return measured;
}

export async function reads(api: Api, adminToken: string) {
  for (let i = 0; i < READS.products; i++) {
    const product = await api.must('POST', '/classes/Product', { name: `Catalog item ${i}`, price: 10 + i }, asAdmin(adminToken));
    await api.must('POST', '/functions/restock', { productId: product.objectId, quantity: 10 }, asAdmin(adminToken));
  }
  const plain = await load(READS.calls, READS.inFlight, () => api.call('GET', `/classes/Product?limit=${READS.products}`));
  const catalog = await load(READS.calls, READS.inFlight, () => api.call('POST', '/functions/catalog', { limit: READS.products }));
  return { plain, catalog };
}

/** Time from sending a restock to its Inventory update event, next to the restock's own latency. */
export async function liveQueryDelivery(api: Api, appId: string, port: number, adminToken: string) {
  const product = await api.must('POST', '/classes/Product', { name: 'Live bench', price: 1 }, asAdmin(adminToken));
  const events: number[] = [];
  const { socket } = await subscribeInventory(port, appId, { product: pointer('Product', product.objectId) }, (_row, at) => events.push(at));
  const write: number[] = [];
  const delivery: number[] = [];
  for (let i = 0; i < LIVE_WRITES; i++) {
    const seen = events.length;
    const t0 = performance.now();
    await api.must('POST', '/functions/restock', { productId: product.objectId, quantity: 1 }, asAdmin(adminToken));
    write.push(performance.now() - t0);
    for (let waited = 0; events.length === seen && waited < 2000; waited += 1) await new Promise((r) => setTimeout(r, 1));
    delivery.push(events.length > seen ? events[seen] - t0 : Number.POSITIVE_INFINITY);
  }
  socket.close();
  const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return {
    writeP50: percentile(sort(write), 50),
    deliveryP50: percentile(sort(delivery), 50),
    deliveryP99: percentile(sort(delivery), 99),
    missed: delivery.filter((d) => !Number.isFinite(d)).length,
  };
}
