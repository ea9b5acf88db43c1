/**
 * Live Query fan-out at flash-sale scale (SPEC 9): 1,000 subscribers of one Inventory row, spread
 * over 2 workers that share Redis, each signed in as its own user; 50 checkouts one after another.
 * Measures, per event and subscriber, the time from the checkout's response to the event's arrival,
 * next to the checkout's own latency, and counts the events that never arrived.
 *
 * Run alone with `npm run bench:fanout`, or as part of `npm run bench`. Needs a Redis
 * (BENCH_REDIS_URL, default redis://127.0.0.1:6379); without one it says so and measures nothing.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type WebSocket from 'ws';
import { spawnServer } from '../server/spawn';
import { connect, inBatches, MASTER_KEY, percentile, subscribeInventory, treeCpuSeconds } from './client';
import { signUpUsers } from './scenarios';

export const FAN_OUT = { subscribers: 1000, workers: 2, checkouts: 50, connectInFlight: 50, targetP99Ms: 250 };
const WAIT_FOR_STRAGGLERS_MS = 3000;

export interface FanOutReport {
  subscribers: number;
  subscribersPerWorker: Record<string, number>;
  checkouts: number;
  checkoutLatencyMs: { p50: number; p95: number; p99: number };
  deliveryMs: { p50: number; p95: number; p99: number; max: number };
  eventsExpected: number;
  eventsLost: number;
  outOfOrder: number;
  serverCpuSeconds: number;
  seconds: number;
}

function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname);
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

interface Subscriber {
  worker: string;
  /** Arrival time (performance.now()) by Inventory version. */
  arrivals: Map<number, number>;
  outOfOrder: number;
  socket: WebSocket;
}

async function subscribeAs(port: number, appId: string, sessionToken: string, inventoryId: string): Promise<Subscriber> {
  const seen = { arrivals: new Map<number, number>(), outOfOrder: 0 };
  let newest = -1;
  const feed = await subscribeInventory(port, appId, { objectId: inventoryId }, (row, at) => {
    const version = Number(row.version);
    if (version < newest) seen.outOfOrder++;
    newest = Math.max(newest, version);
    seen.arrivals.set(version, at);
  }, sessionToken);
  return Object.assign(seen, feed);
}

