/**
 * `npm run bench`: the flash-sale load test (SPEC section 12). Starts its own server on a fresh
 * embedded database and measures, in one run on one machine, each figure next to its baseline:
 *   1. plain `POST /classes/Transaction` creates per second (the baseline write),
 *   2. a storm: 2,000 buy requests from 1,000 users, 200 in flight, on one product with 500 units
 *      and a live sale with quantityLimit 300 and perUserLimit 1,
 *   3. `catalog` calls per second next to plain `GET /classes/Product`,
 *   4. Live Query fan-out: 1,000 subscribers over 2 workers and Redis, 50 checkouts
 *      (scripts/bench/fanout.ts, on a server of its own).
 * Prints a table, writes the same as JSON under bench/results/, and exits non-zero if anything
 * was oversold or a 5xx was seen. Loopback only; every loop is bounded.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { spawnServer } from './server/spawn';
import { fanOutRows, runFanOut } from './bench/fanout';

const ROOT = path.resolve(__dirname, '..');
const APP_ID = 'bench';
const MASTER_KEY = 'bench-master-key-0123456789abcdef012345';
const STORM = { users: 1000, requests: 2000, inFlight: 200, stock: 500, quantityLimit: 300, perUserLimit: 1 };
const BASELINE_CREATES = 2000;
const READS = { calls: 2000, inFlight: 50, products: 40 };
const LIVE_WRITES = 50;

interface Timed {
  status: number;
  code: number | null;
  ms: number;
  /** When the answer came, in seconds from the start of the run. */
  doneAt: number;
}

let apiURL = '';

async function call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${apiURL}${urlPath}`, {
    method,
    headers: { 'X-Parse-Application-Id': APP_ID, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { error: text };
  }
  return { status: response.status, body: parsed };
}

const master = { 'X-Parse-Master-Key': MASTER_KEY };

async function must(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await call(method, urlPath, body, headers);
  if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Runs `count` tasks with at most `inFlight` at once; returns each task's timing and the wall time. */
async function load(count: number, inFlight: number, task: (i: number) => Promise<{ status: number; body: any }>) {
  const results: Timed[] = new Array(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const { status, body } = await task(i).catch((error) => ({ status: 599, body: { code: null, error: String(error) } }));
        const end = performance.now();
        results[i] = { status, code: status >= 300 ? (body?.code ?? null) : null, ms: end - t0, doneAt: (end - started) / 1000 };
      }
    }),
  );
  return { results, seconds: (performance.now() - started) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function latency(results: Timed[]) {
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

function codes(results: Timed[]): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const r of results) {
    if (r.status < 300) continue;
    const label = r.status === 429 ? '429' : r.status >= 500 ? `HTTP ${r.status}` : String(r.code);
    counted[label] = (counted[label] ?? 0) + 1;
  }
  return counted;
}

async function startServer(): Promise<{ child: ChildProcess; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
  chmodSync(dataDir, 0o755);
  // BENCH_CPU_PROFILE=<folder> writes a V8 CPU profile of the server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
  const env = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    APP_ID,
    MASTER_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_CHECKOUT_PER_MINUTE: '1000000',
  };
  const server = await spawnServer(env, 90_000, profile);
  apiURL = `http://127.0.0.1:${server.port}/parse`;
  serverPid = server.child.pid!;
  return { child: server.child, dataDir };
}

/** utime + stime (clock ticks of 1/100 s) and the parent of a process, from Linux /proc. */
function procStat(pid: number): { ticks: number; parent: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), parent: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** CPU seconds the server has used: the supervisor and its worker processes (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number): number {
  const own = procStat(pid);
  if (!own) return Number.NaN;
  let ticks = own.ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.parent === pid) ticks += stat.ticks;
  }
  return ticks / 100;
}

let serverPid = 0;