export async function runFanOut(log: (line: string) => void = console.log): Promise<FanOutReport | { skipped: string }> {
  const redisURL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisURL))) return { skipped: `no Redis answers at ${redisURL} (set BENCH_REDIS_URL)` };
  // Pub/sub channels are named after the app id, not the Redis database: a fresh id keeps others' events out.
  const appId = `fanout-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shop-fanout-'));
  chmodSync(dataDir, 0o755);
  const server = await spawnServer({
    NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', APP_ID: appId, MASTER_KEY, DATA_DIR: dataDir, LOG_LEVEL: 'error',
    WORKERS: String(FAN_OUT.workers), REDIS_URL: redisURL,
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000', RATE_LIMIT_CHECKOUT_PER_MINUTE: '1000000',
  }, 120_000);
  const api = connect(`http://127.0.0.1:${server.port}/parse`, appId);
  const call = api.must;
  const subscribers: Subscriber[] = [];
  try {
    const workersReady = () => (server.output().match(/^Worker \d+ ready \((first|active)\)/gm) ?? []).length;
    for (let waited = 0; workersReady() < FAN_OUT.workers; waited += 100) {
      if (waited > 60_000) throw new Error(`workers not ready:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const admin = await call('POST', '/login', { username: 'admin', password: 'shop-owner-password' });
    const product = await call('POST', '/classes/Product', { name: 'Fan-out bench', price: 1 }, { 'X-Parse-Session-Token': admin.sessionToken });
    await call('POST', '/functions/restock', { productId: product.objectId, quantity: 1000 }, { 'X-Parse-Session-Token': admin.sessionToken });
    const inventory = await call('GET', `/classes/Inventory?where=${encodeURIComponent(JSON.stringify({ product: { __type: 'Pointer', className: 'Product', objectId: product.objectId } }))}`, undefined, { 'X-Parse-Master-Key': MASTER_KEY });
    const row = inventory.results[0];

    log(`fan-out: signing up ${FAN_OUT.subscribers} users...`);
    const tokens = await signUpUsers(api, FAN_OUT.subscribers);
    log(`fan-out: connecting ${FAN_OUT.subscribers} subscribers...`);
    subscribers.push(...(await inBatches(FAN_OUT.subscribers, FAN_OUT.connectInFlight, (i) => subscribeAs(server.port, appId, tokens[i], row.objectId))));
    const perWorker: Record<string, number> = {};
    for (const s of subscribers) perWorker[s.worker] = (perWorker[s.worker] ?? 0) + 1;
    log(`fan-out: subscribers per worker ${JSON.stringify(perWorker)}; ${FAN_OUT.checkouts} checkouts...`);

    const treeCpu = () => {
      const { server: node, database } = treeCpuSeconds(server.child.pid!);
      return node + database;
    };
    const cpuBefore = treeCpu();
    const started = performance.now();
    const answeredAt = new Map<number, number>();
    const checkoutMs: number[] = [];
    for (let i = 0; i < FAN_OUT.checkouts; i++) {
      const t0 = performance.now();
      await call('POST', '/functions/checkout', { idempotencyKey: `fan-${randomUUID()}`, items: [{ productId: product.objectId, quantity: 1 }] }, { 'X-Parse-Session-Token': tokens[i] });
      const t1 = performance.now();
      checkoutMs.push(t1 - t0);
      answeredAt.set(row.version + i + 1, t1);
    }
    const lastVersion = row.version + FAN_OUT.checkouts;
    for (let waited = 0; waited < WAIT_FOR_STRAGGLERS_MS && subscribers.some((s) => !s.arrivals.has(lastVersion)); waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const serverCpuSeconds = treeCpu() - cpuBefore;

    const delivery: number[] = [];
    let lost = 0;
    for (const s of subscribers) {
      for (const [version, answered] of answeredAt) {
        const arrived = s.arrivals.get(version);
        if (arrived === undefined) lost++;
        else delivery.push(Math.max(0, arrived - answered));
      }
    }
    delivery.sort((a, b) => a - b);
    checkoutMs.sort((a, b) => a - b);
    return {
      subscribers: subscribers.length,
      subscribersPerWorker: perWorker,
      checkouts: FAN_OUT.checkouts,
      checkoutLatencyMs: { p50: percentile(checkoutMs, 50), p95: percentile(checkoutMs, 95), p99: percentile(checkoutMs, 99) },
      deliveryMs: { p50: percentile(delivery, 50), p95: percentile(delivery, 95), p99: percentile(delivery, 99), max: delivery.at(-1) ?? 0 },
      eventsExpected: subscribers.length * FAN_OUT.checkouts,
      eventsLost: lost,
      outOfOrder: subscribers.reduce((sum, s) => sum + s.outOfOrder, 0),
      serverCpuSeconds,
      seconds,
    };
  } finally {
    for (const s of subscribers) s.socket.terminate();
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The report's lines for the bench table. */
export function fanOutRows(report: FanOutReport | { skipped: string }): Array<[string, string]> {
  if ('skipped' in report) return [['live query fan-out', `skipped: ${report.skipped}`]];
  const f = (n: number) => n.toFixed(0);
  return [
    ['fan-out: subscribers', `${report.subscribers} on one Inventory row, per worker ${JSON.stringify(report.subscribersPerWorker)}`],
    ['fan-out: checkout latency', `p50 ${f(report.checkoutLatencyMs.p50)} ms, p95 ${f(report.checkoutLatencyMs.p95)} ms, p99 ${f(report.checkoutLatencyMs.p99)} ms (${report.checkouts} one after another)`],
    ['fan-out: delivery after the response', `p50 ${f(report.deliveryMs.p50)} ms, p95 ${f(report.deliveryMs.p95)} ms, p99 ${f(report.deliveryMs.p99)} ms (target < ${FAN_OUT.targetP99Ms}), max ${f(report.deliveryMs.max)} ms`],
    ['fan-out: events lost / out of order', `${report.eventsLost} of ${report.eventsExpected} / ${report.outOfOrder}; server CPU ${report.serverCpuSeconds.toFixed(1)} s in ${report.seconds.toFixed(1)} s`],
  ];
}

if (require.main === module) {
  runFanOut()
    .then((report) => {
      for (const [label, value] of fanOutRows(report)) console.log(`${label.padEnd(38)}  ${value}`);
      console.log(JSON.stringify(report));
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