async function signUpUsers(count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  await load(count, 20, async (i) => {
    const response = await call('POST', '/users', { username: `bench-${i}-${randomUUID().slice(0, 8)}`, password: 'bench-password' });
    tokens[i] = response.body.sessionToken;
    return response;
  });
  if (tokens.some((t) => !t)) throw new Error('signing up the bench users failed');
  return tokens;
}

async function baselineCreates() {
  const pointer = (className: string) => ({ __type: 'Pointer', className, objectId: 'bench' });
  return load(BASELINE_CREATES, STORM.inFlight, () =>
    call('POST', '/classes/Transaction', { user: pointer('_User'), order: pointer('Order'), amount: 1, type: 'charge' }, master),
  );
}

async function storm(adminToken: string) {
  const admin = { 'X-Parse-Session-Token': adminToken };
  const product = await must('POST', '/classes/Product', { name: 'Bench phone', price: 699 }, admin);
  await must('POST', '/functions/restock', { productId: product.objectId, quantity: STORM.stock }, admin);
  const now = Date.now();
  const sale = await must(
    'POST',
    '/classes/FlashSale',
    {
      product: { __type: 'Pointer', className: 'Product', objectId: product.objectId },
      discount: 30,
      startTime: { __type: 'Date', iso: new Date(now - 60_000).toISOString() },
      endTime: { __type: 'Date', iso: new Date(now + 3_600_000).toISOString() },
      quantityLimit: STORM.quantityLimit,
      perUserLimit: STORM.perUserLimit,
    },
    admin,
  );
  const tokens = await signUpUsers(STORM.users);
  const cpuBefore = { server: cpuSeconds(serverPid), client: process.cpuUsage() };
  const stormStartUs = process.hrtime.bigint() / 1000n;
  const run = await load(STORM.requests, STORM.inFlight, (i) =>
    call(
      'POST',
      '/functions/checkout',
      { idempotencyKey: `bench-${i}-${randomUUID()}`, items: [{ productId: product.objectId, quantity: 1 }] },
      { 'X-Parse-Session-Token': tokens[i % STORM.users] },
    ),
  );
  const clientCpu = process.cpuUsage(cpuBefore.client);
  // Monotonic microseconds, the clock of V8 CPU profiles: cut the profile to the storm with them.
  if (process.env.BENCH_CPU_PROFILE) console.log(`storm window (monotonic us): ${stormStartUs} ${process.hrtime.bigint() / 1000n}`);
  const cpu = { serverSeconds: cpuSeconds(serverPid) - cpuBefore.server, clientSeconds: (clientCpu.user + clientCpu.system) / 1e6 };
  const where = encodeURIComponent(JSON.stringify({ product: { __type: 'Pointer', className: 'Product', objectId: product.objectId } }));
  const orders = (await must('GET', `/classes/Order?where=${where}&limit=10000&keys=quantity,flashSale,user`, undefined, master)).results as any[];
  const [inventory] = (await must('GET', `/classes/Inventory?where=${where}`, undefined, master)).results;
  const saleRow = await must('GET', `/classes/FlashSale/${sale.objectId}`, undefined, master);
  const units = orders.reduce((sum, o) => sum + o.quantity, 0);
  const saleUnits = orders.filter((o) => o.flashSale).reduce((sum, o) => sum + o.quantity, 0);
  const saleUnitsByUser = new Map<string, number>();
  for (const o of orders.filter((o) => o.flashSale)) saleUnitsByUser.set(o.user.objectId, (saleUnitsByUser.get(o.user.objectId) ?? 0) + o.quantity);
  return {
    run,
    cpu,
    orders: orders.length,
    units,
    oversold: Math.max(0, units - STORM.stock),
    /** stock left + units sold = units put in stock */
    stockAccountedFor: units + inventory.stock === STORM.stock,
    stockLeft: inventory.stock,
    saleUnits,
    soldCount: saleRow.soldCount,
    usersOverPerUserLimit: [...saleUnitsByUser.values()].filter((n) => n > STORM.perUserLimit).length,
  };
}

async function reads(adminToken: string) {
  const admin = { 'X-Parse-Session-Token': adminToken };
  for (let i = 0; i < READS.products; i++) {
    const product = await must('POST', '/classes/Product', { name: `Catalog item ${i}`, price: 10 + i }, admin);
    await must('POST', '/functions/restock', { productId: product.objectId, quantity: 10 }, admin);
  }
  const plain = await load(READS.calls, READS.inFlight, () => call('GET', `/classes/Product?limit=${READS.products}`));
  const catalog = await load(READS.calls, READS.inFlight, () => call('POST', '/functions/catalog', { limit: READS.products }));
  return { plain, catalog };
}

/** Time from sending a restock to its Inventory update event, next to the restock's own latency. */
async function liveQueryDelivery(adminToken: string, port: number) {
  const admin = { 'X-Parse-Session-Token': adminToken };
  const product = await must('POST', '/classes/Product', { name: 'Live bench', price: 1 }, admin);
  const socket = new WebSocket(`ws://127.0.0.1:${port}/parse`);
  const events: number[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ op: 'connect', applicationId: APP_ID })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.op === 'connected') {
        const where = { product: { __type: 'Pointer', className: 'Product', objectId: product.objectId } };
        socket.send(JSON.stringify({ op: 'subscribe', requestId: 1, query: { className: 'Inventory', where } }));
      } else if (message.op === 'subscribed') resolve();
      else if (message.op === 'update') events.push(performance.now());
    });
  });
  const write: number[] = [];
  const delivery: number[] = [];
  for (let i = 0; i < LIVE_WRITES; i++) {
    const seen = events.length;
    const t0 = performance.now();
    await must('POST', '/functions/restock', { productId: product.objectId, quantity: 1 }, admin);
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

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main() {
  // First, on its own server, so that nothing else competes for the two cores while it measures.
  const fanOut = await runFanOut();
  const { child, dataDir } = await startServer();
  const port = Number(new URL(apiURL).port);
  try {
    const login = await must('POST', '/login', { username: 'admin', password: 'shop-owner-password' });
    const baseline = await baselineCreates();
    const s = await storm(login.sessionToken);
    const r = await reads(login.sessionToken);
    const live = await liveQueryDelivery(login.sessionToken, port);

    const createsPerSecond = BASELINE_CREATES / baseline.seconds;
    // Orders are made while stock lasts; after that every request is a fast 4001. So orders per
    // second is measured over the selling phase: from the start to the last successful answer.
    const sellingSeconds = Math.max(...s.run.results.filter((x) => x.status < 300).map((x) => x.doneAt));
    const stormOrdersPerSecond = s.orders / sellingSeconds;
    const stormRequestsPerSecond = STORM.requests / s.run.seconds;
    const plainReadsPerSecond = READS.calls / r.plain.seconds;
    const catalogPerSecond = READS.calls / r.catalog.seconds;
    const all5xx = [...baseline.results, ...s.run.results, ...r.plain.results, ...r.catalog.results].filter((x) => x.status >= 500).length;
    const stormLatency = latency(s.run.results);
    const report = {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      baseline: { creates: BASELINE_CREATES, inFlight: STORM.inFlight, perSecond: createsPerSecond, latencyMs: latency(baseline.results), errors: codes(baseline.results) },
      storm: {
        ...STORM,
        seconds: s.run.seconds,
        requestsPerSecond: stormRequestsPerSecond,
        sellingSeconds,
        ordersPerSecond: stormOrdersPerSecond,
        ordersRatioToBaseline: stormOrdersPerSecond / createsPerSecond,
        requestsRatioToBaseline: stormRequestsPerSecond / createsPerSecond,
        latencyMs: stormLatency,
        cpuSeconds: s.cpu,
        orders: s.orders,
        unitsSold: s.units,
        oversoldUnits: s.oversold,
        stockAccountedFor: s.stockAccountedFor,
        stockLeft: s.stockLeft,
        saleUnits: s.saleUnits,
        saleSoldCount: s.soldCount,
        usersOverPerUserLimit: s.usersOverPerUserLimit,
        errorsByCode: codes(s.run.results),
      },
      reads: {
        calls: READS.calls,
        inFlight: READS.inFlight,
        products: READS.products,
        plainGetProductPerSecond: plainReadsPerSecond,
        catalogPerSecond,
        catalogRatioToPlain: catalogPerSecond / plainReadsPerSecond,
        plainLatencyMs: latency(r.plain.results),
        catalogLatencyMs: latency(r.catalog.results),
      },
      liveQuery: { writes: LIVE_WRITES, restockLatencyP50Ms: live.writeP50, deliveryP50Ms: live.deliveryP50, deliveryP99Ms: live.deliveryP99, missed: live.missed },
      liveQueryFanOut: fanOut,
      http5xx: all5xx,
    };

    const rows: Array<[string, string]> = [
      ['baseline: plain POST /classes/Transaction', `${fmt(createsPerSecond)} creates/s (p50 ${fmt(report.baseline.latencyMs.p50)} ms, p99 ${fmt(report.baseline.latencyMs.p99)} ms)`],
      ['storm: checkout requests', `${STORM.requests} in ${fmt(s.run.seconds, 1)} s = ${fmt(stormRequestsPerSecond)} req/s, ratio ${fmt(report.storm.requestsRatioToBaseline, 2)} to baseline`],
      ['storm: orders while stock lasts', `${s.orders} orders in ${fmt(sellingSeconds, 1)} s = ${fmt(stormOrdersPerSecond)} orders/s, ratio ${fmt(report.storm.ordersRatioToBaseline, 2)} to baseline`],
      ['storm CPU', `server ${fmt(s.cpu.serverSeconds, 1)} s, bench client ${fmt(s.cpu.clientSeconds, 1)} s, in ${fmt(s.run.seconds, 1)} s`],
      ['storm latency', `p50 ${fmt(stormLatency.p50)} ms, p95 ${fmt(stormLatency.p95)} ms, p99 ${fmt(stormLatency.p99)} ms`],
      ['units sold / stock', `${s.units} of ${STORM.stock}; oversold ${s.oversold}; stock left ${s.stockLeft}; sold + left = stock: ${s.stockAccountedFor}`],
      ['sale units / quantityLimit', `${s.saleUnits} (soldCount ${s.soldCount}) of ${STORM.quantityLimit}; users over perUserLimit ${s.usersOverPerUserLimit}`],
      ['storm errors by code', JSON.stringify(report.storm.errorsByCode)],
      ['reads: plain GET /classes/Product', `${fmt(plainReadsPerSecond)} /s (p99 ${fmt(report.reads.plainLatencyMs.p99)} ms)`],
      ['reads: catalog', `${fmt(catalogPerSecond)} /s, ratio ${fmt(report.reads.catalogRatioToPlain, 2)} to plain (p99 ${fmt(report.reads.catalogLatencyMs.p99)} ms)`],
      ['live query: restock → Inventory event', `p50 ${fmt(live.deliveryP50, 1)} ms (p99 ${fmt(live.deliveryP99, 1)} ms) next to the restock's own p50 ${fmt(live.writeP50, 1)} ms; missed ${live.missed}`],
      ...fanOutRows(fanOut),
      ['HTTP 5xx', String(all5xx)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n'));

    const resultsDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `bench-${report.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(ROOT, file)}`);

    const eventsMissing = 'eventsLost' in fanOut && (fanOut.eventsLost > 0 || fanOut.outOfOrder > 0);
    if (s.oversold > 0 || !s.stockAccountedFor || s.saleUnits > STORM.quantityLimit || s.usersOverPerUserLimit > 0 || all5xx > 0 || eventsMissing) {
      console.error('FAILED: oversold, over a sale limit, a 5xx, or a Live Query event lost or out of order');
      process.exitCode = 1;
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
